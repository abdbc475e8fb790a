"""Trained models, kept as blobs so every process screens with the same one."""

from __future__ import annotations

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


class TrainedModels(Part):
    def save(self, name: str, blob: bytes, examples: int) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                """INSERT INTO models (name, trained_at, examples, blob) VALUES (?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET trained_at = excluded.trained_at,
                       examples = excluded.examples, blob = excluded.blob""",
                (name, to_text(utcnow()), examples, blob),
            )

    def load(self, name: str) -> StoredModel | None:
        row = self.conn.execute("SELECT * FROM models WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        trained_at = from_text(row["trained_at"])
        assert trained_at is not None  # NOT NULL in the schema
        return StoredModel(row["name"], trained_at, row["examples"], row["blob"])
