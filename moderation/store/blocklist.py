"""The senders' blocklist (issue 10): emails, email domains, link domains and IPs.

Moderators add entries from the review page; the ``blocklist`` screening signal
reads them for every batch it screens, so an entry applies to the next comment.
Values are kept normalised (lower case; an IP or network in its canonical form)
by :mod:`moderation.blocking`, which checks them first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..models import utcnow
from .db import Part, to_text


class BlockKind(StrEnum):
    EMAIL = "email"  # the author's email address
    DOMAIN = "domain"  # the domain of the author's email address
    LINK_DOMAIN = "link_domain"  # a host the comment links to (body or author URL)
    IP = "ip"  # an address or a network


@dataclass(frozen=True)
class BlockEntry:
    id: int
    kind: BlockKind
    value: str
    note: str | None
    added_by: str
    added_at: datetime


class Blocklist(Part):
    """The ``blocklist`` table."""

    def add(self, kind: BlockKind, value: str, *, added_by: str, note: str | None = None) -> bool:
        """Add an entry; False when the same kind and value are already there."""
        with self.db.transaction() as conn:
            cursor = conn.execute(
                """INSERT OR IGNORE INTO blocklist (kind, value, note, added_by, added_at)
                   VALUES (?, ?, ?, ?, ?)""",
                (str(BlockKind(kind)), value, note, added_by, to_text(utcnow())),
            )
        return cursor.rowcount == 1

    def remove(self, entry_id: int) -> BlockEntry | None:
        """Delete one entry; returns it, or None when there was none."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM blocklist WHERE id = ?", (entry_id,)).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM blocklist WHERE id = ?", (entry_id,))
        return _entry(row)

    def all(self) -> list[BlockEntry]:
        """Every entry, by kind then value."""
        return [
            _entry(row) for row in self.conn.execute("SELECT * FROM blocklist ORDER BY kind, value")
        ]


def _entry(row) -> BlockEntry:
    return BlockEntry(
        id=row["id"],
        kind=BlockKind(row["kind"]),
        value=row["value"],
        note=row["note"],
        added_by=row["added_by"],
        added_at=datetime.fromisoformat(row["added_at"]),
    )
