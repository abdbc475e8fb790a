"""The outbox: every message to send, written in the transaction of the event behind it.

A row is one message (an email to one address, or one webhook post). Events add
*items* to it (the ids of the comments it is about): while a message has never
been tried, a new item for the same recipient and group joins it instead of
making another message, which is how digests and the reply limit batch.
A message moves ``queued → sending → sent``, or to ``retrying`` (a temporary
failure, tried again later) and ``failed`` (a permanent one); ``cancelled`` ones
had nothing left to say (their comments were erased, the reader unsubscribed).

The one-click moderation links the alerts carry are kept here too: one row per
comment per message, used at most once.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..models import utcnow
from .db import Part, from_text, to_text


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting for its time (never tried, or put back after a crash)
    SENDING = "sending"  # a sender has claimed it and is sending it now
    RETRYING = "retrying"  # a temporary failure; tried again at next_attempt_at
    SENT = "sent"
    FAILED = "failed"  # a permanent failure, or 24 hours of temporary ones
    CANCELLED = "cancelled"  # nothing left to send (erased, unsubscribed, bounced)


@dataclass(frozen=True)
class OutboxMessage:
    """One message of the outbox, as stored."""

    id: int
    message_id: str
    channel: str  # email or webhook
    kind: str  # held, summary, confirm or reply
    recipient: str  # an email address, or "webhook"
    group_key: str
    items: tuple[str, ...]
    status: MessageStatus
    attempts: int
    created_at: datetime
    #: Not sent before this; from its first try on, when that was (the day of
    #: retries for temporary failures counts from it).
    not_before: datetime
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class ActionLink:
    """A one-click moderation link: which comment, sent to whom, used or not."""

    nonce: str
    message_id: str
    comment_id: str
    moderator: str
    created_at: datetime
    used_at: datetime | None
    used_action: str | None


def _message(row: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        message_id=row["message_id"],
        channel=row["channel"],
        kind=row["kind"],
        recipient=row["recipient"],
        group_key=row["group_key"],
        items=tuple(json.loads(row["items"])),
        status=MessageStatus(row["status"]),
        attempts=row["attempts"],
        created_at=datetime.fromisoformat(row["created_at"]),
        not_before=datetime.fromisoformat(row["not_before"]),
        next_attempt_at=from_text(row["next_attempt_at"]),
        last_error=row["last_error"],
        sent_at=from_text(row["sent_at"]),
    )


def _link(row: sqlite3.Row) -> ActionLink:
    return ActionLink(
        nonce=row["nonce"],
        message_id=row["message_id"],
        comment_id=row["comment_id"],
        moderator=row["moderator"],
        created_at=datetime.fromisoformat(row["created_at"]),
        used_at=from_text(row["used_at"]),
        used_action=row["used_action"],
    )


class Outbox(Part):
    """The ``outbox`` and ``action_links`` tables."""

    # -- queueing (inside the caller's transaction when there is one) -----------------

    def add(
        self,
        *,
        channel: str,
        kind: str,
        recipient: str,
        group_key: str,
        message_id: str,
        not_before: datetime,
        item: str | None = None,
        now: datetime | None = None,
    ) -> OutboxMessage:
        """Queue ``item`` for ``recipient``: in the group's untried message, else a new one.

        ``message_id`` is used only when a new message is made. An item already in
        the message is not added twice.
        """
        now = now or utcnow()
        with self.db.transaction() as conn:
            row = conn.execute(
                """SELECT * FROM outbox WHERE channel = ? AND kind = ? AND recipient = ?
                   AND group_key = ? AND status = 'queued' AND attempts = 0""",
                (channel, kind, recipient, group_key),
            ).fetchone()
            if row is not None:
                items = json.loads(row["items"])
                if item is not None and item not in items:
                    items.append(item)
                    conn.execute(
                        "UPDATE outbox SET items = ? WHERE id = ?", (json.dumps(items), row["id"])
                    )
                message_id = row["message_id"]
            else:
                conn.execute(
                    """INSERT INTO outbox (message_id, channel, kind, recipient, group_key, items,
                           created_at, not_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        message_id,
                        channel,
                        kind,
                        recipient,
                        group_key,
                        json.dumps([item] if item is not None else []),
                        to_text(now),
                        to_text(not_before),
                    ),
                )
            return self.get(message_id)

    def get(self, message_id: str) -> OutboxMessage:
        row = self.conn.execute(
            "SELECT * FROM outbox WHERE message_id = ?", (message_id,)
        ).fetchone()
        if row is None:
            raise KeyError(message_id)
        return _message(row)

    def exists(self, kind: str, recipient: str, group_key: str) -> bool:
        """Whether any message (in any state) of this kind and group went to ``recipient``."""
        return (
            self.conn.execute(
                "SELECT 1 FROM outbox WHERE kind = ? AND recipient = ? AND group_key = ? LIMIT 1",
                (kind, recipient, group_key),
            ).fetchone()
            is not None
        )

    # -- sending -----------------------------------------------------------------------

    def due(self, now: datetime | None = None, *, waiting_too: bool = False) -> list[OutboxMessage]:
        """Messages to send now, oldest first: queued ones whose time has come, and
        retries whose backoff is over (``waiting_too``: every retry, over or not)."""
        now_text = to_text(now or utcnow())
        rows = self.conn.execute(
            """SELECT * FROM outbox
               WHERE (status = 'queued' AND not_before <= ?)
                  OR (status = 'retrying' AND (? OR next_attempt_at <= ?))
               ORDER BY not_before, id""",
            (now_text, int(waiting_too), now_text),
        )
        return [_message(row) for row in rows]

    def claim(self, message_id: str, now: datetime | None = None) -> bool:
        """Take a due message for sending (committed before anything is sent).

        The first claim records when the message was first tried in ``not_before``
        (it may be long after the message was queued, or due).
        """
        with self.db.transaction() as conn:
            return (
                conn.execute(
                    """UPDATE outbox SET status = 'sending', attempts = attempts + 1,
                           not_before = CASE WHEN attempts = 0 THEN max(not_before, ?)
                                        ELSE not_before END
                       WHERE message_id = ? AND status IN ('queued', 'retrying')""",
                    (to_text(now or utcnow()), message_id),
                ).rowcount
                == 1
            )

    def _finish(self, message_id: str, status: MessageStatus, **columns: str | None) -> None:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        with self.db.transaction() as conn:
            conn.execute(
                f"UPDATE outbox SET status = ?{', ' if columns else ''}{assignments} "
                "WHERE message_id = ?",
                (str(status), *columns.values(), message_id),
            )

    def mark_sent(self, message_id: str, now: datetime | None = None) -> None:
        self._finish(message_id, MessageStatus.SENT, sent_at=to_text(now or utcnow()))

    def mark_retry(self, message_id: str, error: str, next_attempt_at: datetime) -> None:
        self._finish(
            message_id,
            MessageStatus.RETRYING,
            last_error=error,
            next_attempt_at=to_text(next_attempt_at),
        )

    def mark_failed(self, message_id: str, error: str) -> None:
        self._finish(message_id, MessageStatus.FAILED, last_error=error, next_attempt_at=None)

    def cancel(self, message_id: str, reason: str) -> None:
        self._finish(message_id, MessageStatus.CANCELLED, last_error=reason, next_attempt_at=None)

    def postpone(self, message_id: str, not_before: datetime) -> None:
        """Hold a queued message back until ``not_before`` (it stays open for more items)."""
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE outbox SET not_before = ? WHERE message_id = ? AND status = 'queued'",
                (to_text(not_before), message_id),
            )

    def release_orphans(self, now: datetime | None = None) -> int:
        """Put back messages a crashed sender left ``sending`` (call holding the sender lock).

        Whether the server took such a message is unknown: it is sent again, with the
        same Message-ID, so the receiving side can tell it is the same message.
        """
        if not self._any("status = 'sending'"):
            return 0  # the usual case: no write transaction for nothing
        with self.db.transaction() as conn:
            return conn.execute(
                """UPDATE outbox SET status = 'retrying', next_attempt_at = ?,
                       last_error = 'the sender stopped while sending it; sending it again'
                   WHERE status = 'sending'""",
                (to_text(now or utcnow()),),
            ).rowcount

    def last_sent(self, channel: str, kind: str, recipient: str, group_key: str) -> datetime | None:
        row = self.conn.execute(
            """SELECT max(sent_at) FROM outbox WHERE channel = ? AND kind = ? AND recipient = ?
               AND group_key = ? AND status = 'sent'""",
            (channel, kind, recipient, group_key),
        ).fetchone()
        return from_text(row[0])

    def _any(self, condition: str, *params: str) -> bool:
        return (
            self.conn.execute(f"SELECT 1 FROM outbox WHERE {condition} LIMIT 1", params).fetchone()
            is not None
        )

    # -- what the moderator sees -----------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """How many messages are in each state (every state listed, zeros included)."""
        counts = {str(status): 0 for status in MessageStatus}
        for status, count in self.conn.execute(
            "SELECT status, count(*) FROM outbox GROUP BY status"
        ):
            counts[status] = count
        return counts

    def in_state(self, status: MessageStatus | str, limit: int = 20) -> list[OutboxMessage]:
        """The newest messages in one state."""
        rows = self.conn.execute(
            "SELECT * FROM outbox WHERE status = ? ORDER BY id DESC LIMIT ?",
            (str(status), limit),
        )
        return [_message(row) for row in rows]

    def next_attempt(self) -> datetime | None:
        """When the earliest waiting retry is due."""
        row = self.conn.execute(
            "SELECT min(next_attempt_at) FROM outbox WHERE status = 'retrying'"
        ).fetchone()
        return from_text(row[0])

    # -- privacy -----------------------------------------------------------------------------

    def to_recipient(self, email: str) -> list[OutboxMessage]:
        rows = self.conn.execute(
            "SELECT * FROM outbox WHERE recipient = ? COLLATE NOCASE ORDER BY id", (email,)
        )
        return [_message(row) for row in rows]

    def erase_recipient(self, email: str) -> int:
        """Delete every message addressed to ``email`` (sent or not)."""
        with self.db.transaction() as conn:
            return conn.execute(
                "DELETE FROM outbox WHERE recipient = ? COLLATE NOCASE", (email,)
            ).rowcount

    def prune(self, before: datetime) -> int:
        """Forget sent and cancelled messages older than ``before``."""
        if not self._any("status IN ('sent', 'cancelled') AND created_at < ?", to_text(before)):
            return 0
        with self.db.transaction() as conn:
            return conn.execute(
                "DELETE FROM outbox WHERE status IN ('sent', 'cancelled') AND created_at < ?",
                (to_text(before),),
            ).rowcount

    # -- one-click moderation links ------------------------------------------------------------

    def action_link(
        self, message_id: str, comment_id: str, moderator: str, now: datetime | None = None
    ) -> ActionLink:
        """The link of ``comment_id`` in this message (made the first time it is asked for,
        so a message sent again carries the same links)."""
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT OR IGNORE INTO action_links
                       (nonce, message_id, comment_id, moderator, created_at)
                   VALUES (?, ?, ?, ?, ?)""",
                (
                    secrets.token_urlsafe(18),
                    message_id,
                    comment_id,
                    moderator,
                    to_text(now or utcnow()),
                ),
            )
            row = conn.execute(
                "SELECT * FROM action_links WHERE message_id = ? AND comment_id = ?",
                (message_id, comment_id),
            ).fetchone()
        return _link(row)

    def link(self, nonce: str) -> ActionLink | None:
        row = self.conn.execute("SELECT * FROM action_links WHERE nonce = ?", (nonce,)).fetchone()
        return _link(row) if row is not None else None

    def use_link(self, nonce: str, action: str, now: datetime | None = None) -> bool:
        """Spend a link; False when it was already used (or is unknown)."""
        with self.db.transaction() as conn:
            return (
                conn.execute(
                    """UPDATE action_links SET used_at = ?, used_action = ?
                       WHERE nonce = ? AND used_at IS NULL""",
                    (to_text(now or utcnow()), action, nonce),
                ).rowcount
                == 1
            )
