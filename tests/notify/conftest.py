"""A tiny site, a real SQLite store, a real SMTP server and a real webhook receiver."""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from moderation.models import Comment, State
from moderation.screening import Screener, screen_and_record
from moderation.settings import Settings
from moderation.store import Store
from moderation.web import create_app
from tests.intake.helpers import AppClient, write_threads
from tests.moderation.conftest import Site, add, make_site

from .servers import MailServer, WebhookReceiver

MODERATOR = "moderator@example.org"
SECOND_MODERATOR = "second.moderator@example.org"
WEBHOOK_SECRET = "a-shared-webhook-secret"
#: A word that makes screening hold a comment (COMMENTS_MODERATION moderation_keys).
HOLD_WORD = "review-me"
#: A word that makes screening call a comment spam (COMMENTS_MODERATION disallowed_keys).
SPAM_WORD = "cheapest-pills-online"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("COMMENTS_", "PYTHON_AKISMET_", "MODERATION_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MODERATION_SECRET_KEY", "notify-tests-secret")


@pytest.fixture(autouse=True)
def package_logger_restored() -> Iterator[None]:
    """``cli.main`` configures the package logger; later tests must not inherit that."""
    package_logger = logging.getLogger("moderation")
    level, handlers = package_logger.level, list(package_logger.handlers)
    yield
    package_logger.handlers[:] = handlers
    package_logger.setLevel(level)


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory) -> Path:
    """A database whose learned model is already built (that takes seconds): each test
    starts from a copy instead of building it again."""
    site = make_site(tmp_path_factory.mktemp("seed") / "site")
    with Store(site.db) as store:
        Screener(site.settings(), store)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return site.db


@pytest.fixture
def site(tmp_path, seeded_db) -> Site:
    site = make_site(tmp_path / "site")
    site.db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(seeded_db, site.db)
    return site


@pytest.fixture
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[WebhookReceiver]:
    monkeypatch.setenv("CHAT_HOOK_SECRET", WEBHOOK_SECRET)
    with WebhookReceiver(WEBHOOK_SECRET) as receiver:
        yield receiver


def notify_settings(site: Site, mail: MailServer | None, **notify: Any) -> Settings:
    """The site's settings with SMTP pointing at ``mail`` and ``notify`` in COMMENTS_NOTIFY."""
    overrides: dict[str, Any] = {
        "COMMENTS_MODERATION": {"moderation_keys": [HOLD_WORD], "disallowed_keys": [SPAM_WORD]},
        "COMMENTS_NOTIFY": {"moderators": [MODERATOR], **notify},
        "SITENAME": "Learning Out Loud",
    }
    if mail is not None:
        overrides["COMMENTS_SMTP"] = {
            "host": "127.0.0.1",
            "port": mail.port,
            "from": "blog@learning.example",
        }
    return site.settings().with_overrides(**overrides)


@pytest.fixture
def store(site: Site) -> Iterator[Store]:
    with Store(site.db) as store:
        yield store


def screened(store: Store, settings: Settings, **fields: Any) -> Comment:
    """Store a comment as it arrives and screen it for real; returns it as stored after."""
    comment = add(store, status=State.RECEIVED, **fields)
    screen_and_record(store, Screener(settings, store), [comment])
    return store.comments.get(comment.id)


def held(store: Store, settings: Settings, **fields: Any) -> Comment:
    fields.setdefault("body", f"Could you {HOLD_WORD} this question about study groups?")
    comment = screened(store, settings, **fields)
    assert comment.status is State.HELD
    return comment


#: The test site's articles as the built site lists them in threads.json.
THREADS = [
    {"slug": "first-steps", "title": "First steps", "url": "2026/first-steps.html", "open": True},
    {
        "slug": "second-thoughts",
        "title": "Second thoughts",
        "url": "2026/second-thoughts.html",
        "open": True,
    },
]


@pytest.fixture
def intake(site: Site, mail: MailServer) -> Iterator[AppClient]:
    """The public intake service in-process (no background threads), with mail settings."""
    write_threads(site.root, THREADS)
    settings = notify_settings(site, mail).with_overrides(COMMENTS_RATE_LIMIT=0)
    with AppClient(create_app(settings, site.db, screen_in_background=False)) as client:
        yield client


def link_in(text: str, kind: str, label: str | None = None) -> str:
    """The path of the first ``/comments/<kind>/…`` link in ``text`` (after ``label``)."""
    if label is not None:
        text = text.split(label, 1)[1]
    match = re.search(rf"http://127\.0\.0\.1:8080(/comments/{kind}/\S+)", text)
    assert match, f"no {kind} link in: {text}"
    return match.group(1)
