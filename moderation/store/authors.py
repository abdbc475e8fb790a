"""A sender's earlier comments (issue 10): by email, by IP (or its keyed hash), by link host.

The review page shows them beside a comment, with their states, so a moderator
sees at a glance whether this sender was a regular or a spammer before.
"""

from __future__ import annotations

from datetime import datetime

from ..models import Comment
from .comments import comment_from_row
from .db import Part, like_pattern, to_text


class Authors(Part):
    """Queries over ``comments`` keyed by who sent them."""

    def by_email(self, email: str, before: datetime, exclude_id: str, limit: int) -> list[Comment]:
        return self._earlier("lower(email) = lower(?)", [email], before, exclude_id, limit)

    def by_ip(
        self, ip: str | None, ip_hash: str | None, before: datetime, exclude_id: str, limit: int
    ) -> list[Comment]:
        """Comments from ``ip``, or whose IP retention has replaced by ``ip_hash``."""
        return self._earlier("(ip = ? OR ip_hash = ?)", [ip, ip_hash], before, exclude_id, limit)

    def mentioning(self, host: str, before: datetime, exclude_id: str, limit: int) -> list[Comment]:
        """Comments whose text or author URL contain ``host`` (the caller checks the links)."""
        pattern = like_pattern(host)
        return self._earlier(
            "(body LIKE ? ESCAPE '\\' OR author_url LIKE ? ESCAPE '\\')",
            [pattern, pattern],
            before,
            exclude_id,
            limit,
        )

    def _earlier(
        self, where: str, params: list, before: datetime, exclude_id: str, limit: int
    ) -> list[Comment]:
        rows = self.conn.execute(
            f"""SELECT * FROM comments WHERE {where} AND received_at <= ? AND id != ?
                ORDER BY received_at DESC, id DESC LIMIT ?""",
            [*params, to_text(before), exclude_id, int(limit)],
        )
        return [comment_from_row(row) for row in rows]
