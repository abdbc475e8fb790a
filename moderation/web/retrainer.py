"""Retrain the learned model in the background, so no moderator waits for it (issue 10).

Rebuilding the model reads every labelled decision: over a second with ten
thousand of them. The review server's actions only *ask* for a retrain; one
worker thread does it, after a short pause in which further requests are folded
into the same run (a moderator triaging with the keyboard asks many times a
minute). A request made while a run is in progress gets one more run after it,
so the model always ends up trained on the latest decisions.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from ..settings import Settings
from ..store import Store
from .locking import SharedLockStore

logger = logging.getLogger(__name__)

#: Seconds to wait after a request for more before retraining.
DEBOUNCE_SECONDS = 2.0


class Retrainer:
    """One daemon thread that runs ``learned.retrain`` when asked, debounced.

    In a service whose threads share a write lock (:mod:`.locking`), pass it as
    ``write_lock``: the model is saved under it like every other write.
    """

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        delay: float = DEBOUNCE_SECONDS,
        write_lock: threading.Lock | None = None,
    ):
        self.settings = settings
        self.db_path = Path(db_path)
        self.delay = delay
        self.write_lock = write_lock
        self.runs = 0
        self.last_error: str | None = None
        self._wanted = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._stopping = False
        self._stop_now = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> None:
        """Ask for a retrain soon; returns at once."""
        with self._lock:
            if self._stopping:
                return
            self._idle.clear()
            self._wanted.set()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="retrainer", daemon=True)
                self._thread.start()

    @property
    def pending(self) -> bool:
        return not self._idle.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no retrain is pending or running (tests, shutdown)."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 30.0) -> None:
        """Finish a pending retrain at once (no pause), then end the thread."""
        with self._lock:
            self._stopping = True
            self._stop_now.set()
            thread = self._thread
            if self._idle.is_set():
                self._wanted.set()  # wake the idle thread so it can end
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            if self._stopping and self._idle.is_set():
                return
            self._stop_now.wait(self.delay)  # let a burst of actions fold into one run
            self._wanted.clear()
            self._retrain()
            with self._lock:
                if not self._wanted.is_set():
                    self._idle.set()
                    if self._stopping:
                        return

    def _retrain(self) -> None:
        from ..screening import learned

        started = time.perf_counter()
        try:
            store = (
                Store(self.db_path)
                if self.write_lock is None
                else SharedLockStore(self.db_path, self.write_lock)
            )
            with store:
                learned.retrain(store, self.settings)
            self.last_error = None
        except Exception as exc:  # a failed run must not kill the thread
            logger.exception("background retrain failed")
            self.last_error = str(exc)
        self.runs += 1
        logger.info(
            "background retrain %d done in %.2f s", self.runs, time.perf_counter() - started
        )
