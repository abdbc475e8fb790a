"""Readers' reply subscriptions, addresses that bounced, and replies already notified.

A *subscriber* is one email address, with an opaque random token that its
"unsubscribe from everything" link carries. A *thread* is one article the
subscriber follows, confirmed by its own link (double opt-in, one thread at a
time: whoever types a confirmed address into another article's form does not
sign it up for that one), with a token of its own for its confirmation and
"unsubscribe from this thread" links. A *subscription* ties one of the
subscriber's comments to them: replies below that comment are what they hear
about, once its thread is confirmed.
Every row belongs to the commenter's data: export and erase cover them.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import utcnow
from .db import Part, from_text, to_text


@dataclass(frozen=True)
class Subscriber:
    id: int
    email: str
    token: str
    created_at: datetime
    confirm_sent_at: datetime | None
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


@dataclass(frozen=True)
class Recipient:
    """A subscriber to tell about a reply, with the thread it belongs to."""

    subscriber: Subscriber
    article: str
    thread_token: str


@dataclass(frozen=True)
class FollowedThread:
    """One article a subscriber follows, with its own confirmation."""

    subscriber: Subscriber
    article: str
    token: str
    confirm_sent_at: datetime | None
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None

    @property
    def active(self) -> bool:
        return (
            self.confirmed_at is not None
            and self.unsubscribed_at is None
            and self.subscriber.unsubscribed_at is None
        )


_THREADS = """SELECT s.*, t.article AS thread_article, t.token AS thread_token,
        t.confirm_sent_at AS thread_confirm_sent_at, t.confirmed_at AS thread_confirmed_at,
        t.unsubscribed_at AS thread_left
    FROM subscribed_threads t JOIN subscribers s ON s.id = t.subscriber_id"""


def _thread(row: sqlite3.Row | None) -> FollowedThread | None:
    if row is None:
        return None
    return FollowedThread(
        subscriber=_subscriber(row),
        article=row["thread_article"],
        token=row["thread_token"],
        confirm_sent_at=from_text(row["thread_confirm_sent_at"]),
        confirmed_at=from_text(row["thread_confirmed_at"]),
        unsubscribed_at=from_text(row["thread_left"]),
    )


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        id=row["id"],
        email=row["email"],
        token=row["token"],
        created_at=datetime.fromisoformat(row["created_at"]),
        confirm_sent_at=from_text(row["confirm_sent_at"]),
        confirmed_at=from_text(row["confirmed_at"]),
        unsubscribed_at=from_text(row["unsubscribed_at"]),
    )


def _token() -> str:
    return secrets.token_urlsafe(24)


class Subscriptions(Part):
    """The ``subscribers``, ``subscribed_threads``, ``subscriptions``, ``mail_bounces``
    and ``notified_replies`` tables."""

    # -- subscribing -------------------------------------------------------------------

    def subscribe(
        self, comment_id: str, email: str, article: str, now: datetime | None = None
    ) -> Subscriber:
        """Subscribe ``email`` to the replies to ``comment_id`` (inside the caller's
        transaction when there is one).

        Anyone can type any address into the form, so nothing is sent about a thread
        its address has not confirmed for itself: a new thread, one it had left, and
        every thread of an address that had unsubscribed from everything wait for the
        reader's confirmation.
        """
        now_text = to_text(now or utcnow())
        with self.db.transaction() as conn:
            conn.execute(
                """UPDATE subscribed_threads SET confirmed_at = NULL, confirm_sent_at = NULL
                   WHERE subscriber_id = (SELECT id FROM subscribers
                                          WHERE email = ? AND unsubscribed_at IS NOT NULL)""",
                (email,),
            )
            conn.execute(
                """INSERT INTO subscribers (email, token, created_at) VALUES (?, ?, ?)
                   ON CONFLICT (email) DO UPDATE SET
                       confirmed_at = CASE WHEN unsubscribed_at IS NULL THEN confirmed_at END,
                       confirm_sent_at = CASE WHEN unsubscribed_at IS NULL
                                         THEN confirm_sent_at END,
                       unsubscribed_at = NULL""",
                (email, _token(), now_text),
            )
            row = conn.execute("SELECT * FROM subscribers WHERE email = ?", (email,)).fetchone()
            conn.execute(
                """INSERT INTO subscribed_threads (subscriber_id, article, token, created_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT (subscriber_id, article) DO UPDATE SET
                       confirmed_at = CASE WHEN unsubscribed_at IS NULL THEN confirmed_at END,
                       confirm_sent_at = CASE WHEN unsubscribed_at IS NULL
                                         THEN confirm_sent_at END,
                       unsubscribed_at = NULL""",
                (row["id"], article, _token(), now_text),
            )
            conn.execute(
                """INSERT OR IGNORE INTO subscriptions (comment_id, subscriber_id, created_at)
                   VALUES (?, ?, ?)""",
                (comment_id, row["id"], now_text),
            )
        return _subscriber(row)

    def of_comment(self, comment_id: str) -> Subscriber | None:
        """Who asked to hear about replies to ``comment_id``."""
        row = self.conn.execute(
            """SELECT s.* FROM subscribers s JOIN subscriptions c ON c.subscriber_id = s.id
               WHERE c.comment_id = ?""",
            (comment_id,),
        ).fetchone()
        return _subscriber(row) if row is not None else None

    def thread_of(self, comment_id: str) -> FollowedThread | None:
        """The thread the subscription of ``comment_id`` belongs to."""
        row = self.conn.execute(
            f"""{_THREADS} JOIN subscriptions c ON c.subscriber_id = s.id
                JOIN comments m ON m.id = c.comment_id
                WHERE c.comment_id = ? AND t.article = m.article""",
            (comment_id,),
        ).fetchone()
        return _thread(row)

    def thread(self, subscriber_id: int, article: str) -> FollowedThread | None:
        row = self.conn.execute(
            f"{_THREADS} WHERE t.subscriber_id = ? AND t.article = ?", (subscriber_id, article)
        ).fetchone()
        return _thread(row)

    def awaiting_confirmation(self) -> set[str]:
        """The comments whose thread its subscriber has not confirmed (nor left) yet."""
        return {
            row[0]
            for row in self.conn.execute(
                """SELECT c.comment_id FROM subscriptions c
                   JOIN subscribers s ON s.id = c.subscriber_id
                   JOIN comments m ON m.id = c.comment_id
                   JOIN subscribed_threads t ON t.subscriber_id = s.id AND t.article = m.article
                   WHERE t.confirmed_at IS NULL AND t.unsubscribed_at IS NULL
                     AND s.unsubscribed_at IS NULL"""
            )
        }

    def by_email(self, email: str) -> Subscriber | None:
        row = self.conn.execute("SELECT * FROM subscribers WHERE email = ?", (email,)).fetchone()
        return _subscriber(row) if row is not None else None

    def by_token(self, token: str) -> Subscriber | None:
        row = self.conn.execute("SELECT * FROM subscribers WHERE token = ?", (token,)).fetchone()
        return _subscriber(row) if row is not None else None

    def thread_by_token(self, token: str) -> FollowedThread | None:
        row = self.conn.execute(f"{_THREADS} WHERE t.token = ?", (token,)).fetchone()
        return _thread(row)

    def thread_token(self, subscriber_id: int, article: str) -> str | None:
        row = self.conn.execute(
            "SELECT token FROM subscribed_threads WHERE subscriber_id = ? AND article = ?",
            (subscriber_id, article),
        ).fetchone()
        return row[0] if row is not None else None

    # -- confirming and leaving ------------------------------------------------------------

    def _update(self, sql: str, params: tuple[Any, ...]) -> bool:
        with self.db.transaction() as conn:
            return conn.execute(sql, params).rowcount == 1

    def mark_confirm_sent(
        self, subscriber_id: int, article: str, now: datetime | None = None
    ) -> None:
        """A confirmation for ``article`` was queued (for the address, and the thread)."""
        now_text = to_text(now or utcnow())
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?", (now_text, subscriber_id)
            )
            conn.execute(
                """UPDATE subscribed_threads SET confirm_sent_at = ?
                   WHERE subscriber_id = ? AND article = ?""",
                (now_text, subscriber_id, article),
            )

    def confirm_thread(self, subscriber_id: int, article: str, now: datetime | None = None) -> bool:
        """Record the reader's confirmation of one thread (and so of their address);
        False when it was confirmed already."""
        now_text = to_text(now or utcnow())
        with self.db.transaction() as conn:
            if not conn.execute(
                """UPDATE subscribed_threads SET confirmed_at = ?, unsubscribed_at = NULL
                   WHERE subscriber_id = ? AND article = ? AND confirmed_at IS NULL""",
                (now_text, subscriber_id, article),
            ).rowcount:
                return False
            conn.execute(
                """UPDATE subscribers SET confirmed_at = coalesce(confirmed_at, ?),
                       unsubscribed_at = NULL WHERE id = ?""",
                (now_text, subscriber_id),
            )
        return True

    def confirm_address(
        self, subscriber_id: int, sent_at: datetime, now: datetime | None = None
    ) -> bool:
        """A confirmation link for a whole address, as they were before threads were
        confirmed one by one: it confirms the address and the threads it followed when
        the link was made (``sent_at``). False when the address was confirmed already."""
        now_text = to_text(now or utcnow())
        with self.db.transaction() as conn:
            if not conn.execute(
                """UPDATE subscribers SET confirmed_at = ?, unsubscribed_at = NULL
                   WHERE id = ? AND confirmed_at IS NULL""",
                (now_text, subscriber_id),
            ).rowcount:
                return False
            conn.execute(
                """UPDATE subscribed_threads SET confirmed_at = ?
                   WHERE subscriber_id = ? AND confirmed_at IS NULL AND unsubscribed_at IS NULL
                     AND created_at <= ?""",
                (now_text, subscriber_id, to_text(sent_at)),
            )
        return True

    def unsubscribe_all(self, subscriber_id: int, now: datetime | None = None) -> bool:
        """No more reply emails at all; False when that was already so."""
        return self._update(
            "UPDATE subscribers SET unsubscribed_at = ? WHERE id = ? AND unsubscribed_at IS NULL",
            (to_text(now or utcnow()), subscriber_id),
        )

    def unsubscribe_thread(
        self, subscriber_id: int, article: str, now: datetime | None = None
    ) -> bool:
        """No more reply emails about ``article``; False when that was already so."""
        return self._update(
            """UPDATE subscribed_threads SET unsubscribed_at = ?
               WHERE subscriber_id = ? AND article = ? AND unsubscribed_at IS NULL""",
            (to_text(now or utcnow()), subscriber_id, article),
        )

    # -- who hears about a reply ---------------------------------------------------------------

    def recipients(self, comment_ids: list[str]) -> list[Recipient]:
        """Confirmed subscribers of any of ``comment_ids`` who still want to hear about
        their thread, and whose address has not bounced; each address once."""
        if not comment_ids:
            return []
        marks = ",".join("?" * len(comment_ids))
        rows = self.conn.execute(
            f"""SELECT DISTINCT s.*, t.article AS thread_article, t.token AS thread_token
                FROM subscriptions c
                JOIN subscribers s ON s.id = c.subscriber_id
                JOIN comments m ON m.id = c.comment_id
                JOIN subscribed_threads t ON t.subscriber_id = s.id AND t.article = m.article
                WHERE c.comment_id IN ({marks})
                  AND s.confirmed_at IS NOT NULL AND s.unsubscribed_at IS NULL
                  AND t.confirmed_at IS NOT NULL AND t.unsubscribed_at IS NULL
                  AND s.email NOT IN (SELECT email FROM mail_bounces)""",
            comment_ids,
        )
        return [Recipient(_subscriber(r), r["thread_article"], r["thread_token"]) for r in rows]

    def wants_mail(self, email: str, article: str | None = None) -> bool:
        """Whether reply emails may still go to ``email`` (about ``article``)."""
        sql = """SELECT 1 FROM subscribers s WHERE s.email = ? AND s.confirmed_at IS NOT NULL
                 AND s.unsubscribed_at IS NULL
                 AND s.email NOT IN (SELECT email FROM mail_bounces)"""
        params: tuple[str, ...] = (email,)
        if article is not None:
            sql += """ AND EXISTS (SELECT 1 FROM subscribed_threads t WHERE t.subscriber_id = s.id
                       AND t.article = ? AND t.confirmed_at IS NOT NULL
                       AND t.unsubscribed_at IS NULL)"""
            params += (article,)
        return self.conn.execute(sql, params).fetchone() is not None

    def notified_ids(self) -> set[str]:
        """Every reply whose notifications have been queued."""
        return {row[0] for row in self.conn.execute("SELECT comment_id FROM notified_replies")}

    def notified(self, reply_id: str) -> bool:
        return (
            self.conn.execute(
                "SELECT 1 FROM notified_replies WHERE comment_id = ?", (reply_id,)
            ).fetchone()
            is not None
        )

    def mark_notified(self, reply_id: str, recipients: int, now: datetime | None = None) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT OR IGNORE INTO notified_replies (comment_id, notified_at, recipients)
                   VALUES (?, ?, ?)""",
                (reply_id, to_text(now or utcnow()), recipients),
            )

    # -- bounces ------------------------------------------------------------------------------

    def mark_bounced(self, email: str, reason: str, now: datetime | None = None) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT INTO mail_bounces (email, bounced_at, reason) VALUES (?, ?, ?)
                   ON CONFLICT (email) DO UPDATE SET bounced_at = excluded.bounced_at,
                       reason = excluded.reason""",
                (email, to_text(now or utcnow()), reason),
            )

    def clear_bounce(self, email: str) -> bool:
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM mail_bounces WHERE email = ?", (email,)).rowcount == 1

    def bounced(self, email: str) -> tuple[datetime, str] | None:
        """When and why ``email`` bounced, or ``None``."""
        row = self.conn.execute(
            "SELECT bounced_at, reason FROM mail_bounces WHERE email = ?", (email,)
        ).fetchone()
        return (datetime.fromisoformat(row[0]), row[1]) if row is not None else None

    def bounces(self) -> list[tuple[str, datetime, str]]:
        rows = self.conn.execute("SELECT * FROM mail_bounces ORDER BY bounced_at")
        return [(r["email"], datetime.fromisoformat(r["bounced_at"]), r["reason"]) for r in rows]

    # -- privacy ------------------------------------------------------------------------------

    def export(self, email: str) -> dict[str, Any] | None:
        """Everything kept about ``email`` as a subscriber (``None`` if nothing)."""
        subscriber = self.by_email(email)
        bounce = self.bounced(email)
        if subscriber is None and bounce is None:
            return None
        data: dict[str, Any] = {"bounced": None}
        if bounce is not None:
            data["bounced"] = {"at": bounce[0].isoformat(), "reason": bounce[1]}
        if subscriber is not None:
            data.update(
                subscribed_at=subscriber.created_at.isoformat(),
                confirmation_sent_at=_iso(subscriber.confirm_sent_at),
                confirmed_at=_iso(subscriber.confirmed_at),
                unsubscribed_from_everything_at=_iso(subscriber.unsubscribed_at),
                threads=[
                    {
                        "article": row["article"],
                        "since": row["created_at"],
                        "confirmed_at": row["confirmed_at"],
                        "unsubscribed_at": row["unsubscribed_at"],
                    }
                    for row in self.conn.execute(
                        "SELECT * FROM subscribed_threads WHERE subscriber_id = ? ORDER BY article",
                        (subscriber.id,),
                    )
                ],
                comments=[
                    row[0]
                    for row in self.conn.execute(
                        "SELECT comment_id FROM subscriptions WHERE subscriber_id = ? ORDER BY 1",
                        (subscriber.id,),
                    )
                ],
            )
        return data

    def erase(self, email: str) -> int:
        """Forget ``email`` as a subscriber and as a bounced address; returns rows removed."""
        with self.db.transaction() as conn:
            removed = conn.execute("DELETE FROM subscribers WHERE email = ?", (email,)).rowcount
            removed += conn.execute("DELETE FROM mail_bounces WHERE email = ?", (email,)).rowcount
        return removed


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
