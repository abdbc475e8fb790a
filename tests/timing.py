"""CPU time for timing tests: what the code costs, not the shared machine's other work."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any


def fastest_cpu_seconds(
    function: Callable[..., Any],
    *args: Any,
    refusals: tuple[type[BaseException], ...] = (),
    repeat: int = 3,
) -> float:
    """The least CPU time of ``repeat`` calls; raising one of ``refusals`` ends a call too."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        with contextlib.suppress(*refusals):
            function(*args)
        times.append(time.process_time() - started)
    return min(times)
