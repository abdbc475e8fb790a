"""A real site for the readers' features: the fixture content built with the project's
settings, theme and plugins, a real SQLite store, and the intake app in process."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from moderation.publish import publish
from moderation.settings import Settings, load_settings
from moderation.store import Store
from moderation.web import create_app
from tests.intake.helpers import AppClient
from tests.site.sitebuild import FIXTURE_CONTENT, SETTINGS_FILE, build_site

ARTICLE = "open-thread"
ARTICLE_PATH = "2026/open-thread.html"
SITE = "http://127.0.0.1:8000"
ORIGIN = {"Origin": SITE}


def parse(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


@dataclass
class ReaderSite:
    """The fixture site in ``root``: ``build()``, ``settings()``, ``client()``, ``publish()``."""

    root: Path
    overrides: dict[str, Any] = field(default_factory=dict)
    clients: list[AppClient] = field(default_factory=list)

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def db(self) -> Path:
        return self.root / "moderation.db"

    def build(self, **overrides: Any) -> Path:
        build_site(self.content, self.output, **{**self.overrides, **overrides})
        return self.output

    def page(self, path: str = ARTICLE_PATH) -> BeautifulSoup:
        return parse(self.output / path)

    def settings(self, **overrides: Any) -> Settings:
        settings = load_settings(SETTINGS_FILE, environ={})
        return settings.with_overrides(
            PATH=str(self.content),
            OUTPUT_PATH=str(self.output),
            COMMENTS_RATE_LIMIT=0,
            COMMENTS_MIN_SECONDS=0,
            **{**self.overrides, **overrides},
        )

    def client(
        self, *, screen: bool = False, http_client: Any = None, **overrides: Any
    ) -> AppClient:
        app = create_app(
            self.settings(**overrides),
            self.db,
            screen_in_background=screen,
            http_client=http_client,
        )
        client = AppClient(app).__enter__()
        self.clients.append(client)
        return client

    def store(self) -> Store:
        return Store(self.db)

    def publish(self, **overrides: Any) -> Any:
        with self.store() as store:
            return publish(store, self.settings(**overrides))

    def close(self) -> None:
        for client in self.clients:
            client.__exit__(None, None, None)


@pytest.fixture
def reader_site(tmp_path: Path) -> Iterator[ReaderSite]:
    """The site of tests/site/site_data, built once, with an empty store."""
    shutil.copytree(FIXTURE_CONTENT, tmp_path / "content")
    site = ReaderSite(tmp_path)
    site.build()
    yield site
    site.close()


@pytest.fixture
def approve() -> Callable[[Store, str], None]:
    def approve(store: Store, comment_id: str) -> None:
        store.decisions.moderate(comment_id, "approve", actor="moderator")

    return approve


@pytest.fixture(autouse=True)
def package_logger_restored() -> Iterator[None]:
    """``cli.main`` configures the package logger; later tests must not inherit that."""
    import logging

    package_logger = logging.getLogger("moderation")
    level, handlers = package_logger.level, list(package_logger.handlers)
    yield
    package_logger.handlers[:] = handlers
    package_logger.setLevel(level)
