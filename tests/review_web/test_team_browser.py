"""The team tool in real headless Chromium (issue 10): login, keyboard triage, bulk and undo,
blocking a sender against the real intake, the door, and the XSS corpus in the queue."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from moderation import accounts
from moderation.models import State
from moderation.store import Store
from moderation.web import create_app
from moderation.web.review_app import create_review_app
from tests.plugin.xss_corpus import XSS_CORPUS
from tests.prerequisites import needs_chromium

from . import test_review_browser as shared
from .helpers import MODERATOR, PASSWORD, add_held, add_moderator
from .test_review_browser import log_in, serve_app

# The same fixtures as the first browser tests: Debian's Chromium, dialogs recorded.
browser_type_launch_args = shared.browser_type_launch_args
watched = shared.watched

pytestmark = [pytest.mark.browser, needs_chromium]

START = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


@pytest.fixture
def review(site):
    """The review app with one moderator, served on loopback; yields (base URL, app)."""
    add_moderator(site)
    app = create_review_app(site.settings(), site.db, retrain_delay=0.2)
    with serve_app(app) as base:
        yield base, app


def states(site, ids) -> list[State]:
    with Store(site.db) as store:
        return [store.comments.get(i).status for i in ids]


def test_log_in_then_triage_twenty_comments_with_the_keyboard_alone(site, review, watched):
    base, app = review
    page, seen = watched
    comments = [
        add_held(
            site,
            author=f"Reader {n:02d}",
            body=f"Comment number {n} about learning in the open.",
            received_at=START + timedelta(minutes=n),
        )
        for n in range(20)
    ]
    log_in(page, base)
    expect(page.locator("tr[data-id]")).to_have_count(20)
    keys = "aspr" * 5  # approve, spam, promo, reject, over and over
    page.keyboard.press("j")
    for done, key in enumerate(keys, start=1):
        expect(page.locator("tr.current")).to_have_attribute("data-id", comments[done - 1].id)
        page.keyboard.press(key)
        expect(page.locator("tr[data-id]")).to_have_count(20 - done)
    expect(page.locator(".flash")).to_contain_text("1 comment rejected.")
    expect(page.locator('a[data-tab="held"] .count')).to_have_text("0")
    expected = {"a": State.APPROVED, "s": State.SPAM, "p": State.SPAM, "r": State.REJECTED}
    assert states(site, [c.id for c in comments]) == [expected[k] for k in keys]
    with Store(site.db) as store:
        labels = store.comments.current_labels([c.id for c in comments])
        actors = {store.decisions.of(c.id)[-1].actor for c in comments}
    assert [labels.get(c.id) for c in comments[:4]] == ["ham", "spam", "promo", None]
    assert actors == {MODERATOR}
    expect(page.locator('a[data-tab="promo"] .count')).to_have_text("5")

    # u undoes the last action (the reject of the twentieth comment): it is held again.
    page.keyboard.press("u")
    page.wait_for_url(base + "/")
    expect(page.locator("tr[data-id]")).to_have_count(1)
    assert states(site, [comments[-1].id]) == [State.HELD]
    expect(page.locator(".flash")).to_contain_text("Undid reject of 1 comment.")
    assert seen["dialogs"] == []
    assert app.state.service.retrainer.wait(30)  # the labels reached the model meanwhile


def test_bulk_action_on_a_filtered_selection_then_undo(site, review, watched):
    base, _app = review
    page, _seen = watched
    on_room = [
        add_held(
            site,
            article="who-owns-the-room",
            author=f"Room {n}",
            body=f"Room remark {n}.",
            received_at=START + timedelta(minutes=n),
        )
        for n in range(3)
    ]
    other = add_held(site, author="Elsewhere", body="On another article.")
    log_in(page, base)
    page.get_by_label("Article").select_option("who-owns-the-room")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr[data-id]")).to_have_count(3)
    page.get_by_label("Select the comment by Room 0").check()
    page.get_by_label("Select the comment by Room 2").check()
    page.locator("#bulk-action").select_option("spam")
    page.get_by_role("button", name="Apply to selected").click()

    expect(page.locator(".flash")).to_contain_text("2 comments marked as spam.")
    expect(page.locator("tr[data-id]")).to_have_count(1)
    assert states(site, [c.id for c in on_room] + [other.id]) == [
        State.SPAM,
        State.HELD,
        State.SPAM,
        State.HELD,
    ]

    page.locator("#undo-bar").get_by_role("button", name="Undo it").click()
    expect(page.locator(".flash")).to_contain_text("Undid spam of 2 comments.")
    expect(page.locator("tr[data-id]")).to_have_count(3)
    assert states(site, [c.id for c in on_room]) == [State.HELD] * 3
    with Store(site.db) as store:
        log = store.decisions.of(on_room[0].id)
        assert [(e.action, e.actor) for e in log[-2:]] == [("spam", MODERATOR), ("undo", MODERATOR)]
        assert store.comments.labelled() == []


def test_a_blocked_sender_s_next_post_through_the_intake_is_spam(site, review, watched):
    base, _app = review
    page, _seen = watched
    sender = add_held(
        site,
        author="Pushy Pete",
        email="pete@pushy.example",
        body="Nice article. Also my course is on sale this week.",
    )
    threads = site.root / "output" / "comments" / "threads.json"
    threads.parent.mkdir(parents=True)
    threads.write_text(
        json.dumps(
            [
                {
                    "slug": "social-not-sales",
                    "title": "Social, not sales",
                    "url": "s.html",
                    "open": True,
                    "comments": [],
                },
            ]
        )
    )
    settings = site.settings().with_overrides(COMMENTS_RATE_LIMIT=0, COMMENTS_MIN_SECONDS=0)

    log_in(page, base)
    page.goto(f"{base}/comments/{sender.id}")
    page.get_by_role("button", name="Block the email address p***@pushy.example").click()
    expect(page.locator(".flash")).to_contain_text("Blocked email address p***@pushy.example")
    expect(page.locator("form.block")).to_contain_text("blocked")

    with serve_app(create_app(settings, site.db)) as intake:
        answer = httpx.post(
            intake + "/comments",
            json={
                "article": "social-not-sales",
                "name": "Pete",
                "email": "PETE@pushy.example",
                "body": "A perfectly polite comment about communities of practice.",
                "reply_to": "",
                "url": "",
                "token": "",
                "website": "",
            },
            timeout=10,
        )
        assert answer.status_code in (200, 201, 202), answer.text
        comment_id = answer.json()["id"]
        deadline = time.monotonic() + 60
        while states(site, [comment_id]) == [State.RECEIVED]:
            assert time.monotonic() < deadline, "the intake never screened the post"
            time.sleep(0.1)
    assert states(site, [comment_id]) == [State.SPAM]
    with Store(site.db) as store:
        found = store.screenings.latest(comment_id).signal("blocklist").findings
    assert found == (f"blocked email: pete@pushy.example (by {MODERATOR})",)


def test_the_door_in_the_browser(site, review, watched):
    base, _app = review
    page, _seen = watched
    held = add_held(site, author="Waiting")
    for path in ("/", "/actions", "/blocklist", "/stats", "/deploy", f"/comments/{held.id}"):
        page.goto(base + path)
        assert page.url == base + "/login", path

    # The login limit: five wrong passwords, then even the right one waits.
    for n in range(accounts.MAX_FAILURES_PER_NAME):
        page.get_by_label("Name").fill(MODERATOR)
        page.get_by_label("Password").fill(f"wrong guess {n}")
        with page.expect_response(base + "/login") as answer:
            page.get_by_role("button", name="Log in").click()
        assert answer.value.status == 401
        expect(page.locator(".error")).to_have_text("Wrong name or password.")
    page.get_by_label("Name").fill(MODERATOR)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_response(base + "/login") as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 429 and int(answer.value.headers["retry-after"]) > 800
    expect(page.locator(".error")).to_contain_text("Too many failed logins for this name")

    # Another moderator logs in; a script posting without the CSRF token is refused.
    with Store(site.db) as store:
        accounts.add_moderator(store, "bob", "bobs own password")
    log_in(page, base, "bob", "bobs own password")
    status = page.evaluate(
        """async (id) => {
            const body = new URLSearchParams({one: "approve " + id, next: "/"});
            const answer = await fetch("/moderate", {method: "POST", body});
            return answer.status;
        }""",
        held.id,
    )
    assert status == 403
    assert states(site, [held.id]) == [State.HELD]


def test_the_xss_corpus_in_held_comments_runs_nothing(site, review, watched):
    base, _app = review
    page, seen = watched
    page.set_content("<img src=x onerror=alert(1)>")  # the detector works
    page.wait_for_timeout(200)
    assert seen["dialogs"] == ["1"]
    seen["dialogs"].clear()

    with Store(site.db) as store:
        from moderation.models import Comment

        stored = store.comments.add_many(
            [
                Comment(
                    article="social-not-sales",
                    author=body[:40] or label,
                    body=body or label,
                    email=f"x{n}@example.org",
                    author_url="javascript:alert(1)" if n % 2 else None,
                    received_at=START + timedelta(seconds=n),
                )
                for n, (label, body) in enumerate(XSS_CORPUS)
            ],
            status=State.HELD,
        )
    assert len(stored) == len(XSS_CORPUS) >= 90
    log_in(page, base)
    expect(page.locator("tr[data-id]")).to_have_count(len(XSS_CORPUS))
    page.wait_for_timeout(500)
    for comment in stored[:5]:
        page.goto(f"{base}/comments/{comment.id}")
    page.goto(base + "/?status=all")
    page.wait_for_timeout(500)
    assert seen["dialogs"] == []
    assert page.locator("a[href^='javascript']").count() == 0


@pytest.mark.slow
def test_approve_then_publish_and_deploy_to_a_local_directory(tmp_path, monkeypatch, watched):
    from moderation.settings import load_settings
    from moderation.web.deploying import DeployRunner
    from tests.deploy.conftest import SITEURL, make_project

    for name in ("SITEURL", "DEPLOY_TARGET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SITEURL", SITEURL)
    project = make_project(tmp_path / "project")
    db = project / "var" / "moderation.db"
    www = tmp_path / "www"
    settings = load_settings(project / "pelicanconf.py", environ={})
    with Store(db) as store:
        accounts.add_moderator(store, MODERATOR, PASSWORD)
        from moderation.models import Comment

        held = store.comments.add(
            Comment(
                article="lurking-is-learning",
                author="Quiet Reader",
                email="quiet@mail.test",
                body="Reading for a year before writing this: thank you for the nudge.",
            ),
            status=State.HELD,
        )
    runner = DeployRunner(settings, db, target=str(www))
    app = create_review_app(settings, db, deploy_runner=runner, retrain_delay=0.2)
    page, seen = watched
    with serve_app(app) as base:
        log_in(page, base)
        page.locator(f"#row-{held.id} button[data-action=approve]").click()
        expect(page.locator(".flash")).to_contain_text("1 comment approved.")
        page.get_by_role("button", name="Publish and deploy").click()
        page.wait_for_url(base + "/deploy")
        # A second run while this one runs is refused.
        if runner.status().running:
            answer = page.evaluate(
                """async () => {
                    const token = document.querySelector('input[name=csrf_token]').value;
                    const body = new URLSearchParams({csrf_token: token, next: "/deploy"});
                    const r = await fetch("/deploy", {method: "POST", body,
                        headers: {Accept: "application/json"}});
                    return [r.status, (await r.json()).lines[0]];
                }"""
            )
            assert answer[0] == 409 and "already running" in answer[1]
        expect(page.locator(".status.ok")).to_contain_text("Deployed", timeout=240_000)
        expect(page.locator("#deploy-progress")).to_contain_text("deploying")
        expect(page.locator("#deploy-result")).to_contain_text(f"Published to {www}")
    deployed = (www / "2026" / "lurking-is-learning.html").read_text(encoding="utf-8")
    assert f'id="comment-{held.id}"' in deployed
    assert "thank you for the nudge" in deployed
    assert (project / "content" / "comments" / "lurking-is-learning" / f"{held.id}.md").is_file()
    assert seen["dialogs"] == []
