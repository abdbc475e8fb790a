"""The review UI over a real SQLite file: comments imported and screened for real."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup

from moderation.articles import load_articles
from moderation.models import Comment, Label, State
from moderation.store import Store
from moderation.web.review_app import create_review_app

from .helpers import (
    BASE_URL,
    INBOX,
    MODERATOR,
    XSS_BODY,
    ReviewClient,
    add_moderator,
    csrf_of,
    flash_of,
    seed,
)


@pytest.fixture
def seeded(site):
    add_moderator(site)
    return seed(site)


@pytest.fixture
def client(site, seeded):
    with ReviewClient(create_review_app(site.settings(), site.db)) as client:
        assert client.login().status_code == 303
        yield client


def state_of(site, comment_id: str) -> State:
    with Store(site.db) as store:
        return store.comments.get(comment_id).status


def decisions_of(site, comment_id: str):
    with Store(site.db) as store:
        return store.decisions.of(comment_id)


def text_of(html: str) -> str:
    return BeautifulSoup(html, "lxml").get_text(" ", strip=True)


def rows(html: str) -> dict[str, BeautifulSoup]:
    soup = BeautifulSoup(html, "lxml")
    return {row["data-id"]: row for row in soup.select("tr[data-id]")}


# -- the queue ----------------------------------------------------------------------


def test_queue_lists_held_comments_with_their_reasons(client, seeded):
    hannah, mallory = seeded["Held Hannah"], seeded["<b>Mallory</b>"]
    assert hannah.status is State.HELD and mallory.status is State.HELD

    page = client.get("/")

    assert page.status_code == 200
    shown = rows(page.text)
    assert set(shown) == {hannah.id, mallory.id}
    row = shown[hannah.id].get_text(" ", strip=True)
    assert "moderation keyword word: 'webinar'" in row
    assert "h***@example.org" in row
    assert "Social, not sales" in row
    assert "2026-11-20 10:00 UTC" in row
    assert re.search(r"score 0\.\d\d", row)
    assert "hold" in row
    tabs = BeautifulSoup(page.text, "lxml").select_one("nav .tabs").get_text(" ", strip=True)
    assert "Held 2" in tabs and "Spam 2" in tabs and "All 4" in tabs


def test_no_page_ever_shows_a_full_email(client, seeded):
    pages = [client.get(f"/?status={s}").text for s in ("all", "held", "spam")]
    pages += [client.get(f"/comments/{c.id}").text for c in seeded.values()]
    for line in INBOX:
        assert all(line["email"] not in html for html in pages), line["email"]


def test_filters_by_state_reason_and_article(client, seeded):
    lou, sam = seeded["Linky Lou"], seeded["Spammy Sam"]

    assert set(rows(client.get("/?status=spam").text)) == {lou.id, sam.id}
    # Rescue false positives: the spam caught for a shortener only.
    assert set(rows(client.get("/?status=spam&reason=shortener").text)) == {lou.id}
    assert set(rows(client.get("/?status=spam&article=social-not-sales").text)) == {sam.id}
    assert len(rows(client.get("/?status=all").text)) == 4
    empty = client.get("/?status=approved")
    assert rows(empty.text) == {} and "No approved comments" in empty.text


def test_a_bad_filter_is_a_clear_400(client):
    answer = client.get("/?status=pending")
    assert answer.status_code == 400
    assert "status: unknown state 'pending'" in text_of(answer.text)
    assert client.get("/?page=zero").status_code == 400


def test_rows_show_where_links_really_point(client, seeded):
    lou = seeded["Linky Lou"]
    row = rows(client.get("/?status=spam").text)[lou.id]
    links = [li.get_text(" ", strip=True) for li in row.select(".links li")]

    assert len(links) == 2
    assert links[0].startswith("bit.ly shortener: hides where it leads shown as good.example")
    assert links[1].startswith("shop.example") and "shortener" not in links[1]
    # Spam links are shown as text, never as something to click.
    assert not row.select(".text a")


def test_an_xss_body_and_author_are_escaped(client, seeded):
    mallory = seeded["<b>Mallory</b>"]
    for html in (client.get("/").text, client.get(f"/comments/{mallory.id}").text):
        soup = BeautifulSoup(html, "lxml")
        assert soup.find("script", src=False) is None
        assert soup.find("img") is None and soup.find("b") is None
        assert XSS_BODY in soup.get_text()
        assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_security_headers(client):
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    soup = BeautifulSoup(page.text, "lxml")
    assert all(script.get("src") for script in soup.find_all("script"))
    assert not soup.select("[style]") and not soup.find("style")
    assert client.get("/static/review.js").status_code == 200
    assert client.get("/static/review.css").status_code == 200


# -- one comment -----------------------------------------------------------------------


def test_comment_page_shows_every_signal_and_the_log(client, seeded):
    hannah = seeded["Held Hannah"]
    page = client.get(f"/comments/{hannah.id}")

    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "lxml")
    signals = {row.th.get_text(strip=True): row for row in soup.select("table.signals tbody tr")}
    assert {"akismet", "rules", "promotion", "model", "intake"} <= set(signals)
    assert "not configured" in signals["akismet"].get_text().lower()
    assert "moderation keyword word: 'webinar'" in signals["rules"].get_text()
    log = [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in soup.select("table.log tbody tr")
    ]
    assert [entry[1:4] for entry in log] == [
        ["import", "–", "received"],
        ["screening", "received", "held"],
    ]
    assert "moderation keyword word: 'webinar'" in log[1][6]
    facts = soup.select_one("dl.facts").get_text(" ", strip=True)
    assert "192.0.2.10" in facts and "Mozilla/5.0 (test)" in facts


def test_comment_page_shows_hashes_after_retention(site, client, seeded):
    hannah = seeded["Held Hannah"]
    with Store(site.db) as store:
        store.privacy.apply_retention(30, now=datetime.now(UTC) + timedelta(days=400))
        ip_hash = store.privacy.request_context(hannah.id)["ip_hash"]

    facts = BeautifulSoup(client.get(f"/comments/{hannah.id}").text, "lxml").select_one("dl.facts")

    text = facts.get_text(" ", strip=True)
    assert "192.0.2.10" not in text
    assert f"hashed {ip_hash} (past retention)" in text


def test_unknown_comment_is_404(client):
    answer = client.get("/comments/c-2026-01-01-000000")
    assert answer.status_code == 404
    assert "unknown comment id 'c-2026-01-01-000000'" in text_of(answer.text)


@pytest.mark.parametrize("bad", ["c_2026", "c-" + "a" * 200, "c-2026\n"])
def test_a_malformed_comment_id_is_refused(client, seeded, bad):
    assert client.get(f"/comments/{quote(bad)}").status_code == 404
    answer = client.act({"action": "approve", "ids": [bad]}, follow=False)
    assert answer.status_code == 400
    assert f"ids: {bad!r} is not a comment id" in text_of(answer.text)


# -- actions ------------------------------------------------------------------------------


def test_approve_changes_the_state_and_logs_a_decision(site, client, seeded):
    hannah = seeded["Held Hannah"]

    answer = client.act({"one": f"approve {hannah.id}"}, follow=False)

    assert answer.status_code == 303 and answer.headers["location"] == "/"
    page = client.get("/")
    assert "1 comment approved." in flash_of(page.text)
    assert f"approved {hannah.id} (held → approved)" in flash_of(page.text)
    assert hannah.id not in rows(page.text)
    assert state_of(site, hannah.id) is State.APPROVED
    last = decisions_of(site, hannah.id)[-1]
    assert (last.actor, last.from_state, last.to_state, last.label) == (
        MODERATOR,
        State.HELD,
        State.APPROVED,
        Label.HAM,
    )
    # The flash is shown once.
    assert flash_of(client.get("/").text) == ""


def test_spam_then_restore_from_the_comment_page(site, client, seeded):
    hannah = seeded["Held Hannah"]
    page = f"/comments/{hannah.id}"

    spammed = client.act({"one": f"spam {hannah.id}", "note": "sales pitch"}, page=page)
    assert "1 comment marked as spam." in flash_of(spammed.text)
    assert state_of(site, hannah.id) is State.SPAM

    restored = client.act({"one": f"restore {hannah.id}"}, page=page)
    assert "1 comment restored." in flash_of(restored.text)
    assert state_of(site, hannah.id) is State.HELD
    log = decisions_of(site, hannah.id)
    assert [(e.to_state, e.label, e.note) for e in log[-2:]] == [
        (State.SPAM, Label.SPAM, "sales pitch"),
        (State.HELD, None, None),
    ]


def test_bulk_action_on_the_selected_comments(site, client, seeded):
    hannah, mallory = seeded["Held Hannah"], seeded["<b>Mallory</b>"]

    page = client.act({"action": "reject", "scope": "selected", "ids": [hannah.id, mallory.id]})

    assert "2 comments rejected." in flash_of(page.text)
    assert state_of(site, hannah.id) is State.REJECTED
    assert state_of(site, mallory.id) is State.REJECTED
    assert state_of(site, seeded["Linky Lou"].id) is State.SPAM


def test_bulk_rescue_of_everything_shown_by_a_filter(site, client, seeded):
    lou, sam = seeded["Linky Lou"], seeded["Spammy Sam"]
    filtered = "/?status=spam&reason=shortener"
    shown = list(rows(client.get(filtered).text))

    page = client.act(
        {"action": "restore", "scope": "page", "shown": shown, "ids": []}, page=filtered
    )

    assert "1 comment restored." in flash_of(page.text)
    assert state_of(site, lou.id) is State.HELD
    assert state_of(site, sam.id) is State.SPAM


def test_nothing_selected_is_said_plainly(client, seeded):
    page = client.act({"action": "approve", "scope": "selected"})
    assert "Select at least one comment first." in flash_of(page.text)
    hannah = seeded["Held Hannah"]
    page = client.act({"action": "", "scope": "selected", "ids": [hannah.id]})
    assert "Choose an action first." in flash_of(page.text)


def test_a_forbidden_move_changes_nothing_and_says_why(site, client, seeded):
    hannah, sam = seeded["Held Hannah"], seeded["Spammy Sam"]
    with Store(site.db) as store:
        store.decisions.moderate(hannah.id, "approve")

    page = client.act(
        {"action": "restore", "scope": "selected", "ids": [sam.id, hannah.id]}, page="/?status=all"
    )

    assert f"Nothing was changed: cannot restore comment {hannah.id}: it is approved" in flash_of(
        page.text
    )
    assert state_of(site, sam.id) is State.SPAM  # the valid half was not applied either
    assert state_of(site, hannah.id) is State.APPROVED


def test_an_unknown_action_is_a_400(client, seeded):
    answer = client.act({"one": f"delete {seeded['Held Hannah'].id}"}, follow=False)
    assert answer.status_code == 400
    assert "action: unknown action 'delete'" in text_of(answer.text)


def test_redirects_never_leave_the_site(client, seeded):
    hannah = seeded["Held Hannah"]
    token = csrf_of(client.get("/").text)
    answer = client.post(
        "/moderate",
        data={"csrf_token": token, "next": "//evil.example/", "one": f"approve {hannah.id}"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"


# -- CSRF and the door ---------------------------------------------------------------------


def test_csrf_failures_are_403_and_change_nothing(site, client, seeded):
    hannah = seeded["Held Hannah"]
    token = csrf_of(client.get("/").text)
    approve = {"one": f"approve {hannah.id}", "next": "/"}
    attempts = [
        ({**approve}, {"origin": BASE_URL}),  # no token
        ({**approve, "csrf_token": "forged"}, {"origin": BASE_URL}),
        ({**approve, "csrf_token": token}, {"origin": "http://evil.example"}),
        ({**approve, "csrf_token": token}, {"referer": "http://evil.example/page"}),
        ({**approve, "csrf_token": token}, {"origin": "null"}),
        ({**approve, "csrf_token": token}, {}),  # says nothing about where it comes from
    ]
    for data, headers in attempts:
        answer = client.post("/moderate", data=data, headers=headers)
        assert answer.status_code == 403, (data, headers)
    assert state_of(site, hannah.id) is State.HELD
    assert [e.actor for e in decisions_of(site, hannah.id)] == ["import", "screening"]
    # The same post from the page itself (Referer only, as some browsers send) works.
    ok = client.post(
        "/moderate", data={**approve, "csrf_token": token}, headers={"referer": BASE_URL + "/"}
    )
    assert ok.status_code == 303 and state_of(site, hannah.id) is State.APPROVED


def test_a_token_from_another_session_is_refused(site, seeded):
    app = create_review_app(site.settings(), site.db)
    with ReviewClient(app) as first, ReviewClient(app) as second:
        first.login()
        second.login()
        token = csrf_of(first.get("/").text)
        second.get("/")
        hannah = seeded["Held Hannah"]
        answer = second.post("/moderate", data={"csrf_token": token, "one": f"approve {hannah.id}"})
    assert answer.status_code == 403
    assert state_of(site, hannah.id) is State.HELD


# -- publishing and Akismet ---------------------------------------------------------------


def test_publish_button_writes_the_approved_comments(site, client, seeded):
    hannah = seeded["Held Hannah"]
    client.act({"one": f"approve {hannah.id}"})
    token = csrf_of(client.get("/").text)

    page = client.post("/publish", data={"csrf_token": token, "next": "/"}, follow_redirects=True)

    written = site.comments_dir / "social-not-sales" / f"{hannah.id}.md"
    assert written.is_file()
    text = written.read_text(encoding="utf-8")
    assert f"id: {hannah.id}" in text and "hannah@example.org" not in text
    flash = flash_of(page.text)
    assert "1 written, 0 unchanged, 0 removed, 0 skipped" in flash
    assert f"wrote social-not-sales/{hannah.id}.md" in flash


def test_publish_needs_the_csrf_token(site, client, seeded):
    with Store(site.db) as store:
        store.decisions.moderate(seeded["Held Hannah"].id, "approve")
    assert client.post("/publish", data={"next": "/"}).status_code == 403
    assert not site.comments_dir.exists()


def test_flash_carries_the_akismet_feedback(site, monkeypatch):
    from moderation.screening.akismet import make_client
    from tests.fakes.akismet import FakeAkismet

    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", "test-key")
    fake = FakeAkismet("spam")
    settings = site.settings()
    add_moderator(site)
    seeded = seed(site, akismet_client=make_client(settings, http_client=fake.http_client()))
    hannah = seeded["Held Hannah"]
    assert state_of(site, hannah.id) is State.SPAM

    app = create_review_app(settings, site.db, http_client=fake.http_client())
    with ReviewClient(app) as client:
        client.login()
        page = client.act({"one": f"approve {hannah.id}"}, page="/?status=spam")

    assert f"Akismet: reported {hannah.id} as ham" in flash_of(page.text)
    assert len(fake.sent("submit-ham")) == 1
    assert state_of(site, hannah.id) is State.APPROVED


def test_pages_and_a_bounded_flash_for_a_large_bulk_action(site, seeded, monkeypatch):
    import moderation.web.review_app as review_web

    monkeypatch.setattr(review_web, "PAGE_SIZE", 10)
    with Store(site.db) as store:
        extra = store.comments.add_many(
            [
                Comment(
                    article="who-owns-the-room",
                    author=f"Reader {n}",
                    body=f"Thoughtful remark number {n} about rooms.",
                    received_at=datetime(2026, 11, 21, 9, n, tzinfo=UTC),
                )
                for n in range(20)
            ],
            status=State.HELD,
        )
    with ReviewClient(create_review_app(site.settings(), site.db)) as client:
        client.login()
        first = client.get("/")
        assert len(rows(first.text)) == 10 and "Page 1 of 3" in text_of(first.text)
        third = client.get("/?status=held&article=&reason=&page=3")
        assert set(rows(third.text)) == {c.id for c in extra[-2:]}
        beyond = client.get("/?page=9")  # past the end: the last page
        assert set(rows(beyond.text)) == set(rows(third.text))

        shown = list(rows(first.text))
        page = client.act({"action": "approve", "scope": "page", "shown": shown})

    flash = BeautifulSoup(page.text, "lxml").select(".flash li")
    assert "10 comments approved." in flash_of(page.text)
    details = [li.get_text(strip=True) for li in flash]
    assert len(details) == review_web.DETAIL_LINES  # the model learns in the background
    assert details[review_web.DETAIL_LINES - 1] == "… and 3 more"
    approved = [
        c
        for c in [seeded["Held Hannah"], seeded["<b>Mallory</b>"], *extra]
        if state_of(site, c.id) is State.APPROVED
    ]
    assert {c.id for c in approved} == set(shown)


def test_articles_are_read_once_then_again_only_when_the_content_changes(site, seeded, monkeypatch):
    import moderation.web.review_app as review_web

    reads = []

    def counting_load_articles(settings):
        reads.append(settings)
        return load_articles(settings)

    monkeypatch.setattr(review_web, "load_articles", counting_load_articles)
    hannah = seeded["Held Hannah"]
    site.comments_dir.mkdir()  # as on a site that has published comments before
    with ReviewClient(create_review_app(site.settings(), site.db)) as client:
        client.login()
        client.get("/")
        client.get("/?status=all")
        client.get(f"/comments/{hannah.id}")
        assert len(reads) == 1

        # Publishing writes comment files (and folders) under content/comments/:
        # not an article change.
        client.act({"one": f"approve {hannah.id}"})
        token = csrf_of(client.get("/").text)
        client.post("/publish", data={"csrf_token": token, "next": "/"})
        assert (site.comments_dir / "social-not-sales" / f"{hannah.id}.md").is_file()
        client.get("/")
        assert len(reads) == 1

        new_article = site.content / "articles" / "late-arrival.md"
        new_article.write_text(
            "Title: A late arrival\nDate: 2026-02-01 09:00+01:00\nSlug: late-arrival\n\nHi.\n",
            encoding="utf-8",
        )
        page = client.get("/")
        assert len(reads) == 2
        assert "A late arrival" in page.text

        new_article.write_text(
            "Title: Renamed late\nDate: 2026-02-01 09:00+01:00\nSlug: late-arrival\n\nHi.\n",
            encoding="utf-8",
        )
        page = client.get("/")
        assert len(reads) == 3
        assert "Renamed late" in page.text and "A late arrival" not in page.text

        new_article.unlink()
        assert "Renamed late" not in client.get("/").text
        assert len(reads) == 4


def test_actions_retrain_the_model_in_the_background_once_per_burst(site, seeded, monkeypatch):
    import threading

    from moderation.screening import learned

    retrains = []
    real_retrain = learned.retrain
    release = threading.Event()

    def slow_retrain(store, settings=None):
        if Path(store.path) != Path(site.db):
            # Another test's retrainer thread, still finishing: not this test's count.
            return real_retrain(store, settings)
        retrains.append(threading.current_thread().name)
        release.wait(10)  # a retrain over many decisions takes long
        return real_retrain(store, settings)

    monkeypatch.setattr(learned, "retrain", slow_retrain)
    hannah, mallory = seeded["Held Hannah"].id, seeded["<b>Mallory</b>"].id
    app = create_review_app(site.settings(), site.db, retrain_delay=0.2)
    with ReviewClient(app) as client:
        client.login()
        first = client.act({"one": f"spam {hannah}"})
        second = client.act({"one": f"approve {mallory}"})
        # Both answers came while no retrain had finished: nobody waited for the model.
        assert "1 comment marked as spam." in flash_of(first.text)
        assert "1 comment approved." in flash_of(second.text)
        assert "model trained" not in flash_of(second.text)
        release.set()
        assert app.state.service.retrainer.wait(20)

    # Retrained on the retrainer's thread only: once, or twice when the second action
    # came after the pause (a loaded machine), never once per request on the page.
    assert retrains in (["retrainer"], ["retrainer"] * 2)
    with Store(site.db) as store:
        assert store.trained.load("comments") is not None


def test_a_burst_of_requests_makes_one_retrain(site, seeded, monkeypatch):
    from moderation.screening import learned
    from moderation.web.retrainer import Retrainer

    runs = []
    monkeypatch.setattr(learned, "retrain", lambda store, settings=None: runs.append(1))
    # The pause is long enough that the burst falls inside it even on a loaded machine
    # (at 0.5 s, CI once saw the last requests arrive after the run had started).
    retrainer = Retrainer(site.settings(), site.db, delay=3)
    for _ in range(10):
        retrainer.request()
    assert retrainer.pending
    assert retrainer.wait(20) and runs == [1]
    retrainer.delay = 0.05
    retrainer.request()  # a later request: one more run
    assert retrainer.wait(10) and runs == [1, 1]
    retrainer.stop()
    retrainer.request()  # stopped: ignored
    assert runs == [1, 1] and not retrainer.pending


def shown_versions(html: str) -> list[str]:
    """The ``seen`` fields of a page: each comment shown, with the version of its text."""
    return [field["value"] for field in BeautifulSoup(html, "lxml").select('input[name="seen"]')]


def test_a_comment_edited_after_the_page_showed_it_is_not_approved(site, client, seeded):
    hannah = seeded["Held Hannah"]
    page = f"/comments/{hannah.id}"
    shown = client.get(page).text
    assert shown_versions(shown) == [f"{hannah.id} {hannah.version}"]
    scam = "Printer support: call toll free +1 888 555 0147, 24/7"
    with Store(site.db) as store:  # its author saves a new text meanwhile
        store.revisions.edit(hannah.id, author=hannah.author, author_url=None, body=scam)

    form = {"csrf_token": csrf_of(shown), "next": page, "seen": shown_versions(shown)}
    answer = client.post("/moderate", data=form | {"one": f"approve {hannah.id}"})

    assert answer.status_code == 303 and answer.headers["location"] == page
    again = client.get(page)
    assert f"Nothing was changed: comment {hannah.id} was edited at " in flash_of(again.text)
    assert "read its new text before you approve it" in flash_of(again.text)
    assert scam in BeautifulSoup(again.text, "lxml").select_one(".body.full").get_text()
    assert state_of(site, hannah.id) is State.RECEIVED
    assert [e.actor for e in decisions_of(site, hannah.id)][-1] == "author"
    # The page now carries the new version: acting on what it shows works.
    form = {"csrf_token": csrf_of(again.text), "next": page, "seen": shown_versions(again.text)}
    client.post("/moderate", data=form | {"one": f"spam {hannah.id}"})
    assert state_of(site, hannah.id) is State.SPAM


def test_a_bulk_action_with_one_edited_comment_changes_nothing_and_reloads(site, client, seeded):
    hannah, mallory = seeded["Held Hannah"], seeded["<b>Mallory</b>"]
    queue = client.get("/").text
    with Store(site.db) as store:
        store.revisions.edit(mallory.id, author=mallory.author, author_url=None, body="Changed.")
    form = {"csrf_token": csrf_of(queue), "next": "/", "seen": shown_versions(queue)}
    answer = client.post(
        "/moderate",
        data=form | {"action": "approve", "scope": "page", "shown": list(rows(queue))},
        headers={"origin": BASE_URL, "accept": "application/json"},
    )
    assert answer.status_code == 409
    assert answer.json()["reload"] is True  # the page's script shows the new text
    assert f"comment {mallory.id} was edited" in answer.json()["lines"][0]
    assert state_of(site, hannah.id) is State.HELD
    assert state_of(site, mallory.id) is State.RECEIVED
