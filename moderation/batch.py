"""The batch interface: ``train FILE.jsonl`` and ``classify FILE.jsonl``.

Both read JSON Lines, one comment per line::

    {"body": "...", "author": "...", "author_url": "...", "email": "...",
     "article": "slug", "label": "spam" | "promo" | "ham"}

``train`` adds each labelled line to the decision log as a training comment
(stored as approved for ham, spam for spam and promo, never published) and
retrains the model from the whole log. ``classify`` screens every line with the
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
from .models import TRAINING_ORIGIN, Comment, Label, State
from .settings import Settings
from .store import Store
from .submission import parse_submission

logger = logging.getLogger(__name__)

DEFAULT_AUTHOR = "Anonymous"
_STATE_FOR_LABEL = {Label.HAM: State.APPROVED, Label.SPAM: State.SPAM, Label.PROMO: State.SPAM}


@dataclass
class BatchReport:
    """What a batch command did with a file."""

    lines: int = 0
    errors: list[str] = field(default_factory=list)  # "line N: what is wrong"
    added: int = 0
    skipped: int = 0  # train: lines already in the decision log
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


def read_lines(path: str | Path, *, origin: str, need_label: bool) -> list[BatchLine]:
    """Parse every line of a JSONL file; a bad line becomes an error naming its number."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    lines = raw.split(b"\n")
    if lines and lines[-1] in (b"", b"\r"):
        lines.pop()  # the newline that ends the last line does not start another
    return [
        _parse_line(number, data, origin=origin, need_label=need_label)
        for number, data in enumerate(lines, start=1)
    ]


def _parse_line(number: int, data: bytes, *, origin: str, need_label: bool) -> BatchLine:
    def error(message: str) -> BatchLine:
        return BatchLine(number, None, None, f"line {number}: {message}")

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return error(f"not valid UTF-8 (byte {exc.start + 1})")
    if not text.strip():
        return error("empty line (expected a JSON object)")
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as exc:
        return error(f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(fields, dict):
        return error(f"expected a JSON object, got {type(fields).__name__}")
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
        comment = parse_submission(fields, origin=origin, require_article=False)
    except ValidationError as exc:
        return error(str(exc))
    return BatchLine(number, comment, label, None)


def train_file(store: Store, settings: Settings, path: str | Path) -> BatchReport:
    """Add the labelled lines of ``path`` to the decision log, then retrain the model."""
    from .screening.learned import retrain

    report = BatchReport()
    parsed = read_lines(path, origin=TRAINING_ORIGIN, need_label=True)
    report.lines = len(parsed)
    known = {
        row[0]
        for row in store.conn.execute(
            "SELECT content_hash FROM comments WHERE origin = ?", (TRAINING_ORIGIN,)
        )
    }
    by_label: dict[Label, list[Comment]] = {label: [] for label in Label}
    for line in parsed:
        if line.error is not None:
            report.errors.append(line.error)
            continue
        assert line.comment is not None and line.label is not None
        if line.comment.content_hash in known:
            report.skipped += 1
            continue
        known.add(line.comment.content_hash)
        by_label[line.label].append(line.comment)
        report.counts[str(line.label)] += 1
    actor = f"train:{Path(path).name}"
    for label, comments in by_label.items():
        if comments:
            store.add_comments(comments, status=_STATE_FOR_LABEL[label], actor=actor, label=label)
            report.added += len(comments)
    report.training = retrain(store)
    logger.info("trained from %s: %s", path, report)
    return report


def classify_file(store: Store, settings: Settings, path: str | Path, out: TextIO) -> BatchReport:
    """Write one JSON verdict line to ``out`` for each line of ``path``, in order."""
    from .screening import Screener

    report = BatchReport()
    parsed = read_lines(path, origin="classify", need_label=False)
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
