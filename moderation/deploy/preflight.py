"""Checks made before anything is screened, built or deployed.

Every problem is one line saying what is wrong and how to fix it, and all of
them are reported together, so one run shows everything left to do:

- ``SITEURL`` is an absolute http(s) address and not the example domain;
- a deploy target is set, is not the example host, and can be reached and
  written, with the tools its kind needs (:mod:`.targets`);
- the articles and pages pass ``invoke check --no-drafts`` (the publishing
  plugin's checks, when the site uses that plugin).

The content check reads every article and page the way a build does, which on a
large site costs seconds. A clean result is remembered with the stamps of every
file it could have read (the content folder without its comment files), the
settings, theme and plugins, and the hour (a scheduled article can become due);
when none of them changed, the check is not made again. Comments never take part
in it, so a publish of new comments alone skips it.
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .build import fingerprint
from .targets import Target, is_example_host

logger = logging.getLogger(__name__)


def siteurl_problems(siteurl: str | None, settings_file: Path) -> list[str]:
    fix = f"set SITEURL=https://your.blog in the environment or in {settings_file.name}"
    if not siteurl:
        return [f"SITEURL is empty, so pages would link nowhere: {fix}"]
    parts = urlsplit(siteurl)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"SITEURL {siteurl!r} is not an http:// or https:// address: {fix}"]
    if is_example_host(parts.hostname):
        return [f"SITEURL {siteurl} is the example domain, not your site: {fix}"]
    return []


def _plugin_names(settings: Mapping[str, Any]) -> list[str]:
    return [
        plugin if isinstance(plugin, str) else getattr(plugin, "__name__", "")
        for plugin in settings.get("PLUGINS") or []
    ]


class CheckMemory:
    """Remembers that the content passed its check, with what the result depended on."""

    def __init__(self, path: Path, settings: Mapping[str, Any], settings_file: Path) -> None:
        self.path = path
        content = Path(settings["PATH"])
        comments = (content / settings.get("COMMENTS_PATH", "comments")).resolve()
        stamps = []
        for folder, dirs, names in os.walk(content):
            base = Path(folder)
            dirs[:] = sorted(d for d in dirs if (base / d).resolve() != comments)
            for name in sorted(names):
                stat = (base / name).stat()
                stamps.append((str(base / name), stat.st_mtime_ns, stat.st_size))
        hour = datetime.now(UTC).strftime("%Y-%m-%dT%H")
        parts = [fingerprint(settings, settings_file), hour, stamps]
        self.key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()

    def passed_before(self) -> bool:
        return self.path.is_file() and self.path.read_text(encoding="utf-8").strip() == self.key

    def remember(self) -> None:
        """Called once a publish that checked the content succeeded."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(self.key + "\n", encoding="utf-8")


def content_problems(settings: Mapping[str, Any], memory: CheckMemory | None = None) -> list[str]:
    """``invoke check --no-drafts``: the publishing plugin's checks of what a build publishes."""
    if "publishing" not in _plugin_names(settings):
        return []
    if memory is not None and memory.passed_before():
        logger.info("content unchanged since its last clean check: not checked again")
        return []
    for folder in settings.get("PLUGIN_PATHS") or []:
        if (Path(folder) / "publishing").is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    try:
        checks = importlib.import_module("publishing.checks")
    except ImportError as exc:
        return [f"the publishing plugin cannot be loaded to check the content: {exc}"]
    # Reading the content the way a build does changes the settings it is given (plugins
    # add excludes): the caller's copy must stay as it was, for the build's fingerprint.
    try:
        private = copy.deepcopy(dict(settings))
    except TypeError:  # a module object among the plugins cannot be copied
        private = {key: copy.copy(value) for key, value in settings.items()}
    found = checks.check_content(private, include_drafts=False)
    return [str(problem) for problem in found]


def preflight(
    settings: Mapping[str, Any],
    settings_file: Path,
    target_text: str | None,
    target: Target | None,
    memory: CheckMemory | None = None,
) -> list[str]:
    """Every problem that would stop a publish, one line each.

    ``memory``: a clean content check remembered from an earlier publish (see above).
    """
    problems = siteurl_problems(settings.get("SITEURL"), settings_file)
    if not target_text or target is None:
        problems.append(
            "no deploy target: set DEPLOY_TARGET in the environment or in "
            f"{settings_file.name}, or pass --target (a folder, host:path, or git:REMOTE#BRANCH)"
        )
    else:
        problems += target.preflight()
    problems += content_problems(settings, memory)
    return problems
