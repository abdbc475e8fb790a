"""The sender: sends what the outbox holds, once, and keeps trying what failed for a day.

:func:`send_due` is what ``moderation notify`` and the intake's background
worker both run. Only one sender works on a database at a time (a lock file next
to it, released by the system even when a sender is killed). Each message is
claimed (committed as ``sending``) before it is sent and marked ``sent`` as soon
as the server has accepted it, before the next one starts; a message a killed
sender left ``sending`` goes out again with the same Message-ID on the next run.

Temporary failures are retried with a doubling backoff (one minute to one hour)
for :data:`GIVE_UP_AFTER` from the first try (not from when the message was
queued: a digest waits hours for its time, and a sender may start late);
permanent ones (an SMTP 5xx, an HTTP 4xx) fail at once, and a recipient refused
for good is not mailed again. Reply emails go to one address at most once per
thread every :data:`REPLY_INTERVAL`: a message that would come sooner waits, and
the replies arriving meanwhile join it.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from ..models import utcnow
from ..redaction import mask_email
from ..settings import Settings
from ..store import Store
from ..store.outbox import OutboxMessage
from .channels import DeliveryError, PermanentFailure, SmtpChannel, WebhookChannel
from .config import NotifyConfig
from .events import queue_daily_summaries
from .messages import NothingToSend, Renderer
from .tokens import LinkSigner

logger = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=24)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
REPLY_INTERVAL = timedelta(minutes=10)
#: Sent and cancelled messages are kept this long for ``status`` and the rate limit.
KEEP_SENT = timedelta(days=30)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed try: 1, 2, 4 … minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


@dataclass
class SendReport:
    """What one :func:`send_due` run did."""

    sent: list[str] = field(default_factory=list)
    retrying: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    cancelled: list[tuple[str, str]] = field(default_factory=list)
    bounced: list[str] = field(default_factory=list)  # masked addresses
    postponed: int = 0
    recovered: int = 0  # messages a stopped sender had left half-sent
    summaries_queued: int = 0
    #: Another sender held the lock: this run did nothing.
    busy: bool = False

    def summary(self) -> str:
        if self.busy:
            return "another sender is running; nothing done"
        text = (
            f"sent {len(self.sent)}, retrying {len(self.retrying)}, failed {len(self.failed)}, "
            f"cancelled {len(self.cancelled)}"
        )
        if self.postponed:
            text += f"; {self.postponed} held back by the reply limit"
        if self.recovered:
            text += f"; {self.recovered} left half-sent by a stopped sender, sent again"
        return text

    def lines(self) -> list[str]:
        lines = [f"will retry {mid}: {why}" for mid, why in self.retrying]
        lines += [f"failed {mid}: {why}" for mid, why in self.failed]
        lines += [f"cancelled {mid}: {why}" for mid, why in self.cancelled]
        lines += [f"{address} bounced: not mailed again" for address in self.bounced]
        return lines


@contextlib.contextmanager
def sender_lock(db_path: Path) -> Iterator[bool]:
    """Hold the database's sender lock if no one else does; yields whether we have it."""
    if str(db_path) == ":memory:":
        yield True
        return
    path = Path(f"{db_path}.notify.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class _Sender:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        config: NotifyConfig,
        report: SendReport,
        *,
        http_client: httpx.Client | None,
        signer: LinkSigner,
    ) -> None:
        self.store = store
        self.config = config
        self.report = report
        self.renderer = Renderer(store, settings, config, signer)
        self.smtp = SmtpChannel(config.smtp)
        self.webhook = (
            WebhookChannel(config.webhook, http_client=http_client) if config.webhook else None
        )

    def close(self) -> None:
        self.smtp.close()
        if self.webhook is not None:
            self.webhook.close()

    def held_back(self, message: OutboxMessage, now: datetime) -> bool:
        """Whether the reply limit holds this message back (it is postponed if so)."""
        if message.kind != "reply" or message.attempts:
            return False
        last = self.store.outbox.last_sent(
            message.channel, message.kind, message.recipient, message.group_key
        )
        if last is None or now - last >= REPLY_INTERVAL:
            return False
        self.store.outbox.postpone(message.message_id, last + REPLY_INTERVAL)
        self.report.postponed += 1
        return True

    def send(self, message: OutboxMessage, now: datetime) -> None:
        mid, outbox = message.message_id, self.store.outbox
        if self.held_back(message, now) or not outbox.claim(mid, now):
            return
        message = outbox.get(mid)  # as claimed: no item can join it any more
        try:
            rendered = self.renderer.render(message, now)
            if message.channel == "webhook":
                if self.webhook is None:
                    raise NothingToSend("no webhook is configured any more")
                assert rendered.payload is not None
                self.webhook.send(rendered.payload, mid)
            else:
                assert rendered.email is not None
                self.smtp.send(rendered.email, rendered.recipients)
        except NothingToSend as exc:
            outbox.cancel(mid, str(exc))
            self.report.cancelled.append((mid, str(exc)))
            return
        except DeliveryError as exc:
            self.failed(message, exc, now)
            return
        except Exception as exc:  # a bug must not stop the other messages
            logger.exception("message %s could not be sent", mid)
            self.failed(message, DeliveryError(f"unexpected error: {exc!r}"), now)
            return
        outbox.mark_sent(mid, now)  # at once: a crash after this never sends it again
        self.report.sent.append(mid)
        logger.info("sent %s %s message %s", message.channel, message.kind, mid)

    def failed(self, message: OutboxMessage, error: DeliveryError, now: datetime) -> None:
        mid, reason = message.message_id, str(error)
        if isinstance(error, PermanentFailure):
            self.store.outbox.mark_failed(mid, reason)
            self.report.failed.append((mid, reason))
            if error.bounce and message.channel == "email":
                self.store.subscriptions.mark_bounced(message.recipient, reason, now)
                self.report.bounced.append(mask_email(message.recipient))
            logger.warning("message %s failed for good: %s", mid, reason)
        elif now - message.not_before >= GIVE_UP_AFTER:  # since the first try (claim)
            reason = f"gave up after {GIVE_UP_AFTER.total_seconds() / 3600:g} hours: {reason}"
            self.store.outbox.mark_failed(mid, reason)
            self.report.failed.append((mid, reason))
            logger.warning("message %s: %s", mid, reason)
        else:
            next_at = now + backoff(message.attempts)
            self.store.outbox.mark_retry(mid, reason, next_at)
            self.report.retrying.append((mid, reason))
            logger.info("message %s will be retried at %s: %s", mid, next_at, reason)


def send_due(
    store: Store,
    settings: Settings,
    *,
    waiting_too: bool = False,
    now: datetime | None = None,
    http_client: httpx.Client | None = None,
    signer: LinkSigner | None = None,
) -> SendReport:
    """Send every message that is due, once; ``waiting_too`` also retries the messages
    still waiting out their backoff (``moderation notify --all``)."""
    report = SendReport()
    config = NotifyConfig.from_settings(settings)
    with sender_lock(store.path) as ours:
        if not ours:
            report.busy = True
            return report
        started = now or utcnow()
        report.recovered = store.outbox.release_orphans(started)
        report.summaries_queued = queue_daily_summaries(store, config, started)
        sender = _Sender(
            store,
            settings,
            config,
            report,
            http_client=http_client,
            signer=signer or LinkSigner(store.keys.secret),
        )
        try:
            for message in store.outbox.due(started, waiting_too=waiting_too):
                sender.send(message, now or utcnow())
        finally:
            sender.close()
        store.outbox.prune(started - KEEP_SENT)
    return report
