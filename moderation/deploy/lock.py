"""One publish at a time: an advisory lock on ``var/publish.lock``.

``flock`` belongs to the open file, so the kernel drops it when the process ends
however it ends: a crashed run never leaves a stale lock behind, and no pid file
has to be second-guessed. The file keeps the holder's pid and start time only to
say who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from .errors import PublishLocked

logger = logging.getLogger(__name__)


def _holder(handle) -> str:
    handle.seek(0)
    try:
        info = json.loads(handle.read() or "{}")
    except ValueError:
        return "another process"
    pid, since = info.get("pid"), info.get("since")
    return f"process {pid}, started {since}" if pid else "another process"


@contextlib.contextmanager
def publish_lock(path: Path) -> Iterator[None]:
    """Hold the publish lock; :class:`PublishLocked` at once if another run has it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PublishLocked(
                f"another publish is running ({_holder(handle)}; lock {path}); "
                "wait for it to finish, then run this again"
            ) from None
        try:
            handle.seek(0)
            handle.truncate()
            started = datetime.now(UTC).isoformat(timespec="seconds")
            handle.write(json.dumps({"pid": os.getpid(), "since": started}))
            handle.flush()
            logger.debug("publish lock %s taken", path)
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
