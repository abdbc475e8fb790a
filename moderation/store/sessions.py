"""Moderators' login sessions, kept on the server (issue 10).

The browser holds a random token; the table holds only its SHA-256, so a copy of
the database cannot be used to log in. A session ends when it has been idle too
long, when it is too old whatever its use, at logout, or when its moderator's
password changes or the account is removed (the rows go with it).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import utcnow
from .db import Part, to_text


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionRecord:
    token_hash: str
    moderator: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


class Sessions(Part):
    """The ``sessions`` table."""

    def create(
        self, token: str, moderator: str, csrf_token: str, *, password_hash: str
    ) -> SessionRecord | None:
        """A session for ``moderator``, whose password was checked against ``password_hash``;
        None when that is no longer their hash (the password was changed meanwhile, which
        ended their sessions: a login that checked the old one must not start a new one)."""
        now = utcnow()
        with self.db.transaction() as conn:
            created = conn.execute(
                """INSERT INTO sessions (token_hash, moderator, csrf_token, created_at,
                       last_seen_at)
                   SELECT ?, name, ?, ?, ? FROM moderators WHERE name = ? AND password_hash = ?""",
                (
                    token_hash(token),
                    csrf_token,
                    to_text(now),
                    to_text(now),
                    moderator,
                    password_hash,
                ),
            ).rowcount
        if not created:
            return None
        return SessionRecord(token_hash(token), moderator, csrf_token, now, now)

    def get(self, token: str) -> SessionRecord | None:
        row = self.conn.execute(
            "SELECT * FROM sessions WHERE token_hash = ?", (token_hash(token),)
        ).fetchone()
        if row is None:
            return None
        return SessionRecord(
            row["token_hash"],
            row["moderator"],
            row["csrf_token"],
            datetime.fromisoformat(row["created_at"]),
            datetime.fromisoformat(row["last_seen_at"]),
        )

    def touch(self, hashed: str, at: datetime | None = None) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?",
                (to_text(at or utcnow()), hashed),
            )

    def delete(self, hashed: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (hashed,))

    def delete_expired(self, *, idle_before: datetime, created_before: datetime) -> int:
        with self.db.transaction() as conn:
            return conn.execute(
                "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                (to_text(idle_before), to_text(created_before)),
            ).rowcount

    # -- the one-shot message shown after a POST-redirect-GET -------------------------

    def set_flash(self, hashed: str, flash: dict[str, Any] | None) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE sessions SET flash = ? WHERE token_hash = ?",
                (json.dumps(flash) if flash is not None else None, hashed),
            )

    def pop_flash(self, hashed: str) -> dict[str, Any] | None:
        # Most pages have no message: look before taking the write lock.
        empty = self.conn.execute(
            "SELECT flash IS NULL FROM sessions WHERE token_hash = ?", (hashed,)
        ).fetchone()
        if empty is None or empty[0]:
            return None
        with self.db.transaction() as conn:
            row = conn.execute(
                "SELECT flash FROM sessions WHERE token_hash = ?", (hashed,)
            ).fetchone()
            if row is None or row[0] is None:
                return None
            conn.execute("UPDATE sessions SET flash = NULL WHERE token_hash = ?", (hashed,))
        return json.loads(row[0])
