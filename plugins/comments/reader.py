"""Read comment files into records: the file format and the rendering are
:mod:`comment_format`'s (shared with ``moderation``); this adds the timing.

Reading never raises for a bad file: it returns a :class:`FileProblem`, so the
build decides what to do with problems (fail, or warn and skip) in one place.
"""

from __future__ import annotations

import os
import time
from datetime import datetime
from typing import NamedTuple

from comment_format.files import APPROVED, FileProblem, parse_comment_file
from comment_format.render import RenderProblem, escape_author, render_body, safe_author_url

__all__ = ["APPROVED", "CommentRecord", "FileProblem", "read_comment_files"]


class CommentRecord(NamedTuple):
    """A parsed comment file; plain data, so it pickles cheaply into the cache."""

    id: str
    author: str  # already HTML-escaped
    date: datetime
    status: str
    reply_to: str | None
    author_url: str | None  # only an http(s) URL safe in an attribute
    avatar: str | None
    edited: datetime | None
    # Sanitised HTML; ``None`` for comments that are not approved (never rendered).
    html: str | None
    email_hash: str | None = None  # only for commenters who chose a hosted picture
    removed: bool = False  # a tombstone: withdrawn or erased, replies hang from it
    source: str | None = None  # a Webmention's source page (safe http(s) URL)
    mention: str | None = None  # reply, mention, like or repost; None for a comment
    removed_by: str | None = None  # a tombstone's: "author" or "moderator"


class ReadTimes(NamedTuple):
    reading: float
    rendering: float


def record_from_file(raw: bytes, file_name: str) -> CommentRecord | FileProblem:
    """Parse and (for an approved comment) render the bytes of ``<id>.md``."""
    parsed = parse_comment_file(raw, file_name)
    if isinstance(parsed, FileProblem):
        return parsed
    html = None
    if parsed.status == APPROVED and not parsed.body:
        html = ""  # a like or a repost: no text of its own
    elif parsed.status == APPROVED:
        try:
            html = render_body(parsed.body)
        except RenderProblem as problem:
            return FileProblem(f"body {problem}")
        except Exception as error:  # cmark or nh3 failing is this file's problem too
            return FileProblem(f"body cannot be rendered ({type(error).__name__}: {error})")
    return CommentRecord(
        id=parsed.id,
        author=str(escape_author(parsed.author)),
        date=parsed.date,
        status=parsed.status,
        reply_to=parsed.reply_to,
        author_url=safe_author_url(parsed.author_url),
        avatar=parsed.avatar,
        edited=parsed.edited,
        html=html,
        email_hash=parsed.email_hash,
        removed=parsed.removed,
        source=parsed.source,  # parse_comment_file refuses a file whose source is unsafe
        mention=parsed.mention,
        removed_by=parsed.removed_by,
    )


def _read_bytes(path: str) -> bytes:
    # Plain descriptors: a buffered file object costs twice as much, 20,000 times a build.
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_comment_files(paths: list[str]) -> tuple[list[CommentRecord | FileProblem], ReadTimes]:
    """Read, parse and render each file of ``paths``, with the time spent on each step."""
    results: list[CommentRecord | FileProblem] = []
    reading = rendering = 0.0
    for path in paths:
        started = time.perf_counter()
        try:
            raw = _read_bytes(path)
        except OSError as exc:
            results.append(FileProblem(f"cannot read the file: {exc.strerror}"))
            continue
        read = time.perf_counter()
        results.append(record_from_file(raw, os.path.basename(path)))
        reading += read - started
        rendering += time.perf_counter() - read
    return results, ReadTimes(reading, rendering)
