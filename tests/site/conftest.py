"""Fixtures: real Pelican builds of the project's theme and comments plugin."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pelican.plugins._utils import load_legacy_plugin

from .sitebuild import FIXTURE_CONTENT, ROOT, build_site, copy_content


def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


@pytest.fixture(scope="session")
def require_plugin():
    """The comments plugin, imported the way Pelican does it.

    Pelican only logs a plugin that fails to import and builds without it; this
    makes a missing or broken plugin fail the tests with its own traceback.
    """
    return load_legacy_plugin("comments", [str(ROOT / "plugins")])


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
