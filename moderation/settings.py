"""Settings: the ``COMMENTS_*`` keys of ``pelicanconf.py``, overridable from the environment.

The defaults are declared once in :data:`DEFAULTS`; :func:`load_settings` reads the
settings file, lays every ``COMMENTS_*`` environment variable (parsed as JSON) over
it and validates every key against the type of its default in one loop.
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import SettingsError

logger = logging.getLogger(__name__)

DEFAULT_MODERATION: dict[str, Any] = {
    "approve_below": 0.40,
    "spam_at": 0.85,
    "max_links": 2,
    "moderation_keys": [],
    "disallowed_keys": [],
    "flood_seconds": 15,
    "trust_after_approved": 1,
}

#: Every setting moderation reads, with its default. The type of the default is
#: the type a value must have (an int is accepted where a float is expected).
DEFAULTS: dict[str, Any] = {
    # Read from pelicanconf.py as Pelican knows them.
    "PATH": "content",
    "SITENAME": "",
    "DEFAULT_LANG": "en",
    "OUTPUT_PATH": "output",
    # Shared with the plugin.
    "COMMENTS_PATH": "comments",
    "COMMENTS_SITE_URL": "http://127.0.0.1:8000",
    "COMMENTS_INTAKE_URL": "http://127.0.0.1:8080/comments",
    "COMMENTS_HONEYPOT_FIELD": "website",
    "COMMENTS_THANKS_URL": "pages/comment-received.html",
    "COMMENTS_PRIVACY_URL": "pages/comments-and-privacy.html",
    "COMMENTS_CLOSE_AFTER_DAYS": 0.0,  # the plugin accepts fractions of a day too
    # None: derived, OUTPUT_PATH/comments/threads.json (see THREADS_IN_OUTPUT).
    "COMMENTS_THREADS": None,
    # Intake.
    "COMMENTS_RATE_LIMIT": 5,
    "COMMENTS_MIN_SECONDS": 3.0,
    "COMMENTS_TRUSTED_PROXIES": ["127.0.0.1", "::1"],
    "COMMENTS_ALLOWED_ORIGINS": ["http://127.0.0.1:8000", "http://localhost:8000"],
    "COMMENTS_MAX_REQUEST_BYTES": 160 * 1024,
    # Screening.
    "COMMENTS_MODERATION": DEFAULT_MODERATION,
    "COMMENTS_AKISMET_RECHECK_MINUTES": 20.0,
    "COMMENTS_AKISMET_GIVE_UP_DAYS": 15.0,
    "COMMENTS_AKISMET_CONCURRENCY": 16,
    # Privacy.
    "COMMENTS_RETENTION_DAYS": 30,
}

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
    """Check ``value`` against the default's type; dicts merge over ``base``."""
    default = DEFAULTS.get(key)
    if key == "COMMENTS_THREADS":
        # A path, or None for the file the plugin writes into OUTPUT_PATH.
        if value is not None and (not isinstance(value, str | os.PathLike) or not str(value)):
            raise SettingsError(f"{where}: {key} must be a path or None, got {value!r}")
        return value
    if default is None:
        return value
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise SettingsError(f"{where}: {key} must be a JSON object, got {value!r}")
        merged = {**default, **(base or {}), **value}
        for name, item in merged.items():
            if name in default:
                _check_type(f"{key}[{name!r}]", item, default[name], where)
        return merged
    _check_type(key, value, default, where)
    return float(value) if isinstance(default, float) else value


def _check_type(label: str, value: Any, default: Any, where: str) -> None:
    expected: tuple[type, ...]
    if isinstance(default, bool):
        expected = (bool,)
    elif isinstance(default, float):
        expected = (int, float)
    elif isinstance(default, int):
        expected = (int,)
    else:
        expected = (type(default),)
    # bool is an int subclass; True must not pass as a number.
    if (isinstance(value, bool) and bool not in expected) or not isinstance(value, expected):
        wanted = " or ".join(t.__name__ for t in expected)
        raise SettingsError(f"{where}: {label} must be {wanted}, got {value!r}")


def env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every ``COMMENTS_*`` environment variable, parsed as JSON."""
    overrides = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        try:
            overrides[name] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise SettingsError(
                f"environment variable {name} is not valid JSON ({exc.msg} at column "
                f"{exc.colno}): {raw!r}"
            ) from exc
    return overrides


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
    for key, value in env_overrides(environ).items():
        values[key] = _validate(key, value, f"environment variable {key}", values.get(key))
    logger.debug("settings loaded from %s", source)
    return Settings(values, base_dir, source)
