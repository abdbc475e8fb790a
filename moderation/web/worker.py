"""Background screening: the same pipeline as ``moderation screen``, after the commit.

The worker runs in its own thread with its own :class:`Store`. At start it
screens everything left unscreened (a crash, a stop, an import by another
process); then it screens what the writer hands it, in batches, and every
``sweep_seconds`` when idle it runs ``screen_due`` again for Akismet rechecks
that have come due. It also applies retention (``COMMENTS_RETENTION_DAYS``) at
start and then every ``retention_seconds``, so a service left running for
months still forgets old IP addresses. A failure (Akismet down, a bug in a
signal) only leaves comments ``received`` or ``held`` for the next sweep or
``moderation screen``: the submission itself is already safe.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from ..models import Comment, State
from ..settings import Settings
from ..store import Store
from .locking import SharedLockStore
from .periodic import PeriodicWorker

logger = logging.getLogger(__name__)

BATCH_SIZE = 16
SWEEP_SECONDS = 60.0
#: While submissions are arriving, rest this many times the CPU time each batch
#: took: screening shares the interpreter with the request path and must not
#: starve it (a burst builds a backlog that drains once the burst is over).
BUSY_REST_FACTOR = 9.0
#: Rebuild the screener (new articles, Akismet settings) at most this often; a newly
#: saved model is picked up before each batch.
REFRESH_SECONDS = 300.0
#: Apply retention this often: its unit is days, an hour late is on time.
RETENTION_SECONDS = 3600.0
#: Failures in a row after which the worker counts as failing.
FAILING_AFTER = 3


class ScreeningWorker:
    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        http_client: httpx.Client | None = None,
        batch_size: int = BATCH_SIZE,
        sweep_seconds: float = SWEEP_SECONDS,
        retention_seconds: float = RETENTION_SECONDS,
        write_lock: threading.Lock | None = None,
    ) -> None:
        self.write_lock = write_lock or threading.Lock()
        self.settings = settings
        self.db_path = db_path
        self.http_client = http_client
        self.batch_size = batch_size
        self.sweep_seconds = sweep_seconds
        self.retention_seconds = retention_seconds
        self._retention_at: float | None = None
        self._queue: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        #: Set once the start-up work is done (or has failed): the screener
        #: built, the comments left over screened, retention.
        self.started = threading.Event()
        #: Returns true while the intake is busy (set by the app to the writer's).
        self.intake_busy: Callable[[], bool] = lambda: False
        #: Called after comments were screened: alerts may be queued (issue 11).
        self.after_screening: Callable[[], None] = lambda: None
        self.screened = 0
        self.failures = 0
        #: Failures since the last batch that went through; /health says "not ok"
        #: once this reaches FAILING_AFTER, so a monitor hears of it.
        self.consecutive_failures = 0
        self.last_error: str | None = None
        self.available = True

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    @property
    def failing(self) -> bool:
        return self.consecutive_failures >= FAILING_AFTER

    def _failed(self, what: str) -> None:
        self.failures += 1
        self.consecutive_failures += 1
        self.last_error = what
        logger.exception("%s", what)

    def _succeeded(self) -> None:
        self.consecutive_failures = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="intake-screening", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._queue.put(None)
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("screening still busy at shutdown; the rest waits for next start")

    def notify(self, comments: Sequence[Comment]) -> None:
        """Called by the writer after a commit: these comments await screening."""
        for comment in comments:
            if comment.id is not None:
                self._queue.put(comment.id)

    # -- the thread ---------------------------------------------------------------

    def _run(self) -> None:
        store = SharedLockStore(self.db_path, self.write_lock)
        screener = None
        try:
            built_at, swept_at = 0.0, None
            while not self._stopping.is_set():
                if screener is None or time.monotonic() - built_at > REFRESH_SECONDS:
                    if screener is not None:
                        screener.close()  # its Akismet client: the new one makes its own
                    screener, built_at = self._screener(store), time.monotonic()
                    if screener is None:
                        # Retry later; the comments stay safe as 'received' meanwhile.
                        self._apply_retention(store)
                        self.started.set()
                        self._stopping.wait(self.sweep_seconds)
                        continue
                if swept_at is None or time.monotonic() - swept_at >= self.sweep_seconds:
                    # At start: what a crash or a stop left behind; later: rechecks due.
                    self._fresh_model(screener)
                    self._sweep(store, screener)
                    swept_at = time.monotonic()
                # After the sweep, so a comment screened late still reaches Akismet
                # with its IP address.
                self._apply_retention(store)
                self.started.set()
                ids = self._next_batch(swept_at + self.sweep_seconds - time.monotonic())
                if self._stopping.is_set():
                    break
                if ids:
                    try:
                        self._fresh_model(screener)
                        self._screen_ids(store, screener, ids)
                    except Exception:  # e.g. the database busy past its timeout
                        self._failed("screening a batch failed; the next sweep retries it")
        except Exception:
            logger.exception("the screening worker stopped; `moderation screen` will catch up")
        finally:
            self.started.set()
            if screener is not None:
                screener.close()
            store.close()

    def _fresh_model(self, screener: Any) -> None:
        """Screen with the model a retrain (the review server, the CLI) has just saved,
        not with the one loaded when the screener was built."""
        try:
            if screener.reload_if_retrained():
                logger.info("screening with the model retrained meanwhile")
        except Exception:
            self._failed("the retrained model could not be loaded; screening with the last one")

    def _apply_retention(self, store: Store) -> None:
        """Hash old request context, unless that was done less than ``retention_seconds`` ago."""
        now = time.monotonic()
        if self._retention_at is not None and now - self._retention_at < self.retention_seconds:
            return
        # A failure waits for the next turn too: hammering a busy database helps no one.
        self._retention_at = now
        try:
            store.privacy.apply_retention(self.settings["COMMENTS_RETENTION_DAYS"])
        except Exception:
            self._failed(
                "retention could not be applied; retrying in "
                f"{self.retention_seconds / 60:.0f} minutes"
            )

    def _screener(self, store: Store) -> Any:
        """A screener with the current model and articles, or ``None`` if none can be built."""
        try:
            from ..screening import Screener

            screener = Screener.from_settings(self.settings, store, http_client=self.http_client)
        except Exception:
            self.available = False
            self._failed(
                "screening is not available; comments stay 'received' until it is "
                f"(retrying in {self.sweep_seconds:.0f} s, or run `moderation screen`)"
            )
            return None
        self.available = True
        return screener

    def _next_batch(self, timeout: float) -> list[str]:
        try:
            first = self._queue.get(timeout=max(timeout, 0.001))
        except queue.Empty:
            return []
        ids = [] if first is None else [first]
        while len(ids) < self.batch_size:
            try:
                extra = self._queue.get_nowait()
            except queue.Empty:
                break
            if extra is not None:
                ids.append(extra)
        return ids

    def _screen_ids(self, store: Store, screener: Any, ids: list[str]) -> None:
        from ..screening import screen_and_record

        # A comment may have been screened meanwhile (start-up sweep, `moderation
        # screen`, a moderator): only the ones still waiting are screened.
        comments = [c for c in store.comments.existing(ids) if c.status is State.RECEIVED]
        if not comments:
            return
        started, cpu_started = time.perf_counter(), time.thread_time()
        try:
            states = screen_and_record(store, screener, comments)
        except Exception:
            self._failed(
                f"screening {len(comments)} comments failed; "
                "they stay 'received' for the next sweep"
            )
            return
        self._succeeded()
        self.screened += len(comments)
        self.after_screening()
        took = time.perf_counter() - started
        if self.intake_busy():
            # CPU time, not wall time: waiting on Akismet costs the request path nothing.
            self._stopping.wait((time.thread_time() - cpu_started) * BUSY_REST_FACTOR)
        logger.info(
            "screened %d comments in %.0f ms: %s",
            len(comments),
            took * 1000,
            ", ".join(f"{state}={list(states).count(state)}" for state in sorted(set(states))),
        )

    def _sweep(self, store: Store, screener: Any) -> None:
        from ..screening import screen_due

        try:
            report = screen_due(store, screener)
        except Exception:
            self._failed("screening the due comments failed; retrying at the next sweep")
            return
        self._succeeded()
        if report.screened:
            self.after_screening()
        logger.debug("sweep: %s", report)


#: How often the service sends what the outbox holds (issue 11). Alerts queued by
#: screening wake it at once; replies queued by ``moderation publish`` (another
#: process) wait at most this long.
NOTIFY_SECONDS = 15.0


class OutboxWorker(PeriodicWorker):
    """Sends due notifications in its own thread: :func:`moderation.notify.send_due`,
    the same code as ``moderation notify``, every ``interval`` seconds or when woken.

    Sending waits on mail servers and webhooks, so it never runs in the screening
    thread. A failure only leaves messages in the outbox for the next turn.
    """

    name = "intake-outbox"
    work = "sending notifications"

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        interval: float = NOTIFY_SECONDS,
        write_lock: threading.Lock | None = None,
    ) -> None:
        super().__init__(db_path, interval=interval, write_lock=write_lock)
        self.settings = settings
        self.sent = 0

    def turn(self, store: Store) -> None:
        from ..notify import send_due

        report = send_due(store, self.settings)
        self.sent += len(report.sent)
        if report.sent or report.failed or report.retrying:
            logger.info("notifications: %s", report.summary())
