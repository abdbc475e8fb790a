"""Run one function in a forked process while the build goes on, or right here.

The plugin's two big jobs on a cold build, reading and rendering 20,000 comment
files and writing a thousand Atom feeds, take about as long as Pelican's own
build; done on the machine's other core they cost it little (BENCHMARKS.md has
the figures). A forked child inherits everything the build holds, so only the
result crosses the pipe.

Forking a process that runs other threads can copy a lock one of them holds, so
the work is only sent away while the build is this process's only thread; it is
also done here when fork is missing, and when the child dies without an answer.

A build that fails between starting a job and asking for its result would leave
the child and its executor (a thread) behind, and with that thread no later build
in the process would fork again: :func:`finish_leftovers`, called when the next
build starts, waits for such jobs and shuts them down.
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


#: Jobs by key while they run: a forked child finds its job here, inherited with
#: everything the job refers to, so only the key goes in and the result comes out.
_jobs: dict[int, Callable[[], Any]] = {}
#: Their executors, until the result is asked for.
_executors: dict[int, ProcessPoolExecutor] = {}


def _run(key: int) -> Any:
    return _jobs[key]()


def in_background(job: Callable[[], T], *, when: bool = True) -> Callable[[], T]:
    """Start ``job()`` (a bound method, say); the returned callable waits for its result.

    Without a fork (``when`` false, no fork on this system, other threads running)
    the returned callable runs ``job`` itself. An exception raised by ``job`` is
    raised by that callable, in any case.
    """
    if not (when and can_fork()):
        return job
    key = id(job)
    _jobs[key] = job
    # The child inherits the build's whole heap; frozen, the collector stops walking
    # it each time the child's own allocations trigger a collection.
    executor = ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze
    )
    future = executor.submit(_run, key)  # forks here, with the job registered
    _executors[key] = executor

    def result() -> T:
        try:
            return future.result()
        except BrokenProcessPool:
            logger.warning("comments: the process for %s died; doing it here", _name(job))
            return job()
        finally:
            executor.shutdown(wait=True)
            _executors.pop(key, None)
            _jobs.pop(key, None)

    return result


def finish_leftovers() -> None:
    """Wait for the jobs whose result was never asked for (their build failed) and
    shut their children down, so that nothing of an earlier build is left running."""
    for key in list(_executors):
        executor, job = _executors.pop(key), _jobs.pop(key, None)
        logger.info("comments: waiting for %s, left running by a build that failed", _name(job))
        executor.shutdown(wait=True)


def _name(job: Callable[[], Any]) -> str:
    return getattr(job, "__qualname__", None) or repr(job)
