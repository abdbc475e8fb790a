"""Tests that drive a real tool (Chromium, rsync, git, free ports) and what they do without it.

On a developer's machine a missing tool skips those tests with the reason. In CI
(``CI=true``) it fails them: a green CI run must mean the browser, rsync and git
tests really ran. ``make test`` installs the tools (its set-up step, as root).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
CHROMIUM = Path("/usr/bin/chromium")
SETUP_HINT = "`make test-setup` installs it (as root)"


def missing(reason: str) -> None:
    """Skip the running test, or fail it in CI, because ``reason`` (a real part is missing)."""
    if IN_CI:
        pytest.fail(f"{reason}; CI must run this test ({SETUP_HINT})", pytrace=False)
    pytest.skip(f"{reason} ({SETUP_HINT})")


def require_tool(name: str) -> str:
    """The path of the command ``name``; skips (fails in CI) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        missing(f"{name} is not installed")
    return path or name


def require_chromium() -> Path:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing: install Debian's chromium")
    return CHROMIUM


#: For ``pytestmark``: skip browser tests without Chromium, except in CI, where they
#: run and fail (Playwright cannot launch a browser that is not there).
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists() and not IN_CI,
    reason=f"{CHROMIUM} is missing: install Debian's chromium ({SETUP_HINT})",
)
