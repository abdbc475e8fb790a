"""A background thread of the intake service that does one kind of work in turns.

Each turn runs when something wakes the thread or every ``interval`` seconds, with
the thread's own :class:`Store` (writes queue on the service's write lock). A failing
turn is logged and the work waits for the next one: what it had to do is still in
the database. The notification sender and the Webmention verifier are such threads.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from ..store import Store
from .locking import SharedLockStore

logger = logging.getLogger(__name__)


class PeriodicWorker:
    """Subclasses name the thread and implement :meth:`turn`."""

    #: The thread's name (shown by debuggers and in logs).
    name = "intake-worker"
    #: What a failed turn was doing, for the log line.
    work = "the work"

    def __init__(
        self, db_path: Path, *, interval: float, write_lock: threading.Lock | None = None
    ) -> None:
        self.db_path = db_path
        self.interval = interval
        self.write_lock = write_lock or threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0
        self.last_error: str | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stopping.set()
            self._wake.set()
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("%s: %s was still going on at shutdown", self.name, self.work)

    def wake(self) -> None:
        """Take a turn soon: there is work."""
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def turn(self, store: Store) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        store = SharedLockStore(self.db_path, self.write_lock)
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    self.turn(store)
                except Exception as exc:  # the database busy, a bug: try again next turn
                    self.last_error = repr(exc)
                    logger.exception("%s failed; retrying in %.0f s", self.work, self.interval)
                else:
                    self.runs += 1
                self._wake.wait(self.interval)
        finally:
            store.close()
