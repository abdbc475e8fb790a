"""Helpers for the comments plugin tests: tiny sites built with real Pelican."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = ROOT / "plugins"
TEST_DATA = Path(__file__).resolve().parent / "test_data"
THEME = TEST_DATA / "theme"

if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))

import comments as comments_plugin  # noqa: E402
from pelican import Pelican  # noqa: E402
from pelican.settings import read_settings  # noqa: E402


def article_text(title: str, slug: str, date: str = "2026-01-10 10:00", **meta: str) -> str:
    extra = "".join(f"{key.capitalize()}: {value}\n" for key, value in meta.items())
    return (
        f"Title: {title}\nDate: {date}\nSlug: {slug}\nCategory: notes\n{extra}\n"
        f"The body of {title}.\n"
    )


def comment_text(
    comment_id: str,
    body: str = "A comment.",
    *,
    author: str = "Jane Doe",
    date: str = "2026-02-01T10:00:00+00:00",
    status: str = "approved",
    **fields: str,
) -> str:
    lines = [f"id: {comment_id}", f"author: {author}", f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    lines.append(f"status: {status}")
    return "\n".join(lines) + "\n\n" + body + "\n"


class Site:
    """A content folder in a temp dir, plus a way to build it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.content = root / "content"
        self.output = root / "output"
        self.cache = root / "cache"
        (self.content / "articles").mkdir(parents=True)
        (self.content / "comments").mkdir(parents=True)

    def article(self, slug: str, title: str | None = None, **meta: str) -> Path:
        path = self.content / "articles" / f"{slug}.md"
        path.write_text(article_text(title or slug.replace("-", " ").title(), slug, **meta))
        return path

    def comment(self, slug: str, comment_id: str, body: str = "A comment.", **kw: Any) -> Path:
        folder = self.content / "comments" / slug
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{comment_id}.md"
        path.write_text(comment_text(comment_id, body, **kw), encoding="utf-8")
        return path

    def raw_comment(self, slug: str, name: str, data: bytes | str) -> Path:
        folder = self.content / "comments" / slug
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if isinstance(data, str):
            data = data.encode("utf-8")
        path.write_bytes(data)
        return path

    def settings(self, **overrides: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "PATH": str(self.content),
            "OUTPUT_PATH": str(self.output),
            "CACHE_PATH": str(self.cache),
            "THEME": str(THEME),
            "SITENAME": "Test Site",
            "SITEURL": "",
            "TIMEZONE": "UTC",
            "DEFAULT_DATE_FORMAT": "%Y-%m-%d %H:%M %Z",
            "ARTICLE_PATHS": ["articles"],
            "PAGE_PATHS": ["pages"],
            "ARTICLE_EXCLUDES": ["comments"],
            "PAGE_EXCLUDES": ["comments"],
            "ARTICLE_URL": "{date:%Y}/{slug}.html",
            "ARTICLE_SAVE_AS": "{date:%Y}/{slug}.html",
            "PLUGINS": [comments_plugin],
            "CACHE_CONTENT": False,
            "LOAD_CONTENT_CACHE": False,
            "FEED_ALL_ATOM": None,
            "CATEGORY_FEED_ATOM": None,
            "TRANSLATION_FEED_ATOM": None,
            "AUTHOR_FEED_ATOM": None,
            "AUTHOR_FEED_RSS": None,
        }
        values.update(overrides)
        return read_settings(override=values)

    def build(self, **overrides: Any) -> Path:
        Pelican(self.settings(**overrides)).run()
        return self.output

    def html(self, relative: str) -> BeautifulSoup:
        return BeautifulSoup((self.output / relative).read_text(encoding="utf-8"), "lxml")

    def article_html(self, slug: str, year: str = "2026") -> BeautifulSoup:
        return self.html(f"{year}/{slug}.html")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


@pytest.fixture
def plugin() -> Any:
    return comments_plugin


@pytest.fixture(autouse=True)
def _clean_comments_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests must not inherit COMMENTS_* overrides from the shell running them."""
    import os

    for name in list(os.environ):
        if name.startswith("COMMENTS_"):
            monkeypatch.delenv(name)


SiteFactory = Callable[..., Site]
