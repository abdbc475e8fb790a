"""Training examples: labelled comments given to ``moderation train``, kept apart.

They teach the model like a moderator's decisions do, but nobody wrote them
here: they are never queued, screened, published or counted as history, and
living in a table of their own, no query of the queue can meet one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from ..models import Comment, Label, Origin, utcnow
from .db import Part, to_text


class TrainingExamples(Part):
    def add_many(self, examples: Iterable[tuple[Comment, Label]], *, source: str) -> int:
        """Keep labelled examples (one with text already kept is skipped); how many were new."""
        added = 0
        now = to_text(utcnow())
        with self.db.transaction() as conn:
            for comment, label in examples:
                cursor = conn.execute(
                    """INSERT OR IGNORE INTO training_examples (article, author, email,
                           author_url, body, label, content_hash, source, added_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        comment.article,
                        comment.author,
                        comment.email,
                        comment.author_url,
                        comment.body,
                        str(label),
                        comment.content_hash,
                        source,
                        now,
                    ),
                )
                added += cursor.rowcount
        return added

    def content_hashes(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT content_hash FROM training_examples")}

    def all(self) -> list[tuple[Comment, Label]]:
        """Every example as an unsaved comment with its label, in the order they were added."""
        rows = self.conn.execute("SELECT * FROM training_examples ORDER BY id")
        return [(_comment(row), Label(row["label"])) for row in rows]

    def by_email(self, email: str) -> list[dict[str, str | None]]:
        """The examples written with ``email``, as plain data (for a commenter's export)."""
        rows = self.conn.execute(
            "SELECT * FROM training_examples WHERE lower(email) = lower(?) ORDER BY id", (email,)
        )
        return [
            {key: row[key] for key in ("article", "author", "email", "author_url", "body", "label")}
            | {"source": row["source"], "added_at": row["added_at"]}
            for row in rows
        ]

    def erase_by_email(self, email: str) -> int:
        with self.db.transaction() as conn:
            return conn.execute(
                "DELETE FROM training_examples WHERE lower(email) = lower(?)", (email,)
            ).rowcount

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM training_examples").fetchone()[0]


def _comment(row: sqlite3.Row) -> Comment:
    return Comment(
        article=row["article"],
        author=row["author"],
        body=row["body"],
        email=row["email"],
        author_url=row["author_url"],
        origin=Origin.BATCH,
    )
