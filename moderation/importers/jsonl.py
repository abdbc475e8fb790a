"""Import: comments collected elsewhere, one JSON object per line.

Each line is validated like a form post (:func:`~moderation.submission.parse_submission`)
and must name an existing article. ``reply_to`` names a stored comment, or the
``ref`` of an earlier line of the same file (the demo inbox threads that way).
A bad line is reported as ``FILE:line N: ...`` and the good lines are still
stored, all in one transaction. Importing the same file twice adds nothing the
second time: a line whose content is already stored counts as a duplicate.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from comment_format.files import parse_date

from ..articles import load_articles
from ..errors import UnknownComment, ValidationError
from ..jsonlines import read_json_lines
from ..models import Comment, Origin, State, new_comment_id, stable_comment_id
from ..settings import Settings
from ..store import Store
from ..submission import parse_submission

logger = logging.getLogger(__name__)

FIELDS = frozenset(
    {
        "article",
        "name",
        "author",
        "email",
        "url",
        "author_url",
        "body",
        "reply_to",
        "ref",
        "ip",
        "user_agent",
        "referrer",
        "language",
        "received_at",
    }
)


@dataclass
class ImportReport:
    """``lines``: non-blank lines read; ``errors``: one ``FILE:line N: ...`` each."""

    path: Path
    lines: int = 0
    imported: list[Comment] = field(default_factory=list)
    duplicates: list[tuple[int, str]] = field(default_factory=list)  # (line, existing id)
    errors: list[str] = field(default_factory=list)


class _LineError(Exception):
    """A problem with one line; the importer adds the file and line number."""


def _optional_text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _LineError(f"{name}: must be a string, got {type(value).__name__}")
    return value.strip() or None


def _received_at(record: dict[str, Any]) -> datetime | None:
    value = _optional_text(record, "received_at")
    if value is None:
        return None
    moment = parse_date(value)
    if isinstance(moment, str):  # what is wrong with it
        raise _LineError(f"received_at: {moment}")
    return moment


def _ip(record: dict[str, Any]) -> str | None:
    value = _optional_text(record, "ip")
    if value is not None:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise _LineError(f"ip: not an IP address: {value!r}") from None
    return value


class _Importer:
    def __init__(self, store: Store, settings: Settings, path: Path) -> None:
        self.store = store
        self.path = path
        self.articles = load_articles(settings)
        self.report = ImportReport(path=path)
        self.by_ref: dict[str, tuple[int, Comment | str | None]] = {}
        self.new_by_hash: dict[str, Comment] = {}
        self.taken_ids: set[str] = set()
        self.good: list[Comment] = []
        self.line_number = 0

    def run(self) -> ImportReport:
        for line in read_json_lines(self.path, skip_blank=True):
            self.report.lines += 1
            self.line_number = line.number
            ref = None
            try:
                if line.fields is None:
                    raise _LineError(line.problem)
                record = self._check_fields(line.fields)
                ref = self._ref(record)
                outcome = self._line(record)
            except (_LineError, ValidationError) as exc:
                self.report.errors.append(f"{self.path}:line {line.number}: {exc}")
                outcome = None
            if ref is not None:
                self.by_ref[ref] = (line.number, outcome)
        if self.good:
            self.report.imported = self.store.comments.add_many(self.good, actor="import")
        logger.info(
            "imported %d of %d lines from %s (%d duplicates, %d errors)",
            len(self.report.imported),
            self.report.lines,
            self.path,
            len(self.report.duplicates),
            len(self.report.errors),
        )
        return self.report

    def _check_fields(self, record: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(record) - FIELDS)
        if unknown:
            raise _LineError(
                f"unknown field(s) {', '.join(map(repr, unknown))} "
                f"(known: {', '.join(sorted(FIELDS))})"
            )
        return record

    def _ref(self, record: dict[str, Any]) -> str | None:
        ref = _optional_text(record, "ref")
        if ref is not None and ref in self.by_ref:
            raise _LineError(f"ref: {ref!r} is already used on line {self.by_ref[ref][0]}")
        return ref

    def _parent(self, reply_to: str, article: str) -> str:
        """The stored id ``reply_to`` stands for: an earlier line's ``ref``, or an id."""
        if reply_to in self.by_ref:
            number, outcome = self.by_ref[reply_to]
            if outcome is None:
                raise _LineError(f"reply_to: line {number} ({reply_to!r}) was not imported")
            parent = outcome if isinstance(outcome, Comment) else self.store.comments.get(outcome)
        else:
            try:
                parent = self.store.comments.get(reply_to)
            except UnknownComment:
                raise _LineError(
                    f"reply_to: no stored comment and no earlier line has id or ref {reply_to!r}"
                ) from None
        if parent.article != article:
            raise _LineError(
                f"reply_to: {reply_to!r} belongs to article {parent.article!r}, not {article!r}"
            )
        return parent.id

    def _line(self, record: dict[str, Any]) -> Comment | str:
        """A new comment to store, or the id of the stored one this line duplicates."""
        reply_to = _optional_text(record, "reply_to")
        fields = {k: v for k, v in record.items() if k not in ("reply_to", "ref")}
        comment = parse_submission(
            fields,
            origin=Origin.IMPORT,
            ip=_ip(record),
            user_agent=_optional_text(record, "user_agent"),
            referrer=_optional_text(record, "referrer"),
            language=_optional_text(record, "language"),
            received_at=_received_at(record),
        )
        if comment.article not in self.articles:
            raise _LineError(f"article: no article has the slug {comment.article!r}")
        if reply_to is not None:
            comment = comment.with_changes(reply_to=self._parent(reply_to, comment.article))
        duplicate = self.new_by_hash.get(comment.content_hash)
        existing = (
            duplicate.id if duplicate else self.store.comments.duplicate_of(comment.content_hash)
        )
        if existing is not None:
            self.report.duplicates.append((self.line_number, existing))
            return duplicate or existing
        # Ids are given now so that later lines can reply to this one.
        comment = comment.with_changes(id=self._new_id(comment), status=State.RECEIVED)
        self.new_by_hash[comment.content_hash] = comment
        self.good.append(comment)
        return comment

    def _new_id(self, comment: Comment) -> str:
        # The first choice is derived from the content, so re-importing a file into a
        # fresh database (the demo does) gives the same ids and the same files.
        candidate = stable_comment_id(comment.received_at, comment.content_hash)
        while True:
            if candidate in self.taken_ids:
                candidate = new_comment_id(comment.received_at)
                continue
            try:
                self.store.comments.get(candidate)
            except UnknownComment:
                self.taken_ids.add(candidate)
                return candidate
            candidate = new_comment_id(comment.received_at)


def import_file(store: Store, settings: Settings, path: str | Path) -> ImportReport:
    """Store every good line of ``path``; the report lists the bad ones."""
    return _Importer(store, settings, Path(path)).run()
