"""Wall-clock timers for each step of the plugin, readable by the benchmark."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)

STEPS = ("discovery", "cache", "reading", "rendering", "waiting", "threads", "feeds", "index")


class Timers:
    """Seconds spent per step of the plugin (rendering includes the nh3 allowlist).

    Reading, rendering and feeds may run in a forked process; ``waiting`` is how
    long the build itself waited for it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STEPS, 0.0)
        self.counts: dict[str, int] = {}

    def reset(self) -> None:
        self.seconds = dict.fromkeys(STEPS, 0.0)
        self.counts = {}

    def add(self, step: str, seconds: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + seconds

    @contextmanager
    def measure(self, step: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(step, time.perf_counter() - started)

    def log(self) -> None:
        logger.debug(
            "comments timers: %s",
            ", ".join(f"{step} {seconds:.3f}s" for step, seconds in self.seconds.items()),
        )


#: The timers of the latest build in this process.
TIMERS = Timers()
