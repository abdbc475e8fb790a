"""Fixtures for the author and discovery features: real builds of small sites.

``authored_site`` is tests/authoring/site_data (code, figures, a series with a draft
part, a scheduled article, a page and a comment) plus the fixture pages of
tests/site, built with the project's settings. ``demo_site`` is the project's own
content/ with a draft and a scheduled article added, built the same way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from tests.browser import conftest as browser_conftest
from tests.site.sitebuild import FIXTURE_CONTENT, PUBLISH_SETTINGS_FILE, ROOT, build_site

HERE = Path(__file__).resolve().parent
SITE_DATA = HERE / "site_data"
WIDE_IMAGE_SIZE = (800, 400)
PUBLISHED_SITEURL = "https://authors.test.invalid"

DEMO_DRAFT = """Title: A demo draft
Date: 2026-10-01 09:00+02:00
Category: Practice
Tags: drafts
Slug: a-demo-draft
Author: Mara Lindqvist
Summary: Not ready yet.
Status: draft

Half a thought about drafting, with a word only the draft has: grimbleshanks.
"""
DEMO_SCHEDULED = """Title: A demo article from the future
Date: 2099-05-01 09:00+02:00
Category: Practice
Tags: drafts
Slug: a-demo-future
Author: Mara Lindqvist
Summary: Goes out in 2099.

Written early.
"""


def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def write_wide_image(path: Path) -> None:
    """An 800x400 PNG: blue left half, orange right half."""
    image = Image.new("RGB", WIDE_IMAGE_SIZE, "#1f4f8f")
    image.paste("#b43e0c", (WIDE_IMAGE_SIZE[0] // 2, 0, *WIDE_IMAGE_SIZE))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def authored_content(destination: Path) -> Path:
    shutil.copytree(SITE_DATA, destination)
    for page in (FIXTURE_CONTENT / "pages").glob("*.md"):
        shutil.copy2(page, destination / "pages" / page.name)
    write_wide_image(destination / "images" / "wide.png")
    return destination


@pytest.fixture(scope="session")
def authored_site(tmp_path_factory):
    """The authoring fixture site, built with pelicanconf.py (relative URLs)."""
    base = tmp_path_factory.mktemp("authored")
    content = authored_content(base / "content")
    output = base / "output"
    settings = build_site(content, output)
    return output, settings


@pytest.fixture(scope="session")
def published_authored_site(tmp_path_factory):
    """The same site built with publishconf.py, as `invoke publish` does."""
    base = tmp_path_factory.mktemp("authored-published")
    content = authored_content(base / "content")
    output = base / "output"
    overrides = {
        "SITEURL": PUBLISHED_SITEURL,
        "CANONICAL_SITEURL": PUBLISHED_SITEURL,
        "FEED_DOMAIN": PUBLISHED_SITEURL,
        "COMMENTS_SITE_URL": PUBLISHED_SITEURL,
    }
    settings = build_site(content, output, settings_file=PUBLISH_SETTINGS_FILE, **overrides)
    return output, settings


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The project's content/ (its published comments left out), plus a draft and a
    scheduled article, built with pelicanconf.py."""
    base = tmp_path_factory.mktemp("demo")
    content = base / "content"
    shutil.copytree(ROOT / "content", content, ignore=shutil.ignore_patterns("comments"))
    (content / "comments").mkdir()
    (content / "articles" / "a-demo-draft.md").write_text(DEMO_DRAFT, encoding="utf-8")
    (content / "articles" / "a-demo-future.md").write_text(DEMO_SCHEDULED, encoding="utf-8")
    output = base / "output"
    settings = build_site(content, output)
    return output, settings


def write_settings_file(content: Path, folder: Path) -> Path:
    """A settings file for `invoke check --settings`: the project's, another PATH."""
    path = folder / "checkconf.py"
    path.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom pelicanconf import *\n"
        f"PATH = {str(content)!r}\nTHEME = {str(ROOT / 'theme')!r}\n",
        encoding="utf-8",
    )
    return path


# Real Chromium (Debian's), launched as tests/browser launches it.
browser_type_launch_args = browser_conftest.browser_type_launch_args
