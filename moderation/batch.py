"""The batch interface: ``train FILE.jsonl`` and ``classify FILE.jsonl``.

Both read JSON Lines, one comment per line::

    {"body": "...", "author": "...", "author_url": "...", "email": "...",
     "article": "slug", "article_title": "...", "article_text": "...",
     "label": "spam" | "promo" | "ham"}

``article`` names an article of the content folder; ``article_title`` and
``article_text`` describe one that is not there (they win over ``article``). A
line without any of them is screened all the same.

``train`` keeps each labelled line as a training example (counted like a
moderator's decision, never queued or published) and retrains the model.
``classify`` screens every line with the
local signals — rules, promotion, intake and the stored model, never Akismet,
so a run is offline and repeatable — and writes one JSON verdict per line in
the same order; it never writes to the store. A malformed line is reported by
its number and, for ``classify``, still gets its output line.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .errors import InputError, ValidationError
from .jsonlines import JsonLine, read_json_lines
from .models import Comment, Label, Origin
from .settings import Settings
from .store import Store
from .submission import parse_submission

logger = logging.getLogger(__name__)

DEFAULT_AUTHOR = "Anonymous"
MAX_ARTICLE_TITLE = 500
MAX_ARTICLE_TEXT = 500_000


@dataclass
class BatchReport:
    """What a batch command did with a file."""

    lines: int = 0
    errors: list[str] = field(default_factory=list)  # "line N: what is wrong"
    added: int = 0
    skipped: int = 0  # train: lines already among the training examples
    counts: Counter[str] = field(default_factory=Counter)  # per label or decision
    training: Any = None  # train: the TrainingSummary of the retrain

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else InputError.exit_code

    def __str__(self) -> str:
        parts = [f"{self.lines} lines"]
        if self.counts:
            parts.append(", ".join(f"{n} {name}" for name, n in sorted(self.counts.items())))
        if self.added:
            parts.append(f"{self.added} added")
        if self.skipped:
            parts.append(f"{self.skipped} already known")
        if self.training is not None:
            parts.append(self.training.message)
        if self.errors:
            parts.append(f"{len(self.errors)} malformed")
        return "; ".join(parts)


@dataclass(frozen=True)
class BatchLine:
    number: int
    comment: Comment | None
    label: Label | None
    error: str | None


def read_lines(path: str | Path, *, need_label: bool) -> list[BatchLine]:
    """Parse every line of a JSONL file; a bad line becomes an error naming its number."""
    return [_batch_line(line, need_label=need_label) for line in read_json_lines(path)]


def _batch_line(line: JsonLine, *, need_label: bool) -> BatchLine:
    if line.fields is None:
        return BatchLine(line.number, None, None, line.error)

    def error(message: str) -> BatchLine:
        return BatchLine(line.number, None, None, f"line {line.number}: {message}")

    fields = line.fields
    label = None
    raw_label = fields.get("label")
    if need_label or raw_label is not None:
        if raw_label is None:
            return error("label: is required ('spam', 'promo' or 'ham')")
        try:
            label = Label(str(raw_label).strip().lower())
        except ValueError:
            return error(f"label: must be 'spam', 'promo' or 'ham', got {raw_label!r}")
    if fields.get("author") is None and fields.get("name") is None:
        fields = {**fields, "author": DEFAULT_AUTHOR}
    try:
        comment = parse_submission(fields, origin=Origin.BATCH, require_article=False)
        title = _optional_text(fields, "article_title", MAX_ARTICLE_TITLE)
        text = _optional_text(fields, "article_text", MAX_ARTICLE_TEXT)
        if title is not None or text is not None:
            comment = comment.with_changes(article_title=title, article_text=text)
    except ValidationError as exc:
        return error(str(exc))
    return BatchLine(line.number, comment, label, None)


def _optional_text(fields: dict[str, Any], name: str, limit: int) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(name, f"must be a string, got {type(value).__name__}")
    if len(value) > limit:
        raise ValidationError(name, f"is {len(value):,} characters long; the limit is {limit:,}")
    return value.strip() or None


def train_file(store: Store, settings: Settings, path: str | Path) -> BatchReport:
    """Add the labelled lines of ``path`` to the training examples, then retrain the model."""
    from .screening.learned import retrain

    report = BatchReport()
    parsed = read_lines(path, need_label=True)
    report.lines = len(parsed)
    known = store.training.content_hashes()
    examples: list[tuple[Comment, Label]] = []
    for line in parsed:
        if line.error is not None:
            report.errors.append(line.error)
            continue
        assert line.comment is not None and line.label is not None
        if line.comment.content_hash in known:
            report.skipped += 1
            continue
        known.add(line.comment.content_hash)
        examples.append((line.comment, line.label))
        report.counts[str(line.label)] += 1
    report.added = store.training.add_many(examples, source=f"train:{Path(path).name}")
    report.training = retrain(store, settings)
    logger.info("trained from %s: %s", path, report)
    return report


def classify_file(store: Store, settings: Settings, path: str | Path, out: TextIO) -> BatchReport:
    """Write one JSON verdict line to ``out`` for each line of ``path``, in order."""
    from .screening import Screener

    report = BatchReport()
    parsed = read_lines(path, need_label=False)
    report.lines = len(parsed)
    comments = [line.comment for line in parsed if line.comment is not None]
    screener = Screener(settings, store, akismet_client=None)
    verdicts = iter(screener.screen_many(comments))
    for line in parsed:
        if line.error is not None:
            report.errors.append(line.error)
            record: dict[str, Any] = {
                "decision": "hold",
                "score": None,
                "reasons": [],
                "error": line.error,
            }
        else:
            verdict = next(verdicts)
            report.counts[str(verdict.decision)] += 1
            record = {
                "decision": str(verdict.decision),
                "score": verdict.score,
                "reasons": list(verdict.reasons),
            }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return report
