"""One write lock for the service's threads, so they queue instead of backing off.

The writer and the screening worker each own a connection to the same file.
When one holds SQLite's write lock, the other's ``BEGIN IMMEDIATE`` gets
SQLITE_BUSY and SQLite's busy handler sleeps and retries with growing pauses
(1, 2, 5, 10 ms ...), which shows up as latency spikes on submissions. Taking a
Python lock around each write transaction first makes the threads wait for
exactly as long as the other's transaction lasts. Other processes (the CLI)
still meet the busy timeout, as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..store import Store


class SharedLockStore(Store):
    """A :class:`Store` whose write transactions hold ``write_lock``."""

    def __init__(self, path: str | Path, write_lock: threading.Lock, **options: Any) -> None:
        self._write_lock = write_lock  # before Store.__init__: migrations write
        super().__init__(path, **options)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        if self.in_transaction:
            # A nested transaction (a savepoint): the outer one holds the lock already.
            with super().transaction() as conn:
                yield conn
            return
        with self._write_lock, super().transaction() as conn:
            yield conn
