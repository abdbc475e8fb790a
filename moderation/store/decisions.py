"""The decision log: every state change of every comment, append-only.

A trigger refuses any UPDATE of the log (migration 1); rows only go when their
comment is erased. A moderator's action goes through :meth:`Decisions.moderate`,
which checks it against the workflow table in :mod:`moderation.models`.

Every line a moderator's action writes carries the action's name and an
``action_id`` shared by all the comments of one (bulk) action, so a moderator's
recent actions can be listed and undone as they were made. An undo never edits
the log: it appends a line of its own that puts the comment back where the
undone line found it and names that line in ``undoes``; a line that has been
undone no longer counts as a label (:meth:`~.comments.Comments.labelled`).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ..errors import CommentChanged, InvalidTransition, ModerationError, UnknownComment
from ..models import (
    OLD_SYSTEM_ACTORS,
    Action,
    Label,
    State,
    text_version,
    transition,
    utcnow,
)
from .db import Part, from_text, in_chunks, to_text

#: The ``action`` of a line written by an undo.
UNDO = "undo"

#: A decision the log does not count as a label once it has been undone.
NOT_UNDONE = "NOT EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = {alias}.id)"
#: A decision that still stands: neither an undo nor undone. A comment's latest
#: standing decision is the one an undo may take back (undos stack, newest first).
STANDING = "({alias}.action IS NULL OR {alias}.action != 'undo') AND " + NOT_UNDONE


class UndoError(ModerationError):
    """The decision cannot be undone (unknown, not a moderator's, already undone)."""


def new_action_id() -> str:
    """An id shared by every line of one moderator's action."""
    return f"a-{secrets.token_hex(8)}"


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
    action: str | None = None  # the moderator's action (None: intake, screening)
    action_id: str | None = None
    undoes: int | None = None  # the line this one undoes


@dataclass(frozen=True)
class ActionRecord:
    """One action of a moderator: the lines it wrote, and whether it was undone."""

    action_id: str
    action: str
    actor: str
    at: datetime
    entries: list[DecisionEntry] = field(default_factory=list)
    #: Ids of the lines already undone (by an undo of this action or of one comment).
    undone: frozenset[int] = frozenset()
    #: Ids of the lines that can still be undone: not undone, and still their
    #: comment's latest decision (nobody moved the comment since).
    undoable: frozenset[int] = frozenset()

    @property
    def comment_ids(self) -> list[str]:
        return [entry.comment_id for entry in self.entries]


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
    action: str | None = None,
    action_id: str | None = None,
    undoes: int | None = None,
) -> DecisionEntry:
    """Append one line to the log (inside the caller's transaction)."""
    at = at or utcnow()
    cursor = conn.execute(
        """INSERT INTO decisions (comment_id, at, actor, from_state, to_state, label, note,
               action, action_id, undoes)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            comment_id,
            to_text(at),
            actor,
            from_state and str(from_state),
            str(to_state),
            label and str(label),
            note,
            action,
            action_id,
            undoes,
        ),
    )
    assert cursor.lastrowid is not None
    return DecisionEntry(
        cursor.lastrowid,
        comment_id,
        at,
        actor,
        from_state,
        to_state,
        label,
        note,
        action,
        action_id,
        undoes,
    )


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
        action=row["action"],
        action_id=row["action_id"],
        undoes=row["undoes"],
    )


def _refuse_if_changed(
    row: sqlite3.Row, comment_id: str, action: Action | str, seen: str | None
) -> None:
    """:class:`CommentChanged` when ``seen`` is not the version of the text in ``row``."""
    current = text_version(row["author"], row["author_url"], row["body"])
    if seen is None or seen == current:
        return
    edited = from_text(row["edited_at"])
    if edited is None:  # never edited: the version given is simply not this text's
        raise CommentChanged(
            comment_id,
            f"comment {comment_id} is at version {current}, not {seen}: "
            f"show it again and read it before you {action} it",
        )
    raise CommentChanged(
        comment_id,
        f"comment {comment_id} was edited at {edited:%Y-%m-%d %H:%M:%S} UTC, after it was "
        f"shown to you: read its new text before you {action} it",
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
        action_id: str | None = None,
        seen: str | None = None,
    ) -> DecisionEntry:
        """Apply a moderator's ``action`` (approve, reject, spam, promo, restore).

        ``seen`` is the version of the text the moderator was shown
        (:attr:`~moderation.models.Comment.version`): if the text has changed
        since, :class:`CommentChanged` is raised and nothing is done. Lines of one
        bulk action share ``action_id`` (a new one when not given).
        """
        with self.db.transaction() as conn:
            row = conn.execute(
                """SELECT status, withdrawn_at, author, author_url, body, edited_at
                   FROM comments WHERE id = ?""",
                (comment_id,),
            ).fetchone()
            if row is None:
                raise UnknownComment(comment_id)
            _refuse_if_changed(row, comment_id, action, seen)
            current = State(row["status"])
            move = transition(action, comment_id, current)
            if row["withdrawn_at"] is not None and move.to not in (State.REJECTED, State.SPAM):
                # Issue 13: its author withdrew it; nobody may publish it again.
                raise InvalidTransition(
                    f"cannot {action} comment {comment_id}: its author withdrew it"
                )
            conn.execute(
                """UPDATE comments SET status = ?, next_check_at = NULL, updated_at = ?
                   WHERE id = ?""",
                (str(move.to), to_text(utcnow()), comment_id),
            )
            return log_decision(
                conn,
                comment_id,
                actor,
                current,
                move.to,
                move.label,
                note,
                action=str(Action(action)),
                action_id=action_id or new_action_id(),
            )

    def check_seen(self, comment_id: str, action: Action | str, seen: str | None) -> None:
        """Raise :class:`CommentChanged` as :meth:`moderate` would, changing nothing."""
        row = self.conn.execute(
            "SELECT author, author_url, body, edited_at FROM comments WHERE id = ?", (comment_id,)
        ).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        _refuse_if_changed(row, comment_id, action, seen)

    def undo(
        self,
        decision_ids: list[int],
        *,
        actor: str,
        action_id: str | None = None,
        note: str | None = None,
    ) -> tuple[list[tuple[DecisionEntry, DecisionEntry]], list[tuple[int, str]]]:
        """Undo moderators' decisions: each comment goes back where the decision found it.

        Returns (undone line, the undo's own line) pairs, and (id, why) for each line
        left alone: already undone, or its comment was moved since (undoing it would
        silently throw that later decision away). Unknown ids and lines that are not a
        moderator's action raise :class:`UndoError` before anything changes. All the
        undos are one transaction and share one ``action_id``.
        """
        action_id = action_id or new_action_id()
        done: list[tuple[DecisionEntry, DecisionEntry]] = []
        left: list[tuple[int, str]] = []
        with self.db.transaction() as conn:
            entries = []
            for decision_id in decision_ids:
                row = conn.execute(
                    "SELECT * FROM decisions WHERE id = ?", (decision_id,)
                ).fetchone()
                if row is None:
                    raise UndoError(f"there is no decision {decision_id}")
                entry = _entry_from_row(row)
                if entry.action is None or entry.action == UNDO or entry.from_state is None:
                    raise UndoError(
                        f"decision {decision_id} on {entry.comment_id} was not a moderator's "
                        "action: only those can be undone"
                    )
                entries.append(entry)
            for entry in entries:
                undone_by = conn.execute(
                    "SELECT actor FROM decisions WHERE undoes = ?", (entry.id,)
                ).fetchone()
                if undone_by is not None:
                    left.append(
                        (entry.id, f"{entry.comment_id} was already undone by {undone_by[0]}")
                    )
                    continue
                latest = conn.execute(
                    f"""SELECT id, actor, to_state FROM decisions d WHERE comment_id = ?
                        AND {STANDING.format(alias="d")} ORDER BY id DESC LIMIT 1""",
                    (entry.comment_id,),
                ).fetchone()
                current = conn.execute(
                    "SELECT status FROM comments WHERE id = ?", (entry.comment_id,)
                ).fetchone()
                if latest["id"] != entry.id or current[0] != str(entry.to_state):
                    left.append(
                        (
                            entry.id,
                            f"{entry.comment_id} was moved since by {latest['actor']} "
                            f"(now {latest['to_state']}): undo that first",
                        )
                    )
                    continue
                assert entry.from_state is not None  # checked above
                conn.execute(
                    """UPDATE comments SET status = ?, next_check_at = NULL, updated_at = ?
                       WHERE id = ?""",
                    (str(entry.from_state), to_text(utcnow()), entry.comment_id),
                )
                line = log_decision(
                    conn,
                    entry.comment_id,
                    actor,
                    entry.to_state,
                    entry.from_state,
                    None,
                    note,
                    action=UNDO,
                    action_id=action_id,
                    undoes=entry.id,
                )
                done.append((entry, line))
        return done, left

    def recent_actions(self, actor: str, limit: int = 20) -> list[ActionRecord]:
        """``actor``'s last ``limit`` actions (undos not counted), newest first."""
        ids = [
            row[0]
            for row in self.conn.execute(
                """SELECT action_id FROM decisions
                   WHERE actor = ? AND action_id IS NOT NULL AND action != ?
                   GROUP BY action_id ORDER BY max(id) DESC LIMIT ?""",
                (actor, UNDO, int(limit)),
            )
        ]
        return [self.action(action_id) for action_id in ids]

    def action(self, action_id: str) -> ActionRecord:
        """Every line of one action, with what has been undone and what still can be."""
        rows = self.conn.execute(
            f"""SELECT d.*,
                   EXISTS (SELECT 1 FROM decisions u WHERE u.undoes = d.id) AS is_undone,
                   (SELECT max(l.id) FROM decisions l WHERE l.comment_id = d.comment_id
                    AND {STANDING.format(alias="l")}) AS latest
               FROM decisions d WHERE d.action_id = ? ORDER BY d.id""",
            (action_id,),
        ).fetchall()
        if not rows:
            raise UndoError(f"there is no action {action_id!r}")
        entries = [_entry_from_row(row) for row in rows]
        undone = frozenset(row["id"] for row in rows if row["is_undone"])
        undoable = frozenset(
            row["id"]
            for row in rows
            if not row["is_undone"] and row["latest"] == row["id"] and row["action"] != UNDO
        )
        first = entries[0]
        return ActionRecord(
            action_id=action_id,
            action=first.action or "",
            actor=first.actor,
            at=first.at,
            entries=entries,
            undone=undone,
            undoable=undoable,
        )

    def removed_on_old_system(self, comment_ids: Iterable[str]) -> set[str]:
        """Of ``comment_ids``, the rejected comments whose standing decision is an import's
        (:data:`~moderation.models.OLD_SYSTEM_ACTORS`): deleted on the blog's old system,
        where their replies stayed, so they stay as tombstones here. A moderator's later
        decision here (a restore, say) takes over; undoing it brings the import's back."""
        found: set[str] = set()
        actors = ", ".join("?" for _ in OLD_SYSTEM_ACTORS)
        for chunk in in_chunks(comment_ids):
            rows = self.conn.execute(
                f"""SELECT c.id FROM comments c
                    WHERE c.id IN ({", ".join("?" for _ in chunk)}) AND c.status = ?
                    AND (SELECT d.actor FROM decisions d WHERE d.comment_id = c.id
                         AND {STANDING.format(alias="d")} ORDER BY d.id DESC LIMIT 1)
                        IN ({actors})""",
                (*chunk, str(State.REJECTED), *OLD_SYSTEM_ACTORS),
            )
            found.update(row[0] for row in rows)
        return found

    def of(self, comment_id: str | None = None) -> list[DecisionEntry]:
        """The decision log, oldest first, for one comment or all."""
        sql, params = "SELECT * FROM decisions", ()
        if comment_id is not None:
            sql, params = sql + " WHERE comment_id = ?", (comment_id,)
        return [_entry_from_row(row) for row in self.conn.execute(sql + " ORDER BY id", params)]

    def count_labelled(self) -> int:
        """How many comments carry a moderator's label that was not undone."""
        return self.conn.execute(
            "SELECT count(DISTINCT comment_id) FROM decisions d WHERE label IS NOT NULL AND "
            + NOT_UNDONE.format(alias="d")
        ).fetchone()[0]
