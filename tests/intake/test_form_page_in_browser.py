"""The service's own form page in real headless Chromium: CSP, accessibility basics, posting."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from moderation.store import Store
from tests.prerequisites import needs_chromium

from .helpers import ServiceProcess

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    needs_chromium,
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": [LOOPBACK_ONLY]}


class ThanksPage(BaseHTTPRequestHandler):
    """The site's thank-you page (the only page of the site the tests need)."""

    def do_GET(self) -> None:
        body = b"<!DOCTYPE html><title>Thanks</title><h1>Thank you for your comment</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def site_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ThanksPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def service(site, db, site_url):
    # MIN_SECONDS 0: the test types faster than a person.
    env = {"COMMENTS_MIN_SECONDS": "0", "COMMENTS_SITE_URL": json.dumps(site_url)}
    process = ServiceProcess(site, db, env=env).start()
    yield process
    process.stop()


def test_reply_form_page_works_under_its_csp_and_posts_to_the_site(page, service, db, site_url):
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{service.url}/comments/form?article=social-not-sales&reply_to=c-2026-11-01-aaaaaa")
    # The inline stylesheet is applied (its hash is in the CSP): the trap is off-screen.
    trap = page.locator("#comment-website")
    box = trap.bounding_box()
    assert box is None or box["x"] < -1000
    assert page.locator("#comment-name").is_visible()
    assert "c-2026-11-01-aaaaaa" in page.locator(".replying").inner_text()

    page.locator("#comment-name").fill("Browser Reader")
    page.locator("#comment-body").fill("Sent from the reply page, without any JavaScript.")
    with page.expect_navigation(url=re.compile(r".*/comments/thanks/[\w.-]+$")):
        page.get_by_role("button", name="Send comment").click()
    assert page.locator("h1").inner_text() == "Thank you for your comment"
    assert "/comments/edit/" in page.locator("#edit-link").get_attribute("href")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems

    with Store(db) as store:
        [comment] = store.comments.list()
    assert comment.author == "Browser Reader"
    assert comment.reply_to == "c-2026-11-01-aaaaaa"
    assert comment.intake_flags == ()  # the page embedded a valid token


def test_a_rejected_post_comes_back_with_the_text_and_the_problem_focused(page, service, db):
    page.goto(f"{service.url}/comments/form?article=social-not-sales")
    page.locator("#comment-name").fill("Browser Reader")
    page.locator("#comment-email").fill("reader@example")  # no dot in the domain: refused
    page.locator("#comment-body").fill("Words I would hate to type twice.")
    # Skip the browser's own type=email check: the server's answer is under test.
    page.locator("#comment-form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Send comment").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").first.inner_text().count("email") >= 1
    assert page.locator("#comment-body").input_value() == "Words I would hate to type twice."
    assert page.locator("#comment-email").get_attribute("aria-invalid") == "true"
    with Store(db) as store:
        assert store.comments.list() == []
