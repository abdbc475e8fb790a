"""The decision log: every state change of every comment, append-only.

A trigger refuses any UPDATE of the log (migration 1); rows only go when their
comment is erased. A moderator's action goes through :meth:`Decisions.moderate`,
which checks it against the workflow table in :mod:`moderation.models`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..errors import UnknownComment
from ..models import Action, Label, State, transition, utcnow
from .db import Part, to_text


@dataclass(frozen=True)
class DecisionEntry:
    """One line of the append-only decision log."""

    id: int
    comment_id: str
    at: datetime
    actor: str
    from_state: State | None
    to_state: State
    label: Label | None
    note: str | None


def log_decision(
    conn: sqlite3.Connection,
    comment_id: str,
    actor: str,
    from_state: State | None,
    to_state: State,
    label: Label | None,
    note: str | None,
    *,
    at: datetime | None = None,
) -> DecisionEntry:
    """Append one line to the log (inside the caller's transaction)."""
    at = at or utcnow()
    cursor = conn.execute(
        """INSERT INTO decisions (comment_id, at, actor, from_state, to_state, label, note)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            comment_id,
            to_text(at),
            actor,
            from_state and str(from_state),
            str(to_state),
            label and str(label),
            note,
        ),
    )
    return DecisionEntry(cursor.lastrowid, comment_id, at, actor, from_state, to_state, label, note)


def _entry_from_row(row: sqlite3.Row) -> DecisionEntry:
    return DecisionEntry(
        id=row["id"],
        comment_id=row["comment_id"],
        at=datetime.fromisoformat(row["at"]),
        actor=row["actor"],
        from_state=State(row["from_state"]) if row["from_state"] else None,
        to_state=State(row["to_state"]),
        label=Label(row["label"]) if row["label"] else None,
        note=row["note"],
    )


class Decisions(Part):
    """Moderators' actions and the log they leave."""

    def moderate(
        self,
        comment_id: str,
        action: Action | str,
        *,
        actor: str = "moderator",
        note: str | None = None,
    ) -> DecisionEntry:
        """Apply a moderator's ``action`` (approve, reject, spam, promo, restore)."""
        with self.db.transaction() as conn:
            row = conn.execute("SELECT status FROM comments WHERE id = ?", (comment_id,)).fetchone()
            if row is None:
                raise UnknownComment(comment_id)
            current = State(row[0])
            move = transition(action, comment_id, current)
            conn.execute(
                """UPDATE comments SET status = ?, next_check_at = NULL, updated_at = ?
                   WHERE id = ?""",
                (str(move.to), to_text(utcnow()), comment_id),
            )
            return log_decision(conn, comment_id, actor, current, move.to, move.label, note)

    def of(self, comment_id: str | None = None) -> list[DecisionEntry]:
        """The decision log, oldest first, for one comment or all."""
        sql, params = "SELECT * FROM decisions", ()
        if comment_id is not None:
            sql, params = sql + " WHERE comment_id = ?", (comment_id,)
        return [_entry_from_row(row) for row in self.conn.execute(sql + " ORDER BY id", params)]

    def count_labelled(self) -> int:
        return self.conn.execute(
            "SELECT count(DISTINCT comment_id) FROM decisions WHERE label IS NOT NULL"
        ).fetchone()[0]
