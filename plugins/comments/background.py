"""Run one function in a forked process while the build goes on, or right here.

The plugin's two big jobs on a cold build, reading and rendering 20,000 comment
files and writing a thousand Atom feeds, take about as long as Pelican's own
build; done on the machine's other core they cost it little (BENCHMARKS.md has
the figures). A forked child inherits everything the build holds, so only the
arguments and the result cross the pipe.

Forking a process that runs other threads can copy a lock one of them holds, so
the work is only sent away while the build is this process's only thread; it is
also done here when fork is missing, and when the child dies without an answer.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def in_background(function: Callable[..., T], *args: Any, when: bool = True) -> Callable[[], T]:
    """Start ``function(*args)``; the returned callable waits for and returns its result.

    An exception raised by ``function`` is raised by that callable, in any case.
    """
    if not (when and can_fork()):
        return lambda: function(*args)
    # The child inherits the build's whole heap; frozen, the collector stops walking
    # it each time the child's own allocations trigger a collection.
    executor = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze
    )
    future = executor.submit(function, *args)

    def result() -> T:
        try:
            return future.result()
        except BrokenProcessPool:
            logger.warning("comments: the %s process died; doing it here", function.__name__)
            return function(*args)
        finally:
            executor.shutdown(wait=True)

    return result
