"""A tiny site, comments imported and screened for real, and a client for the review app."""

from __future__ import annotations

import contextlib
import functools
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
from bs4 import BeautifulSoup

from moderation.importers import import_file
from moderation.models import Comment, State
from moderation.screening import Screener, screen_due
from moderation.store import Store
from tests.moderation.conftest import Site
from tests.moderation.conftest import make_site as make_moderation_site

BASE_URL = "http://127.0.0.1:8081"

SETTINGS_FILE = """\
SITENAME = "Learning Out Loud"
PATH = "content"
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
COMMENTS_PATH = "comments"
COMMENTS_MODERATION = {
    "moderation_keys": ["webinar"],
    "disallowed_keys": ["casino"],
}
"""

ARTICLES = {"social-not-sales": "Social, not sales", "who-owns-the-room": "Who owns the room?"}

XSS_BODY = 'Nice post <script>alert("xss")</script> <img src=x onerror=alert(1)> thanks'

#: What the test inbox holds: the author names say where screening puts them.
INBOX: list[dict[str, Any]] = [
    {
        "article": "social-not-sales",
        "name": "Held Hannah",
        "email": "hannah@example.org",
        "body": "Your point about the webinar we ran last spring matches what I saw: "
        "people stayed for the discussion, not the slides.",
        "ip": "192.0.2.10",
        "user_agent": "Mozilla/5.0 (test)",
        "received_at": "2026-11-20T10:00:00+00:00",
    },
    {
        "article": "who-owns-the-room",
        "name": "Linky Lou",
        "email": "lou@example.net",
        "body": "Read [https://good.example/guide](https://bit.ly/3xYz) and "
        "https://shop.example/offer for the webinar.",
        "ip": "192.0.2.11",
        "received_at": "2026-11-20T11:00:00+00:00",
    },
    {
        "article": "social-not-sales",
        "name": "Spammy Sam",
        "email": "sam@spam.example",
        "body": "Best casino bonus here, play casino games now.",
        "ip": "198.51.100.7",
        "received_at": "2026-11-20T12:00:00+00:00",
    },
    {
        "article": "social-not-sales",
        "name": "<b>Mallory</b>",
        "email": "mallory@example.com",
        "body": XSS_BODY + " webinar",
        "ip": "203.0.113.5",
        "received_at": "2026-11-20T13:00:00+00:00",
    },
]


def make_site(root: Path) -> Site:
    """The moderation tests' site, with this queue's settings and articles."""
    return make_moderation_site(root, settings_text=SETTINGS_FILE, articles=ARTICLES)


def seed(site: Site, inbox: list[dict[str, Any]] = INBOX, **screener_options: Any) -> dict:
    """Import ``inbox`` and screen it as ``moderation import`` + ``screen`` would.

    Returns the stored comments by author name.
    """
    inbox_file = site.root / "inbox.jsonl"
    inbox_file.write_text("\n".join(json.dumps(line) for line in inbox) + "\n", encoding="utf-8")
    settings = site.settings()
    with Store(site.db) as store:
        report = import_file(store, settings, inbox_file)
        assert not report.errors, report.errors
        screener = Screener(settings, store, **screener_options)
        screen_due(store, screener)
        return {c.author: store.comments.get(c.id) for c in report.imported}


#: The moderator the tests log in as (a cheap hash: see conftest.py).
MODERATOR = "alice"
PASSWORD = "correct horse battery"


def add_moderator(site: Site, name: str = MODERATOR, password: str = PASSWORD) -> None:
    from moderation import accounts

    with Store(site.db) as store:
        accounts.add_moderator(store, name, password)


def add_held(site: Site, *, status: State = State.HELD, **fields: Any) -> Comment:
    """One held comment stored directly (no screening: fast, for tests that need any);
    ``status=State.RECEIVED`` for one that screening will judge."""
    values = {
        "article": "social-not-sales",
        "author": "Reader",
        "body": "A remark about rooms and who owns them.",
        "email": "reader@example.org",
        "ip": "192.0.2.44",
        "received_at": datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        **fields,
    }
    with Store(site.db) as store:
        return store.comments.add(Comment(**values), status=status)


def csrf_of(html: str) -> str:
    field = BeautifulSoup(html, "lxml").find("input", {"name": "csrf_token"})
    assert field is not None, "the page has no CSRF field"
    return field["value"]


def flash_of(html: str) -> str:
    flash = BeautifulSoup(html, "lxml").select_one(".flash")
    return flash.get_text(" ", strip=True) if flash else ""


class ReviewClient:
    """Synchronous httpx access to the ASGI app, keeping cookies like a browser.

    Posts carry a same-origin ``Origin`` header, as a browser's would, unless a
    test gives other headers.
    """

    def __init__(self, app: Any, **client_options: Any) -> None:
        self.app = app
        self.client_options = client_options

    def __enter__(self) -> ReviewClient:
        self._stack = contextlib.ExitStack()
        self.portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=BASE_URL,
            **self.client_options,
        )
        self._stack.callback(lambda: self.portal.call(self.client.aclose))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        call = functools.partial(self.client.request, method, url, **kwargs)
        return self.portal.call(call)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(
        self, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"origin": BASE_URL} if headers is None else headers
        return self.request("POST", url, headers=headers, **kwargs)

    def login(self, name: str = MODERATOR, password: str = PASSWORD) -> httpx.Response:
        """Fill in and post the login form, as a moderator would."""
        token = csrf_of(self.get("/login").text)
        return self.post(
            "/login", data={"username": name, "password": password, "csrf_token": token}
        )

    def act(self, data: dict[str, Any], *, page: str = "/", follow: bool = True) -> httpx.Response:
        """Post the moderation form of ``page`` with ``data`` (the page's CSRF token added)."""
        return self.submit("/moderate", data, page=page, follow=follow)

    def submit(
        self, path: str, data: dict[str, Any], *, page: str = "/", follow: bool = True
    ) -> httpx.Response:
        """Post to ``path`` from ``page`` with ``data`` (the page's CSRF token added)."""
        token = csrf_of(self.get(page).text)
        return self.post(
            path, data={"csrf_token": token, "next": page, **data}, follow_redirects=follow
        )
