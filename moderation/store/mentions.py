"""Received Webmentions: one row per source and target, and the comment each became.

A mention arrives ``pending`` (the endpoint answered 202 and stored it); the
verifier fetches the source and records the outcome: ``verified`` (it links to
the target; ``comment_id`` names the comment made from it, screened and moderated
like any other), ``refused`` (it does not link, or could not be fetched) or
``gone`` (it links no more, or answers 410: its comment is withdrawn). When the
source sends the same mention again it becomes ``pending`` once more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..errors import StoreError
from ..models import utcnow
from .db import Part, from_text, in_chunks, to_text

PENDING, VERIFIED, REFUSED, GONE = "pending", "verified", "refused", "gone"


@dataclass(frozen=True)
class Mention:
    id: int
    source: str
    target: str
    article: str
    received_at: datetime
    sender_ip: str | None
    state: str
    kind: str | None
    comment_id: str | None
    checked_at: datetime | None
    attempts: int
    problem: str | None


def _mention(row: sqlite3.Row) -> Mention:
    received = from_text(row["received_at"])
    assert received is not None
    return Mention(
        id=row["id"],
        source=row["source"],
        target=row["target"],
        article=row["article"],
        received_at=received,
        sender_ip=row["sender_ip"],
        state=row["state"],
        kind=row["kind"],
        comment_id=row["comment_id"],
        checked_at=from_text(row["checked_at"]),
        attempts=row["attempts"],
        problem=row["problem"],
    )


class Mentions(Part):
    """The ``webmentions`` table."""

    def receive(
        self,
        source: str,
        target: str,
        article: str,
        *,
        sender_ip: str | None = None,
        now: datetime | None = None,
    ) -> Mention:
        """Store a mention to verify (again, if this source sent it before)."""
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT INTO webmentions (source, target, article, received_at, sender_ip)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (source, target) DO UPDATE SET state = 'pending',
                       article = excluded.article, received_at = excluded.received_at,
                       sender_ip = excluded.sender_ip""",
                (source, target, article, to_text(now or utcnow()), sender_ip),
            )
            row = conn.execute(
                "SELECT * FROM webmentions WHERE source = ? AND target = ?", (source, target)
            ).fetchone()
        return _mention(row)

    def get(self, mention_id: int) -> Mention:
        row = self.conn.execute("SELECT * FROM webmentions WHERE id = ?", (mention_id,)).fetchone()
        if row is None:
            raise StoreError(f"no webmention {mention_id}")
        return _mention(row)

    def pending(self, limit: int | None = None) -> list[Mention]:
        """Mentions waiting for their source to be checked, oldest first."""
        sql = "SELECT * FROM webmentions WHERE state = 'pending' ORDER BY received_at, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_mention(row) for row in self.conn.execute(sql)]

    def record(
        self,
        mention_id: int,
        state: str,
        *,
        kind: str | None = None,
        comment_id: str | None = None,
        problem: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Keep the outcome of a check (the comment id stays when none is given)."""
        with self.db.transaction() as conn:
            conn.execute(
                """UPDATE webmentions SET state = ?, kind = coalesce(?, kind),
                       comment_id = coalesce(?, comment_id), problem = ?, checked_at = ?,
                       attempts = attempts + 1
                   WHERE id = ?""",
                (state, kind, comment_id, problem, to_text(now or utcnow()), mention_id),
            )

    def of_comments(self, comment_ids: Sequence[str]) -> dict[str, Mention]:
        """The mention each of ``comment_ids`` was made from (those that were)."""
        found: dict[str, Mention] = {}
        for chunk in in_chunks(comment_ids):
            marks = ",".join("?" * len(chunk))
            for row in self.conn.execute(
                f"SELECT * FROM webmentions WHERE comment_id IN ({marks})", chunk
            ):
                found[row["comment_id"]] = _mention(row)
        return found

    def list(self, *, state: str | None = None, limit: int | None = None) -> list[Mention]:
        """Mentions, newest first, optionally in one state."""
        sql, params = "SELECT * FROM webmentions", []
        if state is not None:
            sql, params = sql + " WHERE state = ?", [state]
        sql += " ORDER BY received_at DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_mention(row) for row in self.conn.execute(sql, params)]
