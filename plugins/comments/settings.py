"""The plugin's settings: the shared ``COMMENTS_*`` keys from :mod:`comment_format.settings`
plus the plugin's own, environment overrides, and one check loop.

Every ``COMMENTS_*`` key may be overridden by an environment variable of the same
name whose value is JSON (``COMMENTS_MAX_DEPTH=2``, ``COMMENTS_STRICT=false``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, MutableMapping
from typing import Any

from comment_format.settings import (
    SHARED,
    Setting,
    between,
    env_overrides,
    output_path_with_slug,
    problem,
    relative_path,
    webmention_endpoint,
)

from .errors import CommentsSettingsError

logger = logging.getLogger(__name__)

DEFAULTS: dict[str, Setting] = {
    **SHARED,
    "COMMENTS_MAX_DEPTH": Setting(
        4, (int,), between(1, 100), "levels of nesting, top level included (1 = flat)"
    ),
    "COMMENTS_STRICT": Setting(True, (bool,), None, "a bad comment file fails the build"),
    "COMMENTS_FEED_ATOM": Setting(
        "feeds/comments/{slug}.atom.xml", (str,), output_path_with_slug, "per-article feed"
    ),
    "COMMENTS_ALL_FEED_ATOM": Setting(
        "feeds/comments.atom.xml", (str,), relative_path, "site-wide comment feed"
    ),
    "COMMENTS_RECENT_COUNT": Setting(5, (int,), between(0, 1000), "size of recent_comments"),
    "COMMENTS_ALL_FEED_MAX_ITEMS": Setting(
        50, (int,), between(1, 10_000), "entries in the site-wide feed of recent comments"
    ),
    "COMMENTS_INCREMENTAL": Setting(
        True,
        (bool,),
        None,
        "with COMMENTS_BUILD_STATE, render only the pages whose comments changed (False "
        "for a theme showing other articles' comments on a page, see incremental.py)",
    ),
    "COMMENTS_BUILD_STATE": Setting(
        None,
        (str, type(None)),
        None,
        "a file remembering what OUTPUT_PATH was built from: the next build into that "
        "folder renders only the pages whose comments changed",
    ),
}


def _check(key: str, value: Any, where: str) -> Any:
    setting = DEFAULTS.get(key)
    if setting is not None and (found := problem(key, setting, value)):
        raise CommentsSettingsError(f"{where}: {found}")
    return value


def configure(
    settings: MutableMapping[str, Any], environ: Mapping[str, str] | None = None
) -> MutableMapping[str, Any]:
    """Fill in defaults, apply environment overrides and validate, in place."""
    environ = os.environ if environ is None else environ
    for key, setting in DEFAULTS.items():
        if key in settings:
            _check(key, settings[key], "settings")
        else:
            settings[key] = setting.default
    try:
        overrides = env_overrides(environ)
    except ValueError as exc:
        raise CommentsSettingsError(str(exc)) from exc
    for key, value in overrides.items():
        current = settings.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            value = {**current, **value}
        settings[key] = _check(key, value, f"environment variable {key}")
        logger.debug("%s overridden from the environment", key)
    # For the theme's <link rel="webmention">: the derived address, or "" for none.
    settings["COMMENTS_WEBMENTION_ENDPOINT"] = webmention_endpoint(settings)
    return settings


def exclude_comments_folder(settings: MutableMapping[str, Any]) -> list[str]:
    """Make sure no other generator reads comment files; returns the keys changed."""
    folder = settings["COMMENTS_PATH"].strip("/")
    changed = []
    for key in ("ARTICLE_EXCLUDES", "PAGE_EXCLUDES", "STATIC_EXCLUDES"):
        excludes = list(settings.get(key) or [])
        if folder not in (entry.strip("/") for entry in excludes):
            settings[key] = [*excludes, folder]
            changed.append(key)
    return changed
