"""The plugin's settings: defaults declared once, environment overrides, one check loop.

Every ``COMMENTS_*`` key may be overridden by an environment variable of the same
name whose value is JSON (``COMMENTS_MAX_DEPTH=2``, ``COMMENTS_STRICT=false``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, NamedTuple

from .errors import CommentsSettingsError

logger = logging.getLogger(__name__)

ENV_PREFIX = "COMMENTS_"


class Setting(NamedTuple):
    default: Any
    types: tuple[type, ...]
    # Returns a problem description, or None when the value is fine.
    check: Callable[[Any], str | None] | None = None
    doc: str = ""


def _relative_path(value: str) -> str | None:
    if not value.strip() or os.path.isabs(value) or ".." in value.split("/"):
        return "must be a non-empty path relative to PATH"
    return None


def _at_least(minimum: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        return None if value >= minimum else f"must be at least {minimum}"

    return check


def _output_path_with_slug(value: str) -> str | None:
    if "{slug}" not in value:
        return "must contain {slug}"
    return _output_path(value)


def _output_path(value: str) -> str | None:
    if not value.strip() or os.path.isabs(value) or ".." in value.split("/"):
        return "must be a non-empty path inside the output folder"
    return None


DEFAULTS: dict[str, Setting] = {
    "COMMENTS_PATH": Setting(
        "comments", (str,), _relative_path, "folder inside PATH holding <slug>/<id>.md"
    ),
    "COMMENTS_MAX_DEPTH": Setting(
        4, (int,), _at_least(1), "levels of nesting, top level included (1 = flat)"
    ),
    "COMMENTS_CLOSE_AFTER_DAYS": Setting(
        0, (int, float), _at_least(0), "close articles this many days old; 0 = never"
    ),
    "COMMENTS_STRICT": Setting(True, (bool,), None, "a bad comment file fails the build"),
    "COMMENTS_FEED_ATOM": Setting(
        "feeds/comments/{slug}.atom.xml", (str,), _output_path_with_slug, "per-article feed"
    ),
    "COMMENTS_ALL_FEED_ATOM": Setting(
        "feeds/comments.atom.xml", (str,), _output_path, "site-wide comment feed"
    ),
    "COMMENTS_RECENT_COUNT": Setting(5, (int,), _at_least(0), "size of recent_comments"),
    "COMMENTS_ALL_FEED_MAX_ITEMS": Setting(
        50, (int,), _at_least(1), "entries in the site-wide feed of recent comments"
    ),
    # Read by the theme's comment form; declared here so templates always have them.
    "COMMENTS_SITE_URL": Setting("http://127.0.0.1:8000", (str,), None, "public site address"),
    "COMMENTS_INTAKE_URL": Setting(
        "http://127.0.0.1:8080/comments", (str,), None, "where the form posts"
    ),
    "COMMENTS_HONEYPOT_FIELD": Setting("website", (str,), None, "the trap field's name"),
    "COMMENTS_THANKS_URL": Setting("pages/comment-received.html", (str,), None, ""),
    "COMMENTS_PRIVACY_URL": Setting("pages/comments-and-privacy.html", (str,), None, ""),
}


def _check(key: str, value: Any, where: str) -> Any:
    setting = DEFAULTS.get(key)
    if setting is None:
        return value
    # bool is an int subclass: COMMENTS_MAX_DEPTH=true must not pass as 1.
    if isinstance(value, bool) and bool not in setting.types:
        wrong_type = True
    else:
        wrong_type = not isinstance(value, setting.types)
    if wrong_type:
        wanted = " or ".join(t.__name__ for t in setting.types)
        raise CommentsSettingsError(f"{where}: {key} must be {wanted}, got {value!r}")
    problem = setting.check(value) if setting.check else None
    if problem:
        raise CommentsSettingsError(f"{where}: {key} {problem}, got {value!r}")
    return value


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every ``COMMENTS_*`` environment variable, its value parsed as JSON."""
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        try:
            overrides[name] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommentsSettingsError(
                f"environment variable {name} is not valid JSON "
                f"({exc.msg} at column {exc.colno}): {raw!r}"
            ) from exc
    return overrides


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
    for key, value in env_overrides(environ).items():
        current = settings.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            value = {**current, **value}
        settings[key] = _check(key, value, f"environment variable {key}")
        logger.debug("%s overridden from the environment", key)
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
