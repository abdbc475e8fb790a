"""Retention of request context, and erasure of one commenter's comments."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ..errors import UnknownComment
from ..models import Comment, utcnow
from .comments import comment_from_row
from .db import Database, Part, to_text
from .keys import Keys

logger = logging.getLogger(__name__)


class Privacy(Part):
    """What the store forgets: old request context, and a commenter who asks."""

    def __init__(self, db: Database, keys: Keys) -> None:
        super().__init__(db)
        self.keys = keys

    def apply_retention(self, days: float, now: datetime | None = None) -> int:
        """Replace IP and user agent older than ``days`` by keyed hashes; returns how many."""
        cutoff = to_text((now or utcnow()) - timedelta(days=days))
        self.keys.secret  # noqa: B018 - make or read the key before taking the write lock
        with self.db.transaction() as conn:
            rows = conn.execute(
                """SELECT id, ip, user_agent FROM comments WHERE received_at < ?
                   AND (ip IS NOT NULL OR user_agent IS NOT NULL)""",
                (cutoff,),
            ).fetchall()
            conn.executemany(
                """UPDATE comments SET ip = NULL, user_agent = NULL,
                       ip_hash = coalesce(?, ip_hash),
                       user_agent_hash = coalesce(?, user_agent_hash)
                   WHERE id = ?""",
                [
                    (
                        row["ip"] and self.keys.keyed_hash("ip", row["ip"]),
                        row["user_agent"] and self.keys.keyed_hash("user_agent", row["user_agent"]),
                        row["id"],
                    )
                    for row in rows
                ],
            )
            # Issue 13: the address that sent a Webmention goes too (its comment
            # keeps the keyed hash).
            conn.execute(
                """UPDATE webmentions SET sender_ip = NULL
                   WHERE received_at < ? AND sender_ip IS NOT NULL""",
                (cutoff,),
            )
        if rows:
            logger.info("retention: hashed the request context of %d comments", len(rows))
        return len(rows)

    def request_context(self, comment_id: str) -> dict[str, str | None]:
        """IP, user agent and their hashes (what retention has left of them)."""
        row = self.conn.execute(
            "SELECT ip, ip_hash, user_agent, user_agent_hash FROM comments WHERE id = ?",
            (comment_id,),
        ).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return dict(row)

    def erase_by_email(self, email: str) -> list[Comment]:
        """Delete every comment written with ``email``, with its screenings and decisions."""
        with self.db.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM comments WHERE lower(email) = lower(?)", (email,)
            ).fetchall()
            conn.execute("DELETE FROM comments WHERE lower(email) = lower(?)", (email,))
        return [comment_from_row(row) for row in rows]
