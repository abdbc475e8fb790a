"""The ``COMMENTS_*`` settings both the plugin and ``moderation`` read, declared once.

Each :class:`Setting` has a default, the types a value may have and a check of
its range; :func:`problem` applies all three (and refuses NaN and infinities), so
both sides validate a value the same way and their defaults cannot drift apart.
Either side may override a key from the environment: :func:`env_overrides` parses
every ``COMMENTS_*`` variable as JSON.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from .avatars import AVATAR_SERVICES

ENV_PREFIX = "COMMENTS_"

Check = Callable[[Any], "str | None"]


class Setting(NamedTuple):
    default: Any
    types: tuple[type, ...]
    #: Returns a problem description, or None when the value is fine.
    check: Check | None = None
    doc: str = ""


def problem(key: str, setting: Setting, value: Any) -> str | None:
    """Why ``value`` is not acceptable for ``key``, or ``None``; the text names the key."""
    # bool is an int subclass: COMMENTS_MAX_DEPTH=true must not pass as 1.
    wrong_type = (isinstance(value, bool) and bool not in setting.types) or not isinstance(
        value, setting.types
    )
    if wrong_type:
        wanted = " or ".join(_type_name(t) for t in setting.types)
        return f"{key} must be {wanted}, got {value!r}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{key} must be a finite number, got {value!r}"
    found = setting.check(value) if setting.check else None
    if not found:
        return None
    shown = repr(value) if len(repr(value)) <= 200 else repr(value)[:200] + "…"
    return f"{key} {found}, got {shown}"


def _type_name(kind: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false"}.get(
        kind, kind.__name__
    )


# -- checks --------------------------------------------------------------------------


def between(low: float, high: float) -> Check:
    def check(value: Any) -> str | None:
        return None if low <= value <= high else f"must be between {low:g} and {high:g}"

    return check


def relative_path(value: str) -> str | None:
    if not value.strip() or os.path.isabs(value) or ".." in value.split("/"):
        return "must be a non-empty relative path without '..'"
    return None


def output_path_with_slug(value: str) -> str | None:
    return "must contain {slug}" if "{slug}" not in value else relative_path(value)


def http_url(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError as exc:
        return f"must be an http:// or https:// address ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// address"
    if port == 0:
        return "must not name port 0"
    return None


def site_path(value: str) -> str | None:
    """A path on the site, or an absolute http(s) address."""
    if "://" in value:
        return http_url(value)
    if any(ch.isspace() for ch in value) or value.startswith("//"):
        return "must be a path on the site (no spaces, no '//') or an http(s) address"
    return None


def one_of(*choices: str) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"must be one of {', '.join(map(repr, choices))}"

    return check


def optional_http_url(value: str | None) -> str | None:
    """``None`` (derived), ``""`` (off) or an http(s) address."""
    return None if value is None or value == "" else http_url(value)


def webmention_endpoint(settings: Mapping[str, Any]) -> str:
    """Where the site receives Webmentions: ``COMMENTS_WEBMENTION_URL``, or by default
    ``/webmention`` beside the intake's ``/comments`` (``""``: none advertised)."""
    value = settings.get("COMMENTS_WEBMENTION_URL")
    if value is not None:
        return value
    intake = settings.get("COMMENTS_INTAKE_URL") or SHARED["COMMENTS_INTAKE_URL"].default
    parts = urlsplit(intake)
    path = parts.path.rstrip("/")
    base = path[: -len("/comments")] if path.endswith("/comments") else path
    return f"{parts.scheme}://{parts.netloc}{base}/webmention"


def strings(value: list) -> str | None:
    bad = [item for item in value if not isinstance(item, str) or not item.strip()]
    return f"must be a list of non-empty strings (not {bad[0]!r})" if bad else None


# -- the shared keys -------------------------------------------------------------------

#: Ten years: an article older than that is closed, and a larger number is a typo.
MAX_CLOSE_AFTER_DAYS = 3650

SHARED: dict[str, Setting] = {
    "COMMENTS_PATH": Setting(
        "comments", (str,), relative_path, "folder inside PATH holding <slug>/<id>.md"
    ),
    "COMMENTS_CLOSE_AFTER_DAYS": Setting(
        0,
        (int, float),
        between(0, MAX_CLOSE_AFTER_DAYS),
        "close articles this many days old (fractions allowed); 0 = never",
    ),
    "COMMENTS_SITE_URL": Setting("http://127.0.0.1:8000", (str,), http_url, "public address"),
    "COMMENTS_INTAKE_URL": Setting(
        "http://127.0.0.1:8080/comments", (str,), http_url, "where the comment form posts"
    ),
    "COMMENTS_HONEYPOT_FIELD": Setting(
        "website", (str,), lambda v: None if v.isidentifier() else "must be a plain field name"
    ),
    "COMMENTS_THANKS_URL": Setting("pages/comment-received.html", (str,), site_path),
    "COMMENTS_PRIVACY_URL": Setting("pages/comments-and-privacy.html", (str,), site_path),
    "COMMENTS_AVATARS": Setting(
        "identicon",
        (str,),
        one_of(*AVATAR_SERVICES),
        "identicon (local, default), or libravatar/gravatar for commenters who opt in",
    ),
    "COMMENTS_WEBMENTION_URL": Setting(
        None,
        (str, type(None)),
        optional_http_url,
        "Webmention endpoint advertised by the theme (None: beside the intake; '': none)",
    ),
}


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every ``COMMENTS_*`` environment variable, its value parsed as JSON.

    Raises ``ValueError`` naming the variable when one is not valid JSON.
    """
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        try:
            overrides[name] = json.loads(raw)
        except (json.JSONDecodeError, RecursionError) as exc:
            where = f" ({exc.msg} at column {exc.colno})" if isinstance(exc, ValueError) else ""
            raise ValueError(
                f"environment variable {name} is not valid JSON{where}: {raw[:200]!r}"
            ) from exc
    return overrides


def stable_repr(value: Any) -> str:
    """``repr(value)`` the same in every process, for digests of settings.

    Sets and dicts print in an order that follows string hashing, which changes from one
    process to the next, and functions and modules print their addresses.
    """
    return re.sub(r" at 0x[0-9a-f]+", "", repr(_canonical(value)))


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return sorted(((repr(k), _canonical(v)) for k, v in value.items()), key=lambda i: i[0])
    if isinstance(value, set | frozenset):
        return sorted(repr(_canonical(v)) for v in value)
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value
