"""Fixtures: real Pelican builds of the project's theme and comments plugin."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .sitebuild import FIXTURE_CONTENT, PLUGIN_INIT, ROOT, build_site, copy_content


def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


@pytest.fixture(scope="session")
def require_plugin():
    if not PLUGIN_INIT.is_file():
        pytest.skip(f"the comments plugin is not there yet ({PLUGIN_INIT} is missing)")


@pytest.fixture(scope="session")
def fixture_site(tmp_path_factory, require_plugin):
    """The small hand-written site in tests/site/site_data, built once."""
    base = tmp_path_factory.mktemp("fixture-site")
    content = copy_content(FIXTURE_CONTENT, base / "content")
    output = base / "output"
    settings = build_site(content, output)
    return output, settings


@pytest.fixture(scope="session")
def project_site(tmp_path_factory, require_plugin):
    """The real project: content/ with its articles, pages and published comments."""
    output = tmp_path_factory.mktemp("project-site") / "output"
    settings = build_site(ROOT / "content", output)
    return output, settings
