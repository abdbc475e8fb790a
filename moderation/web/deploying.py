""" "Publish and deploy" from the review page: the pipeline of ``invoke publish`` in a
background thread, with its progress for the page to show (issue 10).

The pipeline itself is :func:`moderation.deploy.publish_site` (write the approved
comment files, build, deploy), the very function ``invoke publish`` calls. One run
at a time: a second start while one runs is refused, here and (through the
pipeline's own lock file) across processes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ModerationError
from ..models import utcnow
from ..settings import Settings

logger = logging.getLogger(__name__)

#: Detail lines of the result shown on the page (every file changed can be thousands).
MAX_DETAIL_LINES = 40

#: ``pipeline(root, progress=callback) -> report``: what a run calls.
Pipeline = Callable[..., Any]


class DeployBusy(ModerationError):
    """A publish and deploy is already running."""


@dataclass(frozen=True)
class DeployStatus:
    """What the page shows: the run going on, or the last one."""

    running: bool = False
    started_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    ok: bool | None = None
    #: Each step so far, in order, with how far it got: "building: 120 of 400".
    progress: tuple[str, ...] = ()
    result: tuple[str, ...] = ()
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "started_by": self.started_by,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "ok": self.ok,
            "progress": list(self.progress),
            "result": list(self.result),
            "error": self.error,
        }


def default_pipeline(
    settings: Settings, db_path: Path, target: str | None, settings_file: str
) -> Pipeline:
    """``moderation.deploy.publish_site`` for this site's folder, database and target:
    exactly what ``invoke publish`` runs."""

    def run(progress: Callable[[str, int, int], None]) -> Any:
        from ..deploy import publish_site

        return publish_site(
            settings.base_dir,
            settings_file=settings_file,
            target=target,
            progress=progress,
            db_path=db_path,
        )

    return run


def report_lines(report: Any) -> list[str]:
    """What a pipeline's report says: its summary, then the first details."""
    lines = str(report.summary()).splitlines() if hasattr(report, "summary") else [str(report)]
    details = [str(line) for line in report.lines()] if hasattr(report, "lines") else []
    if len(details) > MAX_DETAIL_LINES:
        details = [*details[:MAX_DETAIL_LINES], f"… and {len(details) - MAX_DETAIL_LINES} more"]
    return [line for line in lines + details if line.strip()]


class DeployRunner:
    """Runs the pipeline in a thread, one run at a time, and keeps what it says."""

    def __init__(
        self,
        settings: Settings,
        db_path: Path,
        *,
        target: str | None = None,
        settings_file: str = "publishconf.py",
        pipeline: Callable[[Callable[..., None]], Any] | None = None,
    ) -> None:
        self.pipeline = pipeline or default_pipeline(settings, Path(db_path), target, settings_file)
        self._steps: dict[str, tuple[int, int]] = {}
        self._status = DeployStatus()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def status(self) -> DeployStatus:
        with self._lock:
            return self._status

    def start(self, actor: str) -> DeployStatus:
        """Start a run; :class:`DeployBusy` when one is going on."""
        with self._lock:
            if self._status.running:
                raise DeployBusy(
                    f"a publish and deploy is already running (started by "
                    f"{self._status.started_by} at {self._status.started_at:%H:%M:%S} UTC); "
                    "wait for it to finish"
                )
            self._steps = {}
            self._status = DeployStatus(running=True, started_by=actor, started_at=utcnow())
            self._thread = threading.Thread(target=self._run, name="deploy", daemon=True)
            self._thread.start()
            return self._status

    def wait(self, timeout: float | None = None) -> DeployStatus:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def _progress(self, step: str, done: int = 0, total: int = 0) -> None:
        """``progress(step, done, total)`` from the pipeline: one line per step, updated."""
        with self._lock:
            self._steps[step] = (done, total)
            lines = tuple(
                f"{name}: {n} of {of}" if of else (f"{name}: {n}" if n else f"{name}")
                for name, (n, of) in self._steps.items()
            )
            self._status = replace(self._status, progress=lines)

    def _run(self) -> None:
        ok, result, error = False, [], None
        try:
            report = self.pipeline(self._progress)
            ok, result = True, report_lines(report)
        except ModerationError as exc:
            error = str(exc)
        except Exception as exc:  # the page must say so; the thread must not die silently
            logger.exception("publish and deploy failed")
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            self._status = replace(
                self._status,
                running=False,
                finished_at=utcnow(),
                ok=ok,
                result=tuple(result),
                error=error,
            )
        logger.info("publish and deploy %s", "finished" if ok else f"failed: {error}")
