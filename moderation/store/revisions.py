"""Authors' own changes: editing and withdrawing a comment through its private link.

Every change keeps what it replaced: the earlier name, address and text go into
``comment_revisions`` and the change itself into the decision log (actor
``author``), so nothing a reader sent is lost and a moderator can see each
version. An edit sends the comment back to ``received``, to be screened again,
unless a moderator has put it in ``spam`` or ``rejected``: there it stays; a
withdrawal rejects it for good (``withdrawn_at``), and publishing then removes its
file, or leaves a tombstone where others replied to it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from ..errors import UnknownComment
from ..models import EDIT_RESCREENS, State, content_hash, utcnow
from .db import Part, from_text, to_text
from .decisions import log_decision

AUTHOR = "author"
EDITED_NOTE = "edited by its author"
WITHDRAWN_NOTE = "withdrawn by its author"


@dataclass(frozen=True)
class Revision:
    """A version of a comment that a later change replaced."""

    id: int
    comment_id: str
    at: datetime  # when it was replaced
    kind: str  # "edit" or "withdraw"
    actor: str
    status: State  # the comment's state before the change
    author: str
    author_url: str | None
    body: str


def _revision(row: sqlite3.Row) -> Revision:
    at = from_text(row["at"])
    assert at is not None
    return Revision(
        id=row["id"],
        comment_id=row["comment_id"],
        at=at,
        kind=row["kind"],
        actor=row["actor"],
        status=State(row["status"]),
        author=row["author"],
        author_url=row["author_url"],
        body=row["body"],
    )


class Revisions(Part):
    """The ``comment_revisions`` table and the two changes an author can make."""

    def _current(self, conn: sqlite3.Connection, comment_id: str) -> sqlite3.Row:
        row = conn.execute(
            "SELECT id, article, author, author_url, body, status FROM comments WHERE id = ?",
            (comment_id,),
        ).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return row

    def _keep(
        self, conn: sqlite3.Connection, row: sqlite3.Row, kind: str, actor: str, at: datetime
    ) -> None:
        conn.execute(
            """INSERT INTO comment_revisions
                   (comment_id, at, kind, actor, status, author, author_url, body)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                row["id"],
                to_text(at),
                kind,
                actor,
                row["status"],
                row["author"],
                row["author_url"],
                row["body"],
            ),
        )

    def edit(
        self,
        comment_id: str,
        *,
        author: str,
        author_url: str | None,
        body: str,
        actor: str = AUTHOR,
        note: str = EDITED_NOTE,
        now: datetime | None = None,
    ) -> State:
        """Replace the text of a comment, keep the old one, and queue it for screening.

        A comment a moderator put in ``spam`` or ``rejected`` (or its author withdrew)
        keeps its state: the new text is kept, but only a moderator's ``restore``
        sends it back to the queue (:data:`~moderation.models.EDIT_RESCREENS`).
        Returns the state it had. Nothing happens when nothing changed.
        """
        now = now or utcnow()
        with self.db.transaction() as conn:
            row = self._current(conn, comment_id)
            before = State(row["status"])
            if (row["author"], row["author_url"], row["body"]) == (author, author_url, body):
                return before
            after = State.RECEIVED
            if before not in EDIT_RESCREENS:
                after, note = before, f"{note}; stays {before}: only a restore sends it back"
            self._keep(conn, row, "edit", actor, now)
            conn.execute(
                """UPDATE comments SET author = ?, author_url = ?, body = ?, content_hash = ?,
                       status = ?, edited_at = ?, next_check_at = NULL, updated_at = ?
                   WHERE id = ?""",
                (
                    author,
                    author_url,
                    body,
                    content_hash(row["article"], author, body),
                    str(after),
                    to_text(now),
                    to_text(now),
                    comment_id,
                ),
            )
            log_decision(conn, comment_id, actor, before, after, None, note, at=now)
        return before

    def withdraw(
        self,
        comment_id: str,
        *,
        actor: str = AUTHOR,
        note: str = WITHDRAWN_NOTE,
        now: datetime | None = None,
    ) -> State:
        """Withdraw a comment for good (rejected, never published again); returns its old state."""
        now = now or utcnow()
        with self.db.transaction() as conn:
            row = self._current(conn, comment_id)
            before = State(row["status"])
            withdrawn = conn.execute(
                "SELECT withdrawn_at FROM comments WHERE id = ?", (comment_id,)
            ).fetchone()[0]
            if withdrawn is not None:
                return before
            self._keep(conn, row, "withdraw", actor, now)
            conn.execute(
                """UPDATE comments SET status = ?, withdrawn_at = ?, next_check_at = NULL,
                       updated_at = ? WHERE id = ?""",
                (str(State.REJECTED), to_text(now), to_text(now), comment_id),
            )
            log_decision(conn, comment_id, actor, before, State.REJECTED, None, note, at=now)
        return before

    def of(self, comment_id: str) -> list[Revision]:
        """The replaced versions of a comment, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM comment_revisions WHERE comment_id = ? ORDER BY id", (comment_id,)
        )
        return [_revision(row) for row in rows]

    def withdrawn_ids(self, comment_ids: list[str] | None = None) -> set[str]:
        """Ids of withdrawn comments (among ``comment_ids`` when given)."""
        rows = self.conn.execute("SELECT id FROM comments WHERE withdrawn_at IS NOT NULL")
        found = {row[0] for row in rows}
        return found if comment_ids is None else found & set(comment_ids)
