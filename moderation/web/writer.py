"""The service's one database thread: group commit for submissions, and reads.

Requests hand their validated submissions to a queue; this thread takes
everything waiting, stores it in one transaction (``intake.accept_many``) and
only then lets each request answer. A commit is therefore shared by all the
submissions that arrived while the previous one was being written, and the
event loop never waits on SQLite: a moderator's CLI holding the write lock
delays submissions, not the token or form pages. The connection commits with
``synchronous=FULL``, so an answered submission survives a power cut too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ModerationError
from ..intake import IntakeError, Submission, accept_many
from ..models import Comment, State
from ..store import Store
from ..store.db import BUSY_TIMEOUT_SECONDS
from .locking import SharedLockStore

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: At most this many submissions share one transaction.
MAX_BATCH = 256
UNAVAILABLE = "the comment could not be stored just now; please send it again in a minute"


class StoreUnavailable(IntakeError):
    status_code = 503


class _Job:
    __slots__ = ("future", "loop", "payload")

    def __init__(self, payload: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.payload = payload
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any]]) -> None:
    for future, outcome in outcomes:
        if future.done():  # the client went away; what was stored stays stored
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class CommentWriter:
    """Owns a :class:`Store` in its own thread; ``submit`` and ``call`` are awaitable."""

    def __init__(
        self,
        db_path: Path,
        *,
        on_stored: Callable[[list[Comment]], None] | None = None,
        max_batch: int = MAX_BATCH,
        write_lock: threading.Lock | None = None,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.db_path = db_path
        #: How long a write waits for another process's lock before it answers 503.
        self.busy_timeout = busy_timeout
        self.write_lock = write_lock or threading.Lock()
        self.on_stored = on_stored
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.stored = 0
        self._last_batch_at = float("-inf")

    def busy(self, within: float = 1.0) -> bool:
        """Whether submissions arrived in the last ``within`` seconds."""
        return time.monotonic() - self._last_batch_at < within

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then close the store."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout)

    async def submit(self, submission: Submission) -> Comment:
        """Store ``submission`` (committed when this returns) or raise why not."""
        return await self._enqueue(submission)

    async def call(self, function: Callable[[Store], T]) -> T:
        """Run ``function(store)`` in the database thread (for reads the pages need)."""
        return await self._enqueue(function)

    async def _enqueue(self, payload: Any) -> Any:
        if self._thread is None:
            self.start()
        job = _Job(payload, asyncio.get_running_loop())
        self._queue.put(job)
        return await job.future

    # -- the thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            # FULL: the answer promises the comment is kept, even across a power
            # cut; the fsync is paid once per batch, not once per comment.
            store: Store | None = SharedLockStore(
                self.db_path, self.write_lock, synchronous="FULL", timeout=self.busy_timeout
            )
        except (sqlite3.Error, ModerationError):
            logger.exception("the database cannot be opened; submissions get 503")
            store = None
        try:
            while True:
                job = self._queue.get()
                if job is None:
                    break
                jobs = [job]
                stopping = False
                while len(jobs) < self.max_batch:
                    try:
                        extra = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if extra is None:
                        stopping = True
                        break
                    jobs.append(extra)
                try:
                    if store is None:
                        raise StoreUnavailable(UNAVAILABLE)
                    self._handle(store, jobs)
                except Exception as exc:  # never leave a request waiting for ever
                    if not isinstance(exc, StoreUnavailable):
                        logger.exception("the writer failed on a batch of %d", len(jobs))
                    self._fail(jobs, StoreUnavailable(UNAVAILABLE))
                if stopping:
                    break
        finally:
            if store is not None:
                store.close()

    def _fail(self, jobs: list[_Job], error: Exception) -> None:
        for job in jobs:
            with contextlib.suppress(RuntimeError):  # a closed loop has no one to tell
                job.loop.call_soon_threadsafe(_settle, [(job.future, error)])

    def _handle(self, store: Store, jobs: list[_Job]) -> None:
        outcomes: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
        submissions = [job for job in jobs if isinstance(job.payload, Submission)]
        if submissions:
            results = self._store_all(store, [job.payload for job in submissions])
            for job, result in zip(submissions, results, strict=True):
                outcomes.setdefault(job.loop, []).append((job.future, result))
            stored = [r for r in results if isinstance(r, Comment)]
            self._last_batch_at = time.monotonic()
            self.stored += len(stored)
            if stored and self.on_stored is not None:
                self.on_stored([c for c in stored if c.status is State.RECEIVED])
        for job in jobs:
            if isinstance(job.payload, Submission):
                continue
            try:
                result: Any = job.payload(store)
            except Exception as exc:  # handed back to the awaiting request
                result = exc
            outcomes.setdefault(job.loop, []).append((job.future, result))
        for loop, settled in outcomes.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:
                logger.debug("event loop closed before %d answers were delivered", len(settled))

    def _store_all(self, store: Store, submissions: list[Submission]) -> list[Comment | Exception]:
        try:
            return list(accept_many(store, submissions))
        except (sqlite3.Error, ModerationError) as exc:
            if len(submissions) == 1:
                logger.error("cannot store a submission: %s", exc)
                return [StoreUnavailable(UNAVAILABLE)]
            # One bad apple must not spoil the batch: store them one at a time. The
            # batch was rolled back as a whole, and accept_many recognises a
            # submission an unclear failure did store, so none is answered 409.
            logger.warning(
                "group commit of %d failed (%s); storing one by one", len(submissions), exc
            )
            return [self._store_all(store, [s])[0] for s in submissions]
