"""Read one comment file: ``key: value`` metadata, a blank line, a Markdown body.

Reading never raises for a bad file: it returns a :class:`FileProblem`, so a batch
of files can be read in another process and the build decides what to do with
the problems (fail, or warn and skip) in one place.
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime
from typing import NamedTuple

from .render import BodyRenderer, escape_author, safe_author_url

REQUIRED_FIELDS = ("id", "author", "date", "status")
OPTIONAL_FIELDS = ("reply_to", "author_url", "avatar")
ID_RE = re.compile(r"^[A-Za-z0-9-]+$")
AVATAR_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
APPROVED = "approved"
_BLANK_LINE_RE = re.compile(r"\n[ \t]*\n")
_CONTROL_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class CommentRecord(NamedTuple):
    """A parsed comment file; plain data, so it pickles cheaply into the cache."""

    id: str
    author: str  # already HTML-escaped
    date: datetime
    status: str
    reply_to: str | None
    author_url: str | None  # only an http(s) URL safe in an attribute
    avatar: str | None
    # Sanitised HTML; ``None`` for comments that are not approved (never rendered).
    html: str | None


class FileProblem(NamedTuple):
    """Why a comment file cannot be used."""

    problem: str


class ReadTimes(NamedTuple):
    reading: float
    rendering: float
    sanitising: float


def parse_comment(
    raw: bytes, file_name: str, renderer: BodyRenderer
) -> CommentRecord | FileProblem:
    """Parse the bytes of ``<id>.md`` (``file_name`` is its base name)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FileProblem(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    # Control characters are never meant to be there, and XML (the feeds) forbids them.
    text = _CONTROL_CHARS_RE.sub("", text)
    # Metadata ends at the first blank (or whitespace-only) line.
    head, _, body = _BLANK_LINE_RE.sub("\n\n", text, count=1).partition("\n\n")

    fields: dict[str, str] = {}
    for number, line in enumerate(head.split("\n"), start=1):
        if not line:
            continue
        key, colon, value = line.partition(":")
        key = key.strip().lower()
        if not colon or not key or " " in key:
            return FileProblem(f"line {number} is not a 'key: value' metadata line: {line!r}")
        if key in fields:
            return FileProblem(f"field '{key}' is given twice")
        fields[key] = value.strip()

    for name in REQUIRED_FIELDS:
        if not fields.get(name):
            return FileProblem(f"missing required field '{name}'")

    comment_id = fields["id"]
    if not ID_RE.match(comment_id):
        return FileProblem(f"bad id {comment_id!r}: only letters, digits and hyphens are allowed")
    if file_name != f"{comment_id}.md":
        return FileProblem(
            f"id {comment_id!r} does not match the file name (expected {comment_id}.md)"
        )

    try:
        date = datetime.fromisoformat(fields["date"])
    except ValueError:
        return FileProblem(f"unparseable date {fields['date']!r} (expected ISO 8601 with offset)")
    if date.tzinfo is None:
        return FileProblem(f"date {fields['date']!r} has no UTC offset")

    reply_to = fields.get("reply_to") or None
    if reply_to is not None:
        if not ID_RE.match(reply_to):
            return FileProblem(f"bad reply_to {reply_to!r}: not a comment id")
        if reply_to == comment_id:
            return FileProblem("reply_to names the comment itself")

    avatar = fields.get("avatar") or None
    if avatar is not None and not AVATAR_RE.match(avatar):
        return FileProblem(f"bad avatar {avatar!r}: expected a hash (letters, digits, - and _)")

    body = body.strip()
    if not body:
        return FileProblem("empty body (the comment text goes after a blank line)")

    status = fields["status"].lower()
    html = renderer.to_html(body) if status == APPROVED else None
    return CommentRecord(
        id=comment_id,
        author=str(escape_author(fields["author"])),
        date=date,
        status=status,
        reply_to=reply_to,
        author_url=safe_author_url(fields.get("author_url")),
        avatar=avatar,
        html=html,
    )


_CHUNK = 1 << 16


def read_bytes(path: str) -> bytes:
    """The whole file. Plain ``os`` calls: ``open()`` adds a buffered reader and
    several system calls per file, which shows over tens of thousands of files."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(descriptor, _CHUNK):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)


_renderer: BodyRenderer | None = None


def read_comment_files(
    paths: list[str],
) -> tuple[list[CommentRecord | FileProblem], ReadTimes]:
    """Read and render a batch of files (run in a worker process for big sites).

    The renderer (and its Markdown instances) lives as long as the process; the
    times returned are for this batch only.
    """
    global _renderer
    if _renderer is None:
        _renderer = BodyRenderer()
    renderer = _renderer
    markdown_before, sanitise_before = renderer.markdown_seconds, renderer.sanitise_seconds
    results: list[CommentRecord | FileProblem] = []
    reading = 0.0
    for path in paths:
        started = time.perf_counter()
        try:
            raw = read_bytes(path)
        except OSError as exc:
            results.append(FileProblem(f"cannot read the file: {exc.strerror}"))
            continue
        reading += time.perf_counter() - started
        before = renderer.markdown_seconds + renderer.sanitise_seconds
        started = time.perf_counter()
        results.append(parse_comment(raw, os.path.basename(path), renderer))
        spent = time.perf_counter() - started
        # Parsing the metadata counts as reading; Markdown and nh3 have their own timers.
        reading += spent - (renderer.markdown_seconds + renderer.sanitise_seconds - before)
    return results, ReadTimes(
        reading,
        renderer.markdown_seconds - markdown_before,
        renderer.sanitise_seconds - sanitise_before,
    )
