"""Build real Pelican sites for the theme tests (site and browser)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pelican import Pelican
from pelican.settings import read_settings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = ROOT / "pelicanconf.py"
PUBLISH_SETTINGS_FILE = ROOT / "publishconf.py"
FIXTURE_CONTENT = Path(__file__).resolve().parent / "site_data"
PLUGIN_INIT = ROOT / "plugins" / "comments" / "__init__.py"


def build_site(
    content: Path,
    output: Path,
    settings_file: Path = SETTINGS_FILE,
    **overrides: Any,
) -> dict[str, Any]:
    """Build ``content`` with the project's settings, theme and plugin into ``output``.

    Returns the settings used. Caching is off so every build reads every file.
    """
    override = {
        "PATH": str(content),
        "OUTPUT_PATH": str(output),
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "CACHE_PATH": str(output.parent / (output.name + "-cache")),
        **overrides,
    }
    settings = read_settings(str(settings_file), override=override)
    Pelican(settings).run()
    return settings


def copy_content(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination)
    return destination
