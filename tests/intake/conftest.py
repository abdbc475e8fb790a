from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from moderation import cli
from moderation.web import create_app

from .helpers import AppClient, make_settings, write_site


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_site(tmp_path)
    return tmp_path


@pytest.fixture
def db(site: Path) -> Path:
    return site / "var" / "moderation.db"


@pytest.fixture
def make_client(site: Path, db: Path) -> Iterator[Callable[..., AppClient]]:
    """``make_client(**settings)``: an in-process client of a fresh app (no screening)."""
    clients: list[AppClient] = []

    def make(
        *,
        screen: bool = False,
        http_client: Any = None,
        busy_timeout: float | None = None,
        **overrides: Any,
    ) -> AppClient:
        extra = {} if busy_timeout is None else {"busy_timeout": busy_timeout}
        app = create_app(
            make_settings(site, **overrides),
            db,
            screen_in_background=screen,
            http_client=http_client,
            **extra,
        )
        client = AppClient(app).__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., AppClient]) -> AppClient:
    return make_client()


@pytest.fixture
def cli_main() -> Iterator[Callable[..., int]]:
    """``cli.main`` with the package logger restored afterwards (main configures it)."""
    package_logger = logging.getLogger("moderation")
    level, handlers = package_logger.level, list(package_logger.handlers)
    yield cli.main
    package_logger.handlers[:] = handlers
    package_logger.setLevel(level)
