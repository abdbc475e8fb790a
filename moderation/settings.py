"""Settings: the ``COMMENTS_*`` keys of ``pelicanconf.py``, overridable from the environment.

Every key moderation reads is declared once in :data:`SETTINGS`, with its default,
its types and a check of its range (the keys the plugin reads too come from
:mod:`comment_format.settings`, so both sides agree). :func:`load_settings` reads
the settings file, lays every ``COMMENTS_*`` environment variable (parsed as JSON)
over it and checks every value at start-up, so a bad one is an error naming the
variable before any comment is touched, never a failure later.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import runpy
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from comment_format.settings import SHARED, Setting, between, env_overrides, http_url, problem
from comment_format.settings import strings as strings_check

from .errors import SettingsError

logger = logging.getLogger(__name__)


def _networks(value: list) -> str | None:
    if found := strings_check(value):
        return found
    for item in value:
        try:
            ipaddress.ip_network(item.strip(), strict=False)
        except ValueError:
            return f"must list addresses or networks (not {item!r})"
    return None


def _urls(value: list) -> str | None:
    if found := strings_check(value):
        return found
    for item in value:
        if found := http_url(item):
            return f"entries {found} (not {item!r})"
    return None


def _path_or_none(value: object) -> str | None:
    if value is None or (isinstance(value, str | os.PathLike) and str(value)):
        return None
    return "must be a path or None"


DEFAULT_MODERATION: dict[str, Any] = {
    "approve_below": 0.35,
    "spam_at": 0.85,
    "max_links": 2,
    "moderation_keys": [],
    "disallowed_keys": [],
    "flood_seconds": 15,
    "trust_after_approved": 1,
}

#: Each key of COMMENTS_MODERATION with its own type and range.
MODERATION_OPTIONS: dict[str, Setting] = {
    "approve_below": Setting(0.35, (int, float), between(0, 1)),
    "spam_at": Setting(0.85, (int, float), between(0, 1)),
    "max_links": Setting(2, (int,), between(0, 1000)),
    "moderation_keys": Setting([], (list,), strings_check),
    "disallowed_keys": Setting([], (list,), strings_check),
    "flood_seconds": Setting(15, (int, float), between(0, 86_400)),
    "trust_after_approved": Setting(1, (int,), between(0, 1_000_000)),
}


def _options(
    value: dict, options: dict[str, Setting], required: tuple[str, ...] = ()
) -> str | None:
    """What is wrong with a dict setting whose keys each have their own :class:`Setting`."""
    unknown = sorted(set(value) - set(options))
    if unknown:
        return f"has unknown keys {', '.join(map(repr, unknown))}"
    missing = [name for name in required if name not in value]
    if missing:
        return f"needs the key {missing[0]!r}"
    for name, option in options.items():
        if name in value and (found := problem(f"[{name!r}]", option, value[name])):
            return found.rpartition(", got ")[0] + f" (got {value[name]!r})"
    return None


def _moderation(value: dict) -> str | None:
    if found := _options(value, MODERATION_OPTIONS):
        return found
    if value.get("approve_below", 0) >= value.get("spam_at", 1):
        return "['approve_below'] must be lower than ['spam_at']"
    return None


def _email_address(value: str) -> str | None:
    if not isinstance(value, str) or not _ADDRESS.match(value):
        return f"must be an email address (not {value!r})"
    return None


def _email_addresses(value: list) -> str | None:
    if found := strings_check(value):
        return found
    return next((found for item in value if (found := _email_address(item))), None)


def _env_name(value: str) -> str | None:
    return None if _ENV_NAME.match(value) else "must be an environment variable name"


def _webhook(value: dict | None) -> str | None:
    if value is None:
        return None
    return _options(value, WEBHOOK_OPTIONS, required=("url",))


# Mail and webhooks (issue 11): alerts for moderators, reply notifications for readers.
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: Each key of COMMENTS_SMTP. The password comes from MODERATION_SMTP_PASSWORD.
SMTP_OPTIONS: dict[str, Setting] = {
    "host": Setting("127.0.0.1", (str,), lambda v: None if v.strip() else "must not be empty"),
    "port": Setting(25, (int,), between(1, 65_535)),
    "security": Setting(
        "none",
        (str,),
        lambda v: None if v in ("none", "starttls", "tls") else "must be none, starttls or tls",
    ),
    "user": Setting(None, (str, type(None))),
    "from": Setting("blog@example.org", (str,), _email_address),
}
DEFAULT_SMTP: dict[str, Any] = {key: option.default for key, option in SMTP_OPTIONS.items()}

WEBHOOK_OPTIONS: dict[str, Setting] = {
    "url": Setting("", (str,), http_url),
    "secret_env": Setting("MODERATION_WEBHOOK_SECRET", (str,), _env_name),
}

#: Each key of COMMENTS_NOTIFY.
NOTIFY_OPTIONS: dict[str, Setting] = {
    "moderators": Setting([], (list,), _email_addresses),
    "mode": Setting(
        "immediate",
        (str,),
        lambda v: None if v in ("immediate", "digest") else "must be immediate or digest",
    ),
    "digest_minutes": Setting(30, (int, float), between(1, 24 * 60)),
    "webhook": Setting(None, (dict, type(None)), _webhook),
    "daily_summary": Setting(False, (bool,)),
    #: Spam is not announced unless this is true.
    "alert_spam": Setting(False, (bool,)),
}
DEFAULT_NOTIFY: dict[str, Any] = {key: option.default for key, option in NOTIFY_OPTIONS.items()}


#: Every setting moderation reads.
SETTINGS: dict[str, Setting] = {
    # Read from pelicanconf.py as Pelican knows them.
    "PATH": Setting("content", (str,)),
    "SITENAME": Setting("", (str,)),
    "DEFAULT_LANG": Setting("en", (str,)),
    "TIMEZONE": Setting("UTC", (str,)),
    "OUTPUT_PATH": Setting("output", (str,)),
    # Shared with the plugin.
    **SHARED,
    # None: derived, OUTPUT_PATH/comments/threads.json (see THREADS_IN_OUTPUT).
    "COMMENTS_THREADS": Setting(None, (object,), _path_or_none),
    # Intake.
    "COMMENTS_RATE_LIMIT": Setting(5, (int,), between(0, 100_000)),
    "COMMENTS_MIN_SECONDS": Setting(3.0, (int, float), between(0, 3600)),
    "COMMENTS_TRUSTED_PROXIES": Setting(["127.0.0.1", "::1"], (list,), _networks),
    "COMMENTS_ALLOWED_ORIGINS": Setting(
        ["http://127.0.0.1:8000", "http://localhost:8000"], (list,), _urls
    ),
    "COMMENTS_MAX_REQUEST_BYTES": Setting(160 * 1024, (int,), between(1024, 16 * 1024 * 1024)),
    # "Origin: null" (a sandboxed frame or a data: page, anyone's): refused unless true.
    "COMMENTS_ALLOW_NULL_ORIGIN": Setting(False, (bool,)),
    # Screening.
    "COMMENTS_MODERATION": Setting(DEFAULT_MODERATION, (dict,), _moderation),
    "COMMENTS_AKISMET_RECHECK_MINUTES": Setting(20.0, (int, float), between(0.001, 7 * 24 * 60)),
    "COMMENTS_AKISMET_GIVE_UP_DAYS": Setting(15.0, (int, float), between(0, 365)),
    "COMMENTS_AKISMET_CONCURRENCY": Setting(16, (int,), between(1, 256)),
    # Privacy.
    "COMMENTS_RETENTION_DAYS": Setting(30, (int, float), between(0, 36_500)),
    # Readers (issue 13): how long a comment can be changed through its private link
    # (besides while it is held), and Webmention sources on private networks (tests).
    "COMMENTS_EDIT_MINUTES": Setting(15, (int, float), between(0, 7 * 24 * 60)),
    "COMMENTS_WEBMENTION_ALLOW_PRIVATE": Setting(False, (bool,)),
    # Notifications.
    "COMMENTS_SMTP": Setting(DEFAULT_SMTP, (dict,), lambda v: _options(v, SMTP_OPTIONS)),
    "COMMENTS_NOTIFY": Setting(DEFAULT_NOTIFY, (dict,), lambda v: _options(v, NOTIFY_OPTIONS)),
}

#: The defaults alone (what a missing key is).
DEFAULTS: dict[str, Any] = {key: setting.default for key, setting in SETTINGS.items()}

ENV_PREFIX = "COMMENTS_"

#: Where the plugin always writes the thread index, inside OUTPUT_PATH. Intake reads
#: it from there unless COMMENTS_THREADS names another file (the deployed site's).
THREADS_IN_OUTPUT = Path("comments") / "threads.json"


class Settings(Mapping[str, Any]):
    """Validated settings; paths in them are relative to ``base_dir``."""

    def __init__(self, values: Mapping[str, Any], base_dir: Path, source: str) -> None:
        self._values = dict(values)
        self.base_dir = base_dir
        self.source = source

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def path(self, key: str) -> Path:
        """The setting ``key`` as a path, resolved against the settings file's folder."""
        if key == "COMMENTS_THREADS" and self._values[key] is None:
            return self.path("OUTPUT_PATH") / THREADS_IN_OUTPUT
        value = Path(self._values[key])
        return value if value.is_absolute() else self.base_dir / value

    @property
    def comments_dir(self) -> Path:
        """Where published comment files go: ``PATH/COMMENTS_PATH``."""
        return self.path("PATH") / self._values["COMMENTS_PATH"]

    @property
    def moderation(self) -> dict[str, Any]:
        return self._values["COMMENTS_MODERATION"]

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some keys replaced (validated like any other value)."""
        values = dict(self._values)
        for key, value in overrides.items():
            values[key] = _validate(key, value, f"override {key}", values.get(key))
        return Settings(values, self.base_dir, self.source)


def _read_settings_file(path: Path) -> dict[str, Any]:
    # publishconf.py does ``from pelicanconf import *``: its folder must be importable.
    folder = str(path.parent.resolve())
    sys.path.insert(0, folder)
    try:
        namespace = runpy.run_path(str(path))
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file not found: {path}") from exc
    except Exception as exc:  # the file is user code; any error is a settings error
        raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
    finally:
        sys.path.remove(folder)
    return {key: value for key, value in namespace.items() if key.isupper()}


def _validate(key: str, value: Any, where: str, base: Any = None) -> Any:
    """Check ``value`` for ``key``; a dict merges over ``base`` first."""
    setting = SETTINGS.get(key)
    if setting is None:
        return value
    if isinstance(setting.default, dict) and isinstance(value, dict):
        value = {**setting.default, **(base or {}), **value}
    if found := problem(key, setting, value):
        raise SettingsError(f"{where}: {found}")
    if isinstance(setting.default, float) and isinstance(value, int | float):
        return float(value)
    return value


def load_settings(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read ``path`` (default: ``./pelicanconf.py`` if it exists) and the environment."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {
        key: (dict(v) if isinstance(v, dict) else v) for key, v in DEFAULTS.items()
    }
    if path is None and Path("pelicanconf.py").exists():
        path = Path("pelicanconf.py")
    if path is not None:
        path = Path(path)
        for key, value in _read_settings_file(path).items():
            values[key] = _validate(key, value, str(path), values.get(key))
        base_dir, source = path.parent.resolve(), str(path)
    else:
        base_dir, source = Path.cwd(), "defaults"
    try:
        overrides = env_overrides(environ)
    except ValueError as exc:
        raise SettingsError(str(exc)) from exc
    for key, value in overrides.items():
        values[key] = _validate(key, value, f"environment variable {key}", values.get(key))
    logger.debug("settings loaded from %s", source)
    return Settings(values, base_dir, source)
