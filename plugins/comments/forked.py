"""Run one function in a forked child process and collect its result later.

The child starts with a copy of everything the build process holds, so nothing
has to be pickled on the way in; only the return value (or the exception) comes
back, through a pipe. Used to write the comment feeds on the other core while
Pelican renders its pages: a thread would compete with Pelican for the GIL.
"""

from __future__ import annotations

import atexit
import gc
import logging
import os
import pickle
import signal
import traceback
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

# Children not joined yet: a build that fails elsewhere never joins its child,
# and nothing of the plugin may outlive the build process.
_running: set[ForkedCall] = set()


def fork_available() -> bool:
    return hasattr(os, "fork") and hasattr(os, "waitpid")


class ChildDied(Exception):
    """The child process ended without reporting (killed, out of memory)."""


class ForkedCall:
    """``function()`` running in a child process; :meth:`join` returns its result.

    An exception raised in the child is raised again by :meth:`join`, with the
    child's traceback attached as a note; a child that dies without a word
    raises :class:`ChildDied`, so the caller can do the work itself instead.
    """

    def __init__(self, function: Callable[[], Any], name: str) -> None:
        self.name = name
        read_end, write_end = os.pipe()
        # Objects alive now are shared with the child page by page; frozen, the
        # collector leaves them alone, so collections in either process do not
        # write to (and thus copy) every page of the heap.
        gc.freeze()
        try:
            pid = os.fork()
        except BaseException:
            gc.unfreeze()
            os.close(read_end)
            os.close(write_end)
            raise
        if pid == 0:  # pragma: no cover - the child; coverage never sees it return
            os.close(read_end)
            self._run_child(function, write_end)
        os.close(write_end)
        self.pid: int | None = pid
        self._pipe = read_end
        _running.add(self)

    @staticmethod
    def _run_child(function: Callable[[], Any], pipe: int) -> None:
        """Run ``function`` and report; never returns. ``os._exit`` skips the
        parent's atexit handlers and buffered output, which are not ours to run."""
        status = 0
        try:
            try:
                message = pickle.dumps((True, function()), pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:
                status = 1
                message = _pickled_failure(exc)
            view = memoryview(message)
            while view:
                view = view[os.write(pipe, view) :]
        finally:
            os._exit(status)

    def join(self) -> Any:
        """Wait for the child to end; return what the function returned."""
        pid = self.pid
        if pid is None:
            raise RuntimeError(f"{self.name}: already joined")
        chunks = []
        try:
            # The child's end closes when it exits, whether it reported or not.
            while chunk := os.read(self._pipe, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(self._pipe)
            _, status = os.waitpid(pid, 0)
            self.pid = None
            _running.discard(self)
            gc.unfreeze()
        try:
            succeeded, payload = pickle.loads(b"".join(chunks))
        except Exception:
            raise ChildDied(
                f"the {self.name} process (pid {pid}) ended without reporting: "
                f"{_describe_status(status)}"
            ) from None
        if succeeded:
            return payload
        exception, child_traceback = payload
        exception.add_note(f"Raised in the {self.name} process:\n{child_traceback}")
        raise exception

    def kill(self) -> None:
        """Stop the child without waiting for its work (the build failed)."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            logger.debug("%s had already ended", self.name)
        try:
            self.join()
        except BaseException as exc:
            logger.debug("%s stopped: %s", self.name, exc)


def _pickled_failure(exc: BaseException) -> bytes:
    text = "".join(traceback.format_exception(exc))
    try:
        message = pickle.dumps((False, (exc, text)), pickle.HIGHEST_PROTOCOL)
        # Some exceptions pickle but cannot be rebuilt (their __init__ wants
        # other arguments); find out here, not in the parent.
        pickle.loads(message)
    except Exception:
        # Their type name and message still make a clear error.
        stand_in = RuntimeError(f"{type(exc).__name__}: {exc}")
        message = pickle.dumps((False, (stand_in, text)), pickle.HIGHEST_PROTOCOL)
    return message


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(number).name}"
        except ValueError:
            return f"killed by signal {number}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


@atexit.register
def stop_leftovers() -> None:
    """Stop children whose build failed before joining them."""
    for call in list(_running):
        call.kill()
