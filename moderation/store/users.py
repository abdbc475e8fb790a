"""Moderator accounts and failed logins (issue 10).

Only a password *hash* is ever stored (made by :mod:`moderation.accounts`); the
failed-login table remembers the name tried, the address and the time, never the
password, and is what the login limits count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..models import utcnow
from .db import Part, to_text


@dataclass(frozen=True)
class LoginAttempt:
    """A login attempt's place in the failure count (:meth:`Users.reserve_attempt`):
    ``at`` when it was taken, or refused because ``over`` (``username`` or
    ``address``) has its limit of ``failures`` (their times, oldest first)."""

    at: datetime | None
    over: str | None = None
    failures: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class Moderator:
    """One account: its name and when it was made and last given a password."""

    name: str
    created_at: datetime
    password_changed_at: datetime


class Users(Part):
    """The ``moderators`` and ``login_failures`` tables."""

    def add(self, name: str, password_hash: str) -> bool:
        """Create the account; False when the name is taken."""
        now = to_text(utcnow())
        with self.db.transaction() as conn:
            cursor = conn.execute(
                """INSERT OR IGNORE INTO moderators
                   (name, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?)""",
                (name, password_hash, now, now),
            )
        return cursor.rowcount == 1

    def set_password_hash(
        self, name: str, password_hash: str, *, replacing: str | None = None
    ) -> bool:
        """Replace the hash; False when there is no such account.

        A new password also ends every session of the account. ``replacing`` is a
        rehash (the same password, hashed with newer parameters at login): sessions
        stay, and it is done only while the stored hash is still ``replacing`` (else
        False), so it never undoes a password change made meanwhile.
        """
        with self.db.transaction() as conn:
            if replacing is not None:
                return (
                    conn.execute(
                        "UPDATE moderators SET password_hash = ? "
                        "WHERE name = ? AND password_hash = ?",
                        (password_hash, name, replacing),
                    ).rowcount
                    == 1
                )
            changed = conn.execute(
                """UPDATE moderators SET password_hash = ?, password_changed_at = ?
                   WHERE name = ?""",
                (password_hash, to_text(utcnow()), name),
            ).rowcount
            if changed:
                conn.execute("DELETE FROM sessions WHERE moderator = ?", (name,))
        return changed == 1

    def remove(self, name: str) -> bool:
        """Delete the account (its sessions go with it); False when there was none."""
        with self.db.transaction() as conn:
            return conn.execute("DELETE FROM moderators WHERE name = ?", (name,)).rowcount == 1

    def password_hash(self, name: str) -> str | None:
        row = self.conn.execute(
            "SELECT password_hash FROM moderators WHERE name = ?", (name,)
        ).fetchone()
        return row[0] if row else None

    def all(self) -> list[Moderator]:
        return [
            Moderator(
                row["name"],
                datetime.fromisoformat(row["created_at"]),
                datetime.fromisoformat(row["password_changed_at"]),
            )
            for row in self.conn.execute("SELECT * FROM moderators ORDER BY name")
        ]

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM moderators").fetchone()[0]

    # -- failed logins ---------------------------------------------------------------

    def reserve_attempt(
        self, username: str, address: str, limits: Mapping[str, int], since: datetime
    ) -> LoginAttempt:
        """Take a place for a login attempt before its password is checked.

        In one transaction: the failures since ``since`` for ``username`` and from
        ``address`` are counted against ``limits`` (``{"username": 5, "address":
        20}``), and unless one is reached the attempt is recorded as a failure at
        once. Parallel attempts each take a place, so no more than the limit are ever
        checked; a right password gives its place back (:meth:`clear_failures`).
        """
        now = utcnow()
        values = {"username": username, "address": address}
        with self.db.transaction() as conn:
            for column, limit in limits.items():
                failures = self._failures(column, values[column], since)
                if len(failures) >= limit:
                    return LoginAttempt(None, column, failures)
            conn.execute(
                "INSERT INTO login_failures (at, username, address) VALUES (?, ?, ?)",
                (to_text(now), username, address),
            )
        return LoginAttempt(now)

    def failures_since(
        self, since: datetime, *, username: str | None = None, address: str | None = None
    ) -> list[datetime]:
        """When the failures for ``username`` (or from ``address``) since ``since`` were."""
        if username is not None:
            return self._failures("username", username, since)
        return self._failures("address", address or "", since)

    def _failures(self, column: str, value: str, since: datetime) -> list[datetime]:
        assert column in ("username", "address")
        return [
            datetime.fromisoformat(row[0])
            for row in self.conn.execute(
                f"SELECT at FROM login_failures WHERE {column} = ? AND at >= ? ORDER BY at",
                (value, to_text(since)),
            )
        ]

    def clear_failures(self, username: str) -> None:
        """Forget a name's failures (after it logged in with the right password)."""
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM login_failures WHERE username = ?", (username,))

    def forget_failures_before(self, before: datetime) -> int:
        with self.db.transaction() as conn:
            return conn.execute(
                "DELETE FROM login_failures WHERE at < ?", (to_text(before),)
            ).rowcount
