"""Building the site for a publish: in a child interpreter, into a fresh folder, cached.

Pelican runs in a child process (:mod:`.runner`) rather than through its API in
this one. Its plugins connect signal receivers and keep module state for the
life of a process, so a second build in the same process (the review page's
"Publish and deploy" button, a test) would run plugins twice over stale state;
a child also keeps a crashing or memory-hungry build out of a long-running
server, and can be stopped on its own. Progress is not lost: the child reports
every page it writes on a pipe, one JSON line at a time.

The caches (Pelican's content cache, which holds the comments plugin's rendered
comments too, the last search index, and the last build itself with what it was
made from) live in ``var/publish/cache`` and are kept between publishes. A build
starts from the last one, moved into its fresh folder, and the comments plugin
renders only the pages whose comments changed (``COMMENTS_BUILD_STATE``, in
``plugins/comments/incremental.py``); after the deploy, :func:`keep_build` puts
it back for the next publish. They are keyed by file stamps, which say nothing about
settings, themes or plugins, so a fingerprint of those is kept beside them and
the caches are dropped when it changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comment_format.settings import stable_repr

from .errors import DeployError

logger = logging.getLogger(__name__)

#: ``progress(done, total)`` for pages written (total 0: not known yet).
PageProgress = Callable[[int, int], None]
PACKAGES = ("pelican", "markdown", "pagefind-bin", "cmarkgfm", "nh3")
STATS_FILE = "last-build.json"
FINGERPRINT_FILE = "fingerprint"
#: The last build (a whole site) and what its pages were made from.
LAST_SITE = "site"
LAST_STATE = "site-state.json"


@dataclass(frozen=True)
class BuildResult:
    """A finished build: where it is and what it took."""

    output: Path
    pages_written: int
    #: Of ``pages_written``, those kept from the last build because nothing they show changed.
    pages_kept: int
    files: int
    seconds: float
    search_reused: bool


def _stamps(folder: Path) -> list[tuple[str, int, int]]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            found.append((str(path.relative_to(folder)), stat.st_mtime_ns, stat.st_size))
    return found


def fingerprint(settings: Mapping[str, Any], settings_file: Path) -> str:
    """What the caches depend on besides the content files themselves."""
    parts: list[Any] = [stable_repr(dict(settings))]
    for name in sorted({settings_file.name, "pelicanconf.py"}):
        path = settings_file.parent / name
        parts.append(path.read_text(encoding="utf-8") if path.is_file() else "")
    for package in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            parts.append((package, importlib.metadata.version(package)))
    folders = [
        settings.get("THEME", ""),
        *(settings.get("THEME_TEMPLATES_OVERRIDES") or []),
        *(settings.get("PLUGIN_PATHS") or []),
    ]
    for folder in folders:
        if folder and Path(folder).is_dir():
            parts.append(_stamps(Path(folder)))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def prepare_cache(cache: Path, current: str) -> None:
    """Drop ``cache`` when it was made for other settings, themes or plugins."""
    marker = cache / FINGERPRINT_FILE
    if marker.is_file() and marker.read_text(encoding="utf-8").strip() == current:
        return
    if cache.exists():
        logger.info("settings, theme or plugins changed: starting with an empty cache")
        shutil.rmtree(cache)
    cache.mkdir(parents=True)
    marker.write_text(current + "\n", encoding="utf-8")


def _expected_pages(cache: Path) -> int:
    try:
        return int(json.loads((cache / STATS_FILE).read_text(encoding="utf-8"))["written"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def build_site(
    root: Path,
    settings_file: Path,
    output: Path,
    cache: Path,
    *,
    settings: Mapping[str, Any],
    overrides: Mapping[str, Any] | None = None,
    keep_cache: bool = True,
    progress: PageProgress | None = None,
    on_step: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build with ``settings_file`` into ``output`` (which must be new and empty).

    ``keep_cache=False`` reads the caches but writes nothing back (a dry run builds
    from other paths, and must leave the caches as the next real publish needs them).
    """
    started = time.monotonic()
    current = fingerprint(settings, settings_file)
    prepare_cache(cache, current)
    config = {
        "settings_file": str(settings_file),
        "fingerprint": current,
        "search_cache": str(cache / "search") if keep_cache else None,
        "reuse_search": True,
        "overrides": {
            "OUTPUT_PATH": str(output),
            "CACHE_PATH": str(cache / "pelican"),
            "CACHE_CONTENT": keep_cache,
            "LOAD_CONTENT_CACHE": keep_cache,
            # The folder is new; Pelican must not be asked to empty anything else.
            "DELETE_OUTPUT_DIRECTORY": False,
            **(overrides or {}),
        },
    }
    if not keep_cache and (cache / "search").is_dir():
        config["search_cache"] = str(_copy_of_search_cache(cache, output))
    if keep_cache:
        config["overrides"]["COMMENTS_BUILD_STATE"] = str(cache / LAST_STATE)
        _start_from_last_build(cache, output)
    expected = _expected_pages(cache)
    written, kept, result = 0, 0, None
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:
        command = [sys.executable, "-m", "moderation.deploy.runner", json.dumps(config)]
        with subprocess.Popen(
            command, cwd=root, stdout=subprocess.PIPE, stderr=errors, text=True, env=os.environ
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                try:
                    message = json.loads(line)
                except ValueError:  # a plugin printing to stdout: not ours to read
                    continue
                if "written" in message:
                    written, kept = message["written"], message.get("kept", 0)
                    if progress is not None:
                        progress(written, max(expected, written))
                elif "step" in message and on_step is not None:
                    on_step(message["step"])
                elif "done" in message:
                    result = message["done"]
        errors.seek(0)
        log = errors.read()
    if process.returncode != 0 or result is None:
        tail = [line for line in log.strip().splitlines() if line.strip()][-12:]
        raise DeployError(
            f"the build with {settings_file.name} failed (exit {process.returncode}); "
            "nothing was deployed. Its last words:\n" + "\n".join(tail)
        )
    if keep_cache:
        (cache / STATS_FILE).write_text(json.dumps({"written": written}), encoding="utf-8")
    files = sum(1 for path in output.rglob("*") if path.is_file())
    return BuildResult(
        output=output,
        pages_written=written,
        pages_kept=kept,
        files=files,
        seconds=time.monotonic() - started,
        search_reused=bool(result.get("search_reused")),
    )


def _copy_of_search_cache(cache: Path, output: Path) -> Path:
    """A throwaway copy of the search cache, beside the build, for a dry run to use."""
    copy = output.parent / f"{output.name}-search-cache"
    shutil.copytree(cache / "search", copy)
    return copy


def _start_from_last_build(cache: Path, output: Path) -> None:
    """Move the last build into ``output`` (new), when its state says what it was made from."""
    last = cache / LAST_SITE
    if not last.is_dir():
        return
    if (cache / LAST_STATE).is_file():
        try:
            last.rename(output)
            return
        except OSError as exc:  # another file system: the build starts from nothing
            logger.info("cannot reuse the last build in %s: %s", last, exc)
    shutil.rmtree(last, ignore_errors=True)


def keep_build(build: BuildResult, cache: Path) -> None:
    """Keep a finished build in ``cache`` for the next one to start from."""
    last = cache / LAST_SITE
    shutil.rmtree(last, ignore_errors=True)
    try:
        build.output.rename(last)
    except OSError as exc:
        logger.info("cannot keep the build for the next publish: %s", exc)
