"""Find comment files and get their parsed, rendered records.

Unchanged files come from Pelican's file-stamp cache (``FileStampDataCacher``,
under ``CACHE_CONTENT``/``LOAD_CONTENT_CACHE``, through :mod:`.cacher`). Each
file is stamped once, when the loader is made, before anything reads it, and its
record is cached with that stamp: a file changed during the build is read again
by the next one. The rest are read and rendered, and the cache saved, by
:meth:`CommentLoader.read_and_save`: for a big cold build in one forked process
that works while Pelican reads its articles (BENCHMARKS.md shows what that buys).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .background import in_background
from .cacher import AtomicStampDataCacher
from .reader import CommentRecord, FileProblem, ReadTimes, read_comment_files
from .timers import Timers

logger = logging.getLogger(__name__)

# Bump when the record layout or the rendering changes, so old caches are ignored.
CACHE_NAME = "CommentsReader-4"
#: Below this many files to read, starting a process costs more than it saves.
BACKGROUND_MIN_FILES = 2000
#: The cache entry that holds the list of comment files (it has no stamp of its own).
FILE_LIST = "<comment files>"

Results = dict[str, CommentRecord | FileProblem]


class CommentFile(NamedTuple):
    path: str  # absolute
    slug: str | None  # the article folder; None for a file outside any folder


def discover(root: str, ignore: list[str]) -> list[CommentFile]:
    """Every ``.md`` file under ``root``, sorted, each with its article folder.

    Names matching ``IGNORE_FILES`` patterns are skipped, as Pelican does.
    """
    found: list[CommentFile] = []
    if not os.path.isdir(root):
        return found
    ignored = re.compile("|".join(fnmatch.translate(p) for p in ignore)).match if ignore else None

    with os.scandir(root) as entries:
        for entry in entries:
            if ignored and ignored(entry.name):
                continue
            if entry.is_dir():
                with os.scandir(entry.path) as files:
                    found.extend(
                        CommentFile(file.path, entry.name)
                        for file in files
                        if file.name.endswith(".md")
                        and not (ignored and ignored(file.name))
                        and file.is_file()
                    )
            elif entry.name.endswith(".md"):
                found.append(CommentFile(entry.path, None))
    found.sort()
    return found


def _cacher(settings: Mapping[str, Any], *, load: bool) -> AtomicStampDataCacher:
    # Uncompressed: the cache holds the HTML of every comment, and gzip's default
    # level costs a cold build more than the comments plugin itself (BENCHMARKS.md).
    plain = {**settings, "GZIP_CACHE": False}
    return AtomicStampDataCacher(plain, CACHE_NAME, settings["CACHE_CONTENT"], load)


class CommentLoader:
    """Starts reading when made (Pelican makes the generator before it reads its
    articles); :meth:`collect` returns every file with its record or problem."""

    def __init__(self, settings: Mapping[str, Any], timers: Timers) -> None:
        self.settings = settings
        self.timers = timers
        self.root = os.path.join(settings["PATH"], settings["COMMENTS_PATH"])
        with timers.measure("discovery"):
            self.files = discover(self.root, list(settings.get("IGNORE_FILES") or []))
        self.paths = [file.path for file in self.files]
        self.results: Results = {}
        # Each file's stamp, taken before it is read: one changed after that is
        # cached with its old stamp, so the next build reads it again.
        self.stamps: dict[str, Any] = {}
        self._cached_list: list[str] | None = None
        if settings["CACHE_CONTENT"] or settings["LOAD_CONTENT_CACHE"]:
            with timers.measure("cache"):
                cached = _cacher(settings, load=settings["LOAD_CONTENT_CACHE"])
                for path in self.paths:
                    stamp = self.stamps[path] = cached.file_stamp(path)
                    record = cached.get_stamped(path, stamp)
                    if record is not None:
                        self.results[path] = record
                self._cached_list = cached.get_stamped(FILE_LIST, None)
        self.from_cache = len(self.results)
        self._todo = [path for path in self.paths if path not in self.results]
        # A forked child inherits the records already taken from the cache: only the
        # new ones cross the pipe.
        self._pending: Callable[[], tuple[list, ReadTimes, float]] = in_background(
            self.read_and_save, when=len(self._todo) >= BACKGROUND_MIN_FILES
        )

    def read_and_save(self) -> tuple[list[CommentRecord | FileProblem], ReadTimes, float]:
        """Read the files the cache lacks, then save the cache if it gained a record
        or the list of files changed (a bad file is never cached, and read again on
        every build: that alone changes nothing to save).

        Returns their records (in the order of ``_todo``), the reading times and the
        seconds the cache took.
        """
        records, times = read_comment_files(self._todo)
        started = time.perf_counter()
        new = [
            (path, record)
            for path, record in zip(self._todo, records, strict=True)
            if isinstance(record, CommentRecord)
        ]
        if self.settings["CACHE_CONTENT"] and (new or self._cached_list != self.paths):
            fresh = _cacher(self.settings, load=False)
            for path, record in (*self.results.items(), *new):
                fresh.cache_stamped(path, self.stamps[path], record)
            fresh.cache_stamped(FILE_LIST, None, self.paths)
            fresh.save_cache()
        return records, times, time.perf_counter() - started

    def collect(self) -> Results:
        """Wait for the files being read and the cache saved; every file's result."""
        with self.timers.measure("waiting"):
            records, times, caching = self._pending()
        self.timers.add("reading", times.reading)
        self.timers.add("rendering", times.rendering)
        self.timers.add("cache", caching)
        self.results.update(zip(self._todo, records, strict=True))
        logger.debug("comments: %d files, %d from the cache", len(self.paths), self.from_cache)
        return self.results
