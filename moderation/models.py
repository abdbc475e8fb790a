"""The data that flows through moderation: comments, signal results and verdicts."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum


class State(StrEnum):
    """Where a stored comment is in the workflow."""

    RECEIVED = "received"  # stored, not screened yet
    APPROVED = "approved"
    HELD = "held"  # waits for a moderator
    SPAM = "spam"
    REJECTED = "rejected"  # not spam, just not published


class Decision(StrEnum):
    """What screening recommends for a comment."""

    APPROVE = "approve"
    HOLD = "hold"
    SPAM = "spam"


#: The state a screening decision puts a comment in.
STATE_FOR_DECISION = {
    Decision.APPROVE: State.APPROVED,
    Decision.HOLD: State.HELD,
    Decision.SPAM: State.SPAM,
}


class Label(StrEnum):
    """What the learned model is taught by a human decision."""

    HAM = "ham"
    SPAM = "spam"
    PROMO = "promo"


#: A comment id: letters, digits and hyphens (the comment file contract).
COMMENT_ID = re.compile(r"^[A-Za-z0-9-]+$")

#: The origin of labelled examples added by ``train``: never queued, never published.
TRAINING_ORIGIN = "training"


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_comment_id(received_at: datetime) -> str:
    """``c-YYYY-MM-DD-xxxxxx``: sortable by day, unguessable within it."""
    return f"c-{received_at.astimezone(UTC):%Y-%m-%d}-{secrets.token_hex(3)}"


def stable_comment_id(received_at: datetime, content_hash: str) -> str:
    """``c-YYYY-MM-DD-xxxxxx`` derived from the content: the same submission gets the
    same id in any database, so importing it again publishes no second copy."""
    return f"c-{received_at.astimezone(UTC):%Y-%m-%d}-{content_hash[:6]}"


_SPACE = re.compile(r"\s+")


def content_hash(article: str, author: str, body: str) -> str:
    """Identifies an exact duplicate: same article, author and text (whitespace-insensitive)."""
    normalised = "\x1f".join(
        (article, _SPACE.sub(" ", author).strip().lower(), _SPACE.sub(" ", body).strip())
    )
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Comment:
    """A comment as submitted and, once stored, as kept.

    ``id`` and ``status`` are ``None`` for a comment that is only being classified
    and never stored. ``intake_flags`` are findings made at intake time (honeypot,
    time trap) that screening reports as reasons.
    """

    article: str
    author: str
    body: str
    email: str | None = None
    author_url: str | None = None
    reply_to: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    language: str | None = None
    received_at: datetime = field(default_factory=utcnow)
    origin: str = "form"  # form | json | import | training
    intake_flags: tuple[str, ...] = ()
    id: str | None = None
    status: State | None = None

    @property
    def content_hash(self) -> str:
        return content_hash(self.article, self.author, self.body)

    def with_changes(self, **changes: object) -> Comment:
        return replace(self, **changes)


@dataclass(frozen=True)
class SignalResult:
    """One signal's finding about one comment.

    ``score`` is in [0, 1], higher meaning more likely spam or promotion; it is
    ``None`` when the signal could not judge (not configured, unavailable, untrained).
    ``floor`` is the least severe decision the policy may reach because of this
    signal (a disallowed word forces SPAM, a moderation keyword forces HOLD).
    ``retry`` asks for a recheck later (Akismet was unreachable).
    """

    signal: str
    score: float | None
    reason: str
    floor: Decision | None = None
    findings: tuple[str, ...] = ()
    retry: bool = False


@dataclass(frozen=True)
class Verdict:
    """The policy's decision for one comment, with every signal that led to it."""

    decision: Decision
    score: float | None
    reasons: tuple[str, ...]
    signals: tuple[SignalResult, ...]
    retry: bool = False  # some signal asked for a recheck later
    akismet_params: dict[str, str] | None = None  # what was sent, for submit_spam/ham

    def signal(self, name: str) -> SignalResult | None:
        return next((s for s in self.signals if s.signal == name), None)
