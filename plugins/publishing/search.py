"""The static search index: Pagefind, run over the finished site after Pelican.

Pagefind (the ``pagefind[bin]`` package ships its binary) reads the written HTML and
writes ``pagefind/`` into the output folder: the index, in fragments a browser loads
on demand, and the ``pagefind.js`` that ``theme/static/js/search.js`` imports. Only
elements marked ``data-pagefind-body`` are indexed: the theme puts it on published
articles and pages, never on comments, drafts, lists or the 404 page.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from pathlib import Path

from pagefind_bin import get_executable

logger = logging.getLogger(__name__)

BUNDLE = "pagefind"


class SearchIndexError(RuntimeError):
    """Pagefind failed; the build must not pass without its search index."""


def build_index(output_path: str | Path, language: str = "en") -> Path:
    """Index ``output_path`` into ``output_path/pagefind``; return that folder."""
    output = Path(output_path)
    bundle = output / BUNDLE
    # Pagefind names its files by content hash; clear the old ones out first.
    shutil.rmtree(bundle, ignore_errors=True)
    command = [
        str(get_executable()),
        "--site",
        str(output),
        "--output-subdir",
        BUNDLE,
        "--force-language",
        language,
        "--quiet",
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (bundle / "pagefind.js").is_file():
        raise SearchIndexError(
            f"pagefind exited with {result.returncode}: {(result.stderr or result.stdout).strip()}"
        )
    logger.info("search: indexed %s in %.2f s", output, time.perf_counter() - started)
    return bundle
