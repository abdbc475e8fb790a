"""Trained models, kept as blobs so every process screens with the same one.

Each model keeps the *generation* of the data it learned from: a counter that
every change to that data moves on (triggers of migration 6: a label, an undo,
an edited or erased comment, a training example added or erased). A retrain
reads the generation and the examples in one snapshot (:meth:`TrainedModels.reading`)
and saves only if no model of a newer generation was saved while it was fitting
(:meth:`TrainedModels.save`), so overlapping retrains (the review server's
background one, the CLI, an import, an erasure) always leave the newest data's
model, and never bring back a model that learned from an erased commenter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from ..models import utcnow
from .db import Part, from_text, to_text


@dataclass(frozen=True)
class StoredModel:
    name: str
    trained_at: datetime
    examples: int
    blob: bytes
    generation: int = 0


class TrainedModels(Part):
    def generation(self) -> int:
        """The generation of the data models learn from, as of now."""
        return self.conn.execute("SELECT value FROM training_generation").fetchone()[0]

    @contextmanager
    def reading(self) -> Iterator[int]:
        """A read snapshot for a retrain, giving the generation it sees: every example
        read inside the block is of that generation (writers are not held up)."""
        with self.db.snapshot():
            yield self.generation()

    def save(self, name: str, blob: bytes, examples: int, *, generation: int) -> bool:
        """Keep the model trained from the data of ``generation``, unless a model of a
        newer generation was saved meanwhile; False then (this one is dropped)."""
        with self.db.transaction() as conn:
            return (
                conn.execute(
                    """INSERT INTO models (name, trained_at, examples, blob, generation)
                       VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (name) DO UPDATE SET trained_at = excluded.trained_at,
                           examples = excluded.examples, blob = excluded.blob,
                           generation = excluded.generation
                       WHERE excluded.generation >= models.generation""",
                    (name, to_text(utcnow()), examples, blob, generation),
                ).rowcount
                == 1
            )

    def saved(self, name: str) -> tuple[int, str] | None:
        """When the model ``name`` was last saved, and of which generation; cheap (no blob)."""
        row = self.conn.execute(
            "SELECT generation, trained_at FROM models WHERE name = ?", (name,)
        ).fetchone()
        return (row[0], row[1]) if row is not None else None

    def load(self, name: str) -> StoredModel | None:
        row = self.conn.execute("SELECT * FROM models WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        trained_at = from_text(row["trained_at"])
        assert trained_at is not None  # NOT NULL in the schema
        return StoredModel(row["name"], trained_at, row["examples"], row["blob"], row["generation"])
