"""The site's secret key and the keyed hashes made with it.

``MODERATION_SECRET_KEY`` from the environment wins; otherwise a random key is
made once and kept in the database. Keyed hashes stand in for IP addresses,
user agents and emails wherever the value itself must not be kept or shown.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from .db import Part

SECRET_VARIABLE = "MODERATION_SECRET_KEY"


def keyed_hash(secret: bytes, purpose: str, value: str, length: int = 32) -> str:
    """An HMAC of ``value`` for ``purpose``: stable for this site, useless without the key."""
    digest = hmac.new(secret, f"{purpose}\x1f{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:length]


def avatar_hash(secret: bytes, email: str | None) -> str | None:
    """The only form in which an email ever leaves the database (the identicon's seed)."""
    return keyed_hash(secret, "avatar", email.strip().lower(), 16) if email else None


class Keys(Part):
    _secret: bytes | None = None

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            from_env = os.environ.get(SECRET_VARIABLE)
            if from_env:
                self._secret = from_env.encode("utf-8")
            else:
                with self.db.transaction() as conn:
                    conn.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('secret_key', ?)",
                        (secrets.token_hex(32),),
                    )
                    row = conn.execute("SELECT value FROM meta WHERE key = 'secret_key'").fetchone()
                self._secret = row[0].encode("utf-8")
        return self._secret

    def keyed_hash(self, purpose: str, value: str, length: int = 32) -> str:
        """An HMAC of ``value``: stable for this site, useless without the key."""
        return keyed_hash(self.secret, purpose, value, length)

    def avatar_hash(self, email: str | None) -> str | None:
        """The only form in which an email ever leaves the database."""
        return avatar_hash(self.secret, email)
