"""What the outbox looks like, for ``moderation status`` and the review page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..redaction import mask_email
from ..store import Store
from ..store.outbox import MessageStatus, OutboxMessage


@dataclass(frozen=True)
class Problem:
    """A message waiting to be retried, or one that failed, as a moderator sees it."""

    message_id: str
    kind: str
    channel: str
    recipient: str  # masked
    attempts: int
    error: str
    created_at: datetime
    next_attempt_at: datetime | None


@dataclass
class OutboxSummary:
    queued: int
    sending: int
    retrying: int
    failed: int
    sent: int
    cancelled: int
    next_retry: datetime | None
    problems: list[Problem] = field(default_factory=list)
    bounced: int = 0

    @property
    def attention(self) -> bool:
        """Whether something needs the owner: messages failing or failed."""
        return bool(self.retrying or self.failed)

    def lines(self) -> list[str]:
        """One line per count, then one per recent problem."""
        lines = [
            f"queued {self.queued}",
            f"retrying {self.retrying}"
            + (f" (next try {self.next_retry:%Y-%m-%d %H:%M} UTC)" if self.next_retry else ""),
            f"failed {self.failed}",
        ]
        if self.sending:
            lines.append(f"sending {self.sending}")
        if self.bounced:
            lines.append(f"addresses that bounced (not mailed again) {self.bounced}")
        return lines + self.problem_lines()

    def problem_lines(self) -> list[str]:
        """One line per recent failure or retry: what, to whom, how often, why."""
        return [
            f"{'retrying' if p.next_attempt_at else 'failed'}: {p.kind} {p.channel} to "
            f"{p.recipient} after {p.attempts} {'try' if p.attempts == 1 else 'tries'}: {p.error}"
            for p in self.problems
        ]


def _problem(message: OutboxMessage) -> Problem:
    recipient = message.recipient if message.channel == "webhook" else mask_email(message.recipient)
    return Problem(
        message_id=message.message_id,
        kind=message.kind,
        channel=message.channel,
        recipient=recipient,
        attempts=message.attempts,
        error=message.last_error or "",
        created_at=message.created_at,
        next_attempt_at=message.next_attempt_at,
    )


def outbox_summary(store: Store, *, problems: int = 10) -> OutboxSummary:
    """Counts per state, when the next retry is due, and the newest problems (addresses
    masked: the review page is no place to read readers' addresses)."""
    counts = store.outbox.counts()
    listed = [
        *store.outbox.in_state(MessageStatus.FAILED, problems),
        *store.outbox.in_state(MessageStatus.RETRYING, problems),
    ]
    return OutboxSummary(
        queued=counts["queued"],
        sending=counts["sending"],
        retrying=counts["retrying"],
        failed=counts["failed"],
        sent=counts["sent"],
        cancelled=counts["cancelled"],
        next_retry=store.outbox.next_attempt(),
        problems=[_problem(m) for m in listed[:problems]],
        bounced=len(store.subscriptions.bounces()),
    )
