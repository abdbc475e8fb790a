"""A value read from files and read again only when they change.

The intake's thread index (``threads.json``) and the review page's article index
are both read from disk on a request's path; reading them every time would cost
more than the request itself. :class:`Reloading` looks at a cheap stamp of the
files (their times and sizes) at most once per ``interval`` seconds and reads
them again only when the stamp differs. A read that fails keeps the value read
before (a file half-written by a build is read again once it changes), and only
fails the caller when there is nothing to fall back on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Reloading(Generic[T]):
    def __init__(
        self,
        stamp: Callable[[], Hashable],
        load: Callable[[], T],
        *,
        interval: float = 1.0,
        name: str = "value",
    ) -> None:
        self._stamp = stamp
        self._load = load
        self.interval = interval
        self.name = name
        self._lock = threading.Lock()  # one reload at a time; requests run on many threads
        self._checked_at = float("-inf")
        self._seen: Hashable = object()
        self._value: T | None = None
        self._loaded = False

    def get(self) -> T:
        """The current value; raises what ``stamp`` or ``load`` raised if there is none yet."""
        now = time.monotonic()
        with self._lock:
            if self._loaded and now - self._checked_at < self.interval:
                return self._value  # type: ignore[return-value]
            self._checked_at = now
            try:
                stamp = self._stamp()
                if stamp != self._seen or not self._loaded:
                    value = self._load()
                    self._seen, self._value, self._loaded = stamp, value, True
            except Exception as exc:
                if not self._loaded:
                    raise
                # Keep what we had; the next change of the files brings a new try.
                logger.warning(
                    "cannot read the %s again (%s); using the last one read", self.name, exc
                )
            return self._value  # type: ignore[return-value]
