"""One site build in a fresh interpreter: ``python -m moderation.deploy.runner CONFIG``.

:func:`moderation.deploy.build.build_site` starts this and reads its stdout, one
JSON object a line: ``{"written": N}`` as pages are written, ``{"step": "..."}``
when a long step starts, and ``{"done": {...}}`` at the end. Pelican's own log
goes to stderr. A build that logs an error fails (exit 1), as Pelican's
``--fatal errors`` would: a site with a broken page is not deployed.

The search index is the one step a cache of Pelican's does not cover. Pagefind
reads only the parts of pages marked ``data-pagefind-body`` (articles and pages,
never comments), so when no indexed source, template, plugin or setting changed
since the last build, the previous index is copied instead of made again: new
comments alone never need a new index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

#: Report progress at most this often (seconds), and after the last page.
REPORT_INTERVAL = 0.1


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


class ErrorCounter(logging.Handler):
    """Counts error records; the build fails when there were any."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage().splitlines()[0] if record.msg else record.name)


def _indexed_sources(generators: list[Any]) -> list[tuple[str, str, int, int]]:
    """(url, source, mtime, size) of every page Pagefind will read."""
    found = []
    for generator in generators:
        for name in ("articles", "translations", "pages"):
            for content in getattr(generator, name, []) or []:
                if getattr(content, "status", "") != "published":
                    continue
                source = getattr(content, "source_path", "") or ""
                try:
                    stat = os.stat(source)
                    stamp = (stat.st_mtime_ns, stat.st_size)
                except OSError:
                    stamp = (0, 0)
                found.append((content.url, source, *stamp))
    return sorted(found)


def _search_index(
    output: Path, language: str, fingerprint: str, cache: Path | None, reuse: bool
) -> bool:
    """Write ``output/pagefind``; True when a cached index was reused."""
    from publishing import search  # loaded by Pelican from PLUGIN_PATHS

    cached = cache / fingerprint if cache else None
    # A build that started from the last one holds its index: never mix two.
    shutil.rmtree(output / search.BUNDLE, ignore_errors=True)
    if reuse and cached is not None and (cached / "pagefind.js").is_file():
        shutil.copytree(cached, output / search.BUNDLE)
        return True
    bundle = search.build_index(output, language)
    if cache is not None:
        # Keep only the newest index: the older ones can never match again.
        shutil.rmtree(cache, ignore_errors=True)
        partial = cache / f".{fingerprint}.partial"
        shutil.copytree(bundle, partial)
        partial.rename(cache / fingerprint)
    return False


def run(config: dict[str, Any]) -> dict[str, Any]:
    from pelican import Pelican
    from pelican.plugins import signals
    from pelican.settings import read_settings

    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    settings = read_settings(config["settings_file"], override=config["overrides"])
    search_wanted = bool(settings.get("SEARCH_INDEX"))
    # The publishing plugin would run Pagefind itself; here it runs (or is reused) below.
    settings["SEARCH_INDEX"] = False

    written = kept = 0
    last_report = 0.0
    indexed: list[tuple[str, str, int, int]] = []

    def on_written(path: str, context: Any = None, **_: Any) -> None:
        nonlocal written, kept, last_report
        written += 1
        # The comments plugin kept this page from the last build (COMMENTS_BUILD_STATE).
        kept += bool(context and context.get("page_kept"))
        now = time.monotonic()
        if now - last_report >= REPORT_INTERVAL:
            last_report = now
            emit({"written": written, "kept": kept})

    def on_generators(generators: list[Any]) -> None:
        indexed.extend(_indexed_sources(generators))

    # Receivers are held weakly: these names keep them alive for the build.
    signals.content_written.connect(on_written)
    signals.feed_written.connect(on_written)
    signals.all_generators_finalized.connect(on_generators)

    Pelican(settings).run()
    emit({"written": written, "kept": kept})
    if errors.messages:
        raise SystemExit(
            f"the build logged {len(errors.messages)} error(s); first: {errors.messages[0]}"
        )

    reused = False
    if search_wanted:
        emit({"step": "search index"})
        digest = hashlib.sha256(json.dumps([config["fingerprint"], indexed]).encode())
        cache = config.get("search_cache")
        reused = _search_index(
            Path(settings["OUTPUT_PATH"]),
            settings.get("DEFAULT_LANG") or "en",
            digest.hexdigest()[:32],
            Path(cache) if cache else None,
            reuse=config.get("reuse_search", True),
        )
    return {"written": written, "kept": kept, "search_reused": reused}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m moderation.deploy.runner CONFIG_JSON", file=sys.stderr)
        return 2
    try:
        result = run(json.loads(argv[1]))
    except SystemExit as exc:
        if isinstance(exc.code, str):
            print(f"error: {exc.code}", file=sys.stderr)
            return 1
        raise
    emit({"done": result})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
