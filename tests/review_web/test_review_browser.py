"""The review queue in real headless Chromium (Debian's /usr/bin/chromium), served by uvicorn."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import expect

from moderation.models import State
from moderation.store import Store
from moderation.web.review_app import create_review_app
from tests.prerequisites import needs_chromium

from .helpers import MODERATOR, PASSWORD, add_moderator, seed

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost"

pytestmark = [pytest.mark.browser, needs_chromium]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": [LOOPBACK_ONLY]}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(site) -> Iterator[tuple[str, dict]]:
    """The seeded review app on a real loopback port; yields its URL and the comments."""
    seeded = seed(site)
    add_moderator(site)
    with serve_app(create_review_app(site.settings(), site.db)) as base:
        yield base, seeded


@contextlib.contextmanager
def serve_app(app) -> Iterator[str]:
    """Any ASGI app on a free loopback port, in a thread; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="on",  # the intake's screening worker and the review's retrainer
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the review server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def log_in(page, base: str, name: str = MODERATOR, password: str = PASSWORD) -> None:
    """Log in through the login page, as a moderator does."""
    page.goto(base + "/")  # without a session: sent to the login page
    assert page.url == base + "/login"
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/")


@pytest.fixture
def watched(page):
    """The page, recording dialogs (an XSS would open one) and CSP complaints."""
    seen: dict[str, list[str]] = {"dialogs": [], "console": []}
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    page.on("console", lambda m: seen["console"].append(m.text))
    return page, seen


def state_of(site, comment_id: str) -> State:
    with Store(site.db) as store:
        return store.comments.get(comment_id).status


def test_the_dialog_detector_works(watched):
    page, seen = watched
    page.set_content("<img src=x onerror=alert(1)>")
    page.wait_for_timeout(200)
    assert seen["dialogs"] == ["1"]


def test_approve_by_clicking_shows_the_flash(site, served, watched):
    base, seeded = served
    page, seen = watched
    hannah = seeded["Held Hannah"]

    log_in(page, base)
    assert page.locator("tr[data-id]").count() == 2
    page.locator(f"#row-{hannah.id} button[data-action=approve]").click()

    flash = page.locator(".flash")
    flash.wait_for()
    assert "1 comment approved." in flash.inner_text()
    assert page.locator(f"#row-{hannah.id}").count() == 0
    assert state_of(site, hannah.id) is State.APPROVED
    # The held queue shows Mallory's script-laden text, and nothing ran.
    assert seen["dialogs"] == []
    assert not [line for line in seen["console"] if "Content Security Policy" in line]


def test_keyboard_triage(site, served, watched):
    base, seeded = served
    page, seen = watched
    hannah, mallory = seeded["Held Hannah"], seeded["<b>Mallory</b>"]

    log_in(page, base)
    assert page.locator("#key-help").is_visible()  # the script ran under the CSP
    page.keyboard.press("j")
    first = page.locator("tr.current")
    assert first.get_attribute("data-id") == hannah.id
    page.keyboard.press("j")
    assert page.locator("tr.current").get_attribute("data-id") == mallory.id
    page.keyboard.press("k")
    assert page.locator("tr.current").get_attribute("data-id") == hannah.id

    page.keyboard.press("s")
    page.locator(".flash").wait_for()
    assert "1 comment marked as spam." in page.locator(".flash").inner_text()
    assert state_of(site, hannah.id) is State.SPAM
    # Back at the same place in the list: the next comment is ready for a key.
    assert page.locator("tr.current").get_attribute("data-id") == mallory.id
    page.keyboard.press("p")
    # Inline: the page is not reloaded, the message is replaced.
    expect(page.locator(".flash")).to_contain_text("1 comment marked as promotion.")
    assert state_of(site, mallory.id) is State.SPAM
    assert page.locator("tr[data-id]").count() == 0
    assert seen["dialogs"] == []


def test_typing_in_a_field_is_not_a_shortcut(site, served, watched):
    base, seeded = served
    page, _seen = watched
    log_in(page, base)
    page.keyboard.press("j")
    page.locator("#filter-reason").fill("")
    page.locator("#filter-reason").type("spa")
    page.wait_for_timeout(200)
    assert page.locator(".flash").count() == 0
    assert state_of(site, seeded["Held Hannah"].id) is State.HELD


def test_bulk_action_with_checkboxes(site, served, watched):
    base, seeded = served
    page, _seen = watched
    hannah, mallory = seeded["Held Hannah"], seeded["<b>Mallory</b>"]

    log_in(page, base)
    page.get_by_label("Select the comment by Held Hannah").check()
    page.get_by_label("Select the comment by <b>Mallory</b>").check()
    page.get_by_label("Action").select_option("reject")
    page.get_by_label("Note for the decision log").fill("off topic")
    page.get_by_role("button", name="Apply to selected").click()

    page.locator(".flash").wait_for()
    assert "2 comments rejected." in page.locator(".flash").inner_text()
    assert state_of(site, hannah.id) is State.REJECTED
    assert state_of(site, mallory.id) is State.REJECTED
