"""Find comment files and get their parsed, rendered records.

Unchanged files come from a cache keyed on the file stamp (Pelican's
``FileStampDataCacher``, under ``CACHE_CONTENT``/``LOAD_CONTENT_CACHE``), so warm
rebuilds skip Markdown and nh3. On a big cold build the remaining files are read
in a worker process, started before Pelican reads its articles so the work runs
on another core meanwhile; batches it has not started by the time the build
needs them are read by the build itself.
"""

from __future__ import annotations

import fnmatch
import functools
import gzip
import logging
import multiprocessing
import os
import re
import time
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, NamedTuple

from pelican.cache import FileStampDataCacher

from .reader import CommentRecord, FileProblem, ReadTimes, read_comment_files
from .timers import Timers

logger = logging.getLogger(__name__)

# Bump when the record layout or the rendering changes, so old caches are ignored.
CACHE_NAME = "CommentsReader-2"
# Below this many files to read, starting processes costs more than it saves.
PARALLEL_MIN_FILES = 400
FILES_PER_TASK = 250


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


class CommentCache(FileStampDataCacher):
    """Pelican's file-stamp cache, with each file stamped once per build, entries
    for deleted files dropped, and light compression: it holds the HTML of every
    comment, and gzip's default level costs more time than it saves. An unchanged
    cache is not written again."""

    def __init__(self, settings: Mapping[str, Any], load: bool | None = None) -> None:
        super().__init__(
            settings,
            CACHE_NAME,
            settings["CACHE_CONTENT"],
            settings["LOAD_CONTENT_CACHE"] if load is None else load,
        )
        if settings["GZIP_CACHE"]:
            self._cache_open = functools.partial(gzip.open, compresslevel=1)
        self._current: dict[str, tuple[Any, CommentRecord]] = {}
        self._changed = False

    def stamp(self, path: str) -> Any:
        return self._get_file_stamp(path)

    def lookup(self, path: str) -> CommentRecord | None:
        """The cached record of ``path`` if the file has not changed since."""
        cached_stamp, record = self._cache.get(path, (None, None))
        if record is None:
            return None  # nothing cached: no need to stamp the file now
        stamp = self._get_file_stamp(path)
        if cached_stamp != stamp:
            return None
        self._current[path] = (stamp, record)
        return record

    def store(self, path: str, stamp: Any, record: CommentRecord) -> None:
        if self._cache_data_policy:
            self._current[path] = (stamp, record)
            self._changed = True

    def entries(self) -> dict[str, tuple[Any, CommentRecord]]:
        return self._current

    def replace_entries(self, entries: dict[str, tuple[Any, CommentRecord]]) -> None:
        self._current = entries
        self._changed = True

    def save_cache(self) -> None:
        if not self._cache_data_policy:
            return
        if not self._changed and self._current.keys() == self._cache.keys():
            logger.debug("comment cache unchanged; not rewriting %s", self._cache_path)
            return
        self._cache = self._current
        # Write then rename, so a build running meanwhile never reads half a cache.
        target = self._cache_path
        self._cache_path = f"{target}.{os.getpid()}.tmp"
        try:
            super().save_cache()
            if os.path.exists(self._cache_path):
                os.replace(self._cache_path, target)
        finally:
            self._cache_path = target


# In a worker process: what it has read, kept so it can also write the cache
# (the build process then never pickles twenty thousand records itself).
_worker_cache: CommentCache | None = None
_worker_entries: dict[str, tuple[Any, CommentRecord]] = {}


def _worker_read(paths: list[str], settings: Mapping[str, Any]) -> tuple[list, ReadTimes]:
    global _worker_cache
    if _worker_cache is None:
        _worker_cache = CommentCache(settings, load=False)
    # Stamp before reading: a file edited meanwhile looks changed next time.
    stamps = [_worker_cache.stamp(path) for path in paths]
    results, times = read_comment_files(paths)
    for path, stamp, result in zip(paths, stamps, results, strict=True):
        if isinstance(result, CommentRecord):
            _worker_entries[path] = (stamp, result)
    return results, times


def _worker_save_cache(cached: dict[str, tuple[Any, CommentRecord]]) -> None:
    if _worker_cache is None:
        return
    _worker_cache.replace_entries({**cached, **_worker_entries})
    _worker_cache.save_cache()


class CommentLoader:
    """Starts reading at construction; :meth:`collect` returns every result and
    :meth:`finish` waits for the cache to be written."""

    def __init__(self, settings: Mapping[str, Any], timers: Timers) -> None:
        self.timers = timers
        self.settings = settings
        self.root = os.path.join(settings["PATH"], settings["COMMENTS_PATH"])
        with timers.measure("discovery"):
            self.files = discover(self.root, list(settings.get("IGNORE_FILES") or []))
        self.results: dict[str, CommentRecord | FileProblem] = {}
        self._todo: list[str] = []
        self._stamps: dict[str, Any] = {}
        with timers.measure("cache"):
            self._cache = CommentCache(settings)
            for file in self.files:
                cached = self._cache.lookup(file.path)
                if cached is None:
                    self._todo.append(file.path)
                else:
                    self.results[file.path] = cached
        self.from_cache = len(self.results)
        self.read_here = 0  # by the build process, when the worker path is taken
        self._executor: ProcessPoolExecutor | None = None
        self._futures: list[tuple[list[str], Future]] = []
        self._saving: Future | None = None
        if (
            len(self._todo) >= PARALLEL_MIN_FILES
            and "fork" in multiprocessing.get_all_start_methods()
        ):
            self._start_workers()

    def _start_workers(self) -> None:
        # One worker: the build itself keeps a core busy, and a second worker slows
        # it down more than it helps (measured on 2 cores); one worker also holds
        # every record it read, so it can write the cache. fork: the worker
        # inherits the loaded plugin, whatever name it was imported under.
        self._executor = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("fork")
        )
        settings = {
            key: self.settings[key]
            for key in ("CACHE_PATH", "CACHE_CONTENT", "GZIP_CACHE", "CHECK_MODIFIED_METHOD")
        }
        for start in range(0, len(self._todo), FILES_PER_TASK):
            batch = self._todo[start : start + FILES_PER_TASK]
            self._futures.append((batch, self._executor.submit(_worker_read, batch, settings)))
        if settings["CACHE_CONTENT"]:
            # Queued behind the reads: the worker writes the cache as soon as it has
            # read everything, while Pelican is still busy with its own files.
            self._saving = self._executor.submit(_worker_save_cache, self._cache.entries())
        logger.debug("reading %d comment files in a worker process", len(self._todo))

    def _record(self, paths: list[str], results: list, times: ReadTimes, *, cache: bool) -> None:
        self.timers.add("reading", times.reading)
        self.timers.add("rendering", times.rendering)
        self.timers.add("sanitising", times.sanitising)
        for path, result in zip(paths, results, strict=True):
            self.results[path] = result
            if cache and isinstance(result, CommentRecord):
                self._cache.store(path, self._stamps[path], result)

    def _read_here(self) -> None:
        # Stamp before reading: a file edited meanwhile looks changed next time.
        for path in self._todo:
            self._stamps[path] = self._cache.stamp(path)
        results, times = read_comment_files(self._todo)
        self._record(self._todo, results, times, cache=True)

    def _read_leftover_batches(self) -> bool:
        """Pelican has read its articles: read the batches the worker has not
        started yet here, from the last one back, while the worker works through
        the rest from the front; the build waits about half as long.

        Returns whether the queued cache write was taken back (to be queued
        again with the records read here).
        """
        took_back_saving = False
        if self._saving is not None:
            if not self._saving.cancel():
                return False  # already running: every read has been handed out
            self._saving = None
            took_back_saving = True
        while self._futures and self._futures[-1][1].cancel():
            paths, _ = self._futures.pop()
            for path in paths:
                self._stamps[path] = self._cache.stamp(path)
            results, times = read_comment_files(paths)
            self._record(paths, results, times, cache=True)
            self.read_here += len(paths)
        return took_back_saving

    def collect(self) -> dict[str, CommentRecord | FileProblem]:
        """Wait for the worker (or read here); start writing the cache."""
        if self._futures:
            started = time.perf_counter()
            try:
                took_back_saving = self._read_leftover_batches()
                for paths, future in self._futures:
                    results, times = future.result()
                    self._record(paths, results, times, cache=False)
                if took_back_saving and self._executor is not None:
                    # The cache write was taken back to add what was read here.
                    self._saving = self._executor.submit(_worker_save_cache, self._cache.entries())
            except BrokenProcessPool:
                # The worker died (killed, out of memory): read everything here.
                logger.warning("comments: the worker process died; reading comments in-process")
                self.close()
                self._read_here()
            except BaseException:
                self.close()
                raise
            finally:
                self._futures = []
            self.timers.add("waiting", time.perf_counter() - started)
            if self._executor is None:
                # The worker died: it will not write the cache either.
                self._saving = None
                with self.timers.measure("cache"):
                    self._cache.save_cache()
        else:
            if self._todo:
                self._read_here()
            with self.timers.measure("cache"):
                self._cache.save_cache()
        self._todo = []
        return self.results

    def finish(self) -> None:
        """Wait for the worker to finish writing the cache, then stop it."""
        if self._saving is not None:
            with self.timers.measure("cache"):
                self._saving.result()
            self._saving = None
        if self._executor is not None:
            # The worker is idle by now; waiting lets it exit cleanly.
            self._executor.shutdown(wait=True)
            self._executor = None

    def close(self) -> None:
        """Stop the worker without waiting for pending work."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
