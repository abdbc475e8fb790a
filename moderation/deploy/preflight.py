"""Checks made before anything is screened, built or deployed.

Every problem is one line saying what is wrong and how to fix it, and all of
them are reported together, so one run shows everything left to do:

- ``SITEURL`` is an absolute http(s) address and not the example domain;
- a deploy target is set, is not the example host, and can be reached and
  written, with the tools its kind needs (:mod:`.targets`);
- the articles and pages pass ``invoke check --no-drafts`` (the publishing
  plugin's checks, when the site uses that plugin).
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


def content_problems(settings: Mapping[str, Any]) -> list[str]:
    """``invoke check --no-drafts``: the publishing plugin's checks of what a build publishes."""
    if "publishing" not in _plugin_names(settings):
        return []
    for folder in settings.get("PLUGIN_PATHS") or []:
        if (Path(folder) / "publishing").is_dir() and str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    try:
        checks = importlib.import_module("publishing.checks")
    except ImportError as exc:
        return [f"the publishing plugin cannot be loaded to check the content: {exc}"]
    return [str(problem) for problem in checks.check_content(settings, include_drafts=False)]


def preflight(
    settings: Mapping[str, Any],
    settings_file: Path,
    target_text: str | None,
    target: Target | None,
) -> list[str]:
    """Every problem that would stop a publish, one line each."""
    problems = siteurl_problems(settings.get("SITEURL"), settings_file)
    if not target_text or target is None:
        problems.append(
            "no deploy target: set DEPLOY_TARGET in the environment or in "
            f"{settings_file.name}, or pass --target (a folder, host:path, or git:REMOTE#BRANCH)"
        )
    else:
        problems += target.preflight()
    problems += content_problems(settings)
    return problems
