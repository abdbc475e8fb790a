"""Undo, promotion apart from spam, the blocklist, a sender's history and the stats (issue 10)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from moderation import senders
from moderation.models import Comment, Label, State
from moderation.review import moderate, recent_actions, undo_action
from moderation.screening import Screener, screen_and_record
from moderation.screening.akismet import make_client
from moderation.store import BlockKind, Store, UndoError
from moderation.web.review_app import create_review_app
from tests.fakes.akismet import FakeAkismet

from .helpers import MODERATOR, ReviewClient, add_held, add_moderator, flash_of


@pytest.fixture
def app(site):
    add_moderator(site)
    return create_review_app(site.settings(), site.db, retrain_delay=0.05)


@pytest.fixture
def client(app):
    with ReviewClient(app) as client:
        client.login()
        yield client


def state_of(site, comment_id: str) -> State:
    with Store(site.db) as store:
        return store.comments.get(comment_id).status


def rows(html: str) -> list[str]:
    return [row["data-id"] for row in BeautifulSoup(html, "lxml").select("tr[data-id]")]


# -- undo --------------------------------------------------------------------------------


def test_undo_is_a_new_decision_and_the_model_forgets_the_label(site):
    held = add_held(site, author="Una")
    settings = site.settings()
    with Store(site.db) as store:
        spammed = moderate(store, settings, [held.id], "spam", actor="alice", retrain=False)
        assert store.comments.labelled()[0][1] is Label.SPAM
        approved = moderate(store, settings, [held.id], "approve", actor="alice", retrain=False)
        assert store.comments.labelled()[0][1] is Label.HAM

        report = undo_action(store, settings, approved.action_id, actor="alice", retrain=False)

        assert report.headline == "Undid approve of 1 comment."
        assert store.comments.get(held.id).status is State.SPAM
        # The spam label counts again; the undone ham does not.
        assert [(c.id, label) for c, label in store.comments.labelled()] == [(held.id, Label.SPAM)]
        assert report.retrain_needed
        log = store.decisions.of(held.id)
        undo_line = log[-1]
        assert (undo_line.action, undo_line.actor, undo_line.undoes) == (
            "undo",
            "alice",
            approved.changed[0].id,
        )
        assert (undo_line.from_state, undo_line.to_state, undo_line.label) == (
            State.APPROVED,
            State.SPAM,
            None,
        )
        # The log itself was not edited: the approve line is still there as it was.
        assert log[-2] == approved.changed[0]
        # Undoing the spam too leaves no label at all.
        undo_action(store, settings, spammed.action_id, actor="alice", retrain=False)
        assert store.comments.get(held.id).status is State.HELD
        assert store.comments.labelled() == []
        assert store.decisions.count_labelled() == 0


def test_only_your_own_last_twenty_actions_can_be_undone(site):
    settings = site.settings()
    comments = [
        add_held(site, author=f"Reader {n}", body=f"Remark {n} on rooms.") for n in range(22)
    ]
    with Store(site.db) as store:
        actions = [
            moderate(store, settings, [c.id], "reject", actor="alice", retrain=False)
            for c in comments
        ]
        bobs = moderate(store, settings, [actions[0].changed[0].comment_id], "restore", actor="bob")
        listed = recent_actions(store, "alice")
        assert len(listed) == 20
        assert listed[0].action_id == actions[-1].action_id  # newest first
        with pytest.raises(UndoError, match="not one of alice's last 20 actions"):
            undo_action(store, settings, actions[0].action_id, actor="alice")
        with pytest.raises(UndoError, match="only their own"):
            undo_action(store, settings, bobs.action_id, actor="alice")


def test_a_comment_moved_since_is_left_as_it_is(site):
    settings = site.settings()
    first, second = add_held(site, author="One"), add_held(site, author="Two", body="Other.")
    with Store(site.db) as store:
        bulk = moderate(store, settings, [first.id, second.id], "reject", actor="alice")
        moderate(store, settings, [second.id], "restore", actor="bob")
        report = undo_action(store, settings, bulk.action_id, actor="alice", retrain=False)
        assert [line.comment_id for _entry, line in report.undone] == [first.id]
        assert report.left and "moved since by bob" in report.left[0][1]
        assert store.comments.get(first.id).status is State.HELD
        assert store.comments.get(second.id).status is State.HELD  # bob's restore stands
        again = undo_action(store, settings, bulk.action_id, actor="alice", retrain=False)
        assert not again.undone and "already undone" in again.left[0][1]


def test_undo_tells_akismet_its_own_verdict_again(site, monkeypatch):
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", "test-key")
    fake = FakeAkismet("spam")
    settings = site.settings()
    comment = add_held(
        site, author="Ana", body="Plain words about learning in groups.", status=State.RECEIVED
    )
    with Store(site.db) as store:
        client = make_client(settings, http_client=fake.http_client())
        screener = Screener(settings, store, akismet_client=client)
        screen_and_record(store, screener, [store.comments.get(comment.id)])
        assert store.comments.get(comment.id).status is State.SPAM

        approved = moderate(
            store,
            settings,
            [comment.id],
            "approve",
            actor="alice",
            http_client=fake.http_client(),
            retrain=False,
        )
        assert len(fake.sent("submit-ham")) == 1
        report = undo_action(
            store,
            settings,
            approved.action_id,
            actor="alice",
            http_client=fake.http_client(),
            retrain=False,
        )

    assert report.feedback == [f"Akismet: reported {comment.id} as spam"]
    sent = fake.sent("submit-spam")
    assert len(sent) == 1 and sent[0]["comment_content"] == comment.body
    assert state_of(site, comment.id) is State.SPAM


def test_undo_from_the_page_and_the_u_key_path(site, client):
    comments = [add_held(site, author=f"Reader {n}", body=f"Remark {n}.") for n in range(3)]
    client.act({"action": "reject", "scope": "selected", "ids": [c.id for c in comments[:2]]})
    client.act({"one": f"approve {comments[2].id}"})

    actions_page = client.get("/actions")
    listed = BeautifulSoup(actions_page.text, "lxml").select("tr[data-action-id]")
    assert len(listed) == 2 and "Approve" in listed[0].get_text()
    bulk_id = listed[1]["data-action-id"]

    page = client.submit("/undo", {"action_id": bulk_id}, page="/actions")
    assert "Undid reject of 2 comments." in flash_of(page.text)
    assert [state_of(site, c.id) for c in comments] == [State.HELD, State.HELD, State.APPROVED]

    # The `u` key posts without an action: the newest one that can be undone.
    answer = client.post(
        "/undo",
        data={"csrf_token": _token(client), "next": "/"},
        headers={"origin": "http://127.0.0.1:8081", "accept": "application/json"},
    )
    assert answer.status_code == 200 and answer.json()["lines"][0] == "Undid approve of 1 comment."
    assert state_of(site, comments[2].id) is State.HELD
    nothing = client.post(
        "/undo",
        data={"csrf_token": _token(client), "next": "/"},
        headers={"origin": "http://127.0.0.1:8081", "accept": "application/json"},
    )
    assert nothing.status_code == 409
    assert "none of your last 20 actions can be undone" in nothing.json()["lines"][0]
    with Store(site.db) as store:
        assert [e.actor for e in store.decisions.of(comments[0].id)[-2:]] == [MODERATOR] * 2


def _token(client) -> str:
    from .helpers import csrf_of

    return csrf_of(client.get("/actions").text)


# -- promotion apart from spam ----------------------------------------------------------------


def test_promo_is_its_own_tab_and_count(site, client):
    spam, promo, held = (add_held(site, author=name, body=f"{name} text.") for name in "ABC")
    with Store(site.db) as store:
        store.decisions.moderate(spam.id, "spam")
        store.decisions.moderate(promo.id, "promo")
    page = client.get("/?status=spam")
    tabs = BeautifulSoup(page.text, "lxml").select_one("nav .tabs").get_text(" ", strip=True)
    assert "Spam 1" in tabs and "Promo 1" in tabs and "Held 1" in tabs and "All 3" in tabs
    assert rows(page.text) == [spam.id]
    assert rows(client.get("/?status=promo").text) == [promo.id]
    # An undone promo label is spam again.
    with Store(site.db) as store:
        promoted = store.decisions.of(promo.id)[-1]
        store.decisions.undo([promoted.id], actor="alice")
    assert rows(client.get("/?status=promo").text) == []
    assert held.id in rows(client.get("/?status=held").text)


# -- blocking senders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "kept"),
    [
        ("email", " Spammer@Spam.Example ", "spammer@spam.example"),
        ("domain", "WWW.Spam.Example.", "spam.example"),
        ("link_domain", "shop.example", "shop.example"),
        ("ip", "203.0.113.7", "203.0.113.7"),
        ("ip", "203.0.113.9/24", "203.0.113.0/24"),
        ("ip", "2001:db8::1", "2001:db8::1"),
    ],
)
def test_block_values_are_checked_and_normalised(kind, value, kept):
    assert senders.normalise(kind, value) == (BlockKind(kind), kept)


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("email", "not an address", "email: 'not an address' is not an email address"),
        ("domain", "spam example", "is not a domain name"),
        ("ip", "300.1.1.1", "ip: '300.1.1.1' is not an IP address or network"),
        ("phone", "123", "kind: unknown kind 'phone'"),
        ("email", "  ", "give a value to block"),
    ],
)
def test_bad_block_values_are_refused_with_the_reason(kind, value, message):
    with pytest.raises(senders.BlockError, match=message):
        senders.normalise(kind, value)


def test_the_blocklist_signal_marks_a_matching_comment_as_spam(site):
    settings = site.settings()
    with Store(site.db) as store:
        senders.block(store, "domain", "spam.example", actor="alice")
        senders.block(store, "link_domain", "shop.example", actor="alice")
        senders.block(store, "ip", "198.51.100.0/24", actor="bob", note="a botnet")
        comments = store.comments.add_many(
            [
                Comment(article="a", author="A", body="Hello there.", email="x@mail.spam.example"),
                Comment(article="a", author="B", body="See https://www.shop.example/deal today."),
                Comment(article="a", author="C", body="Hello again.", ip="198.51.100.77"),
                Comment(article="a", author="D", body="A fair point.", email="d@fine.example"),
            ]
        )
        screener = Screener(settings, store)
        states = screen_and_record(store, screener, comments)
        findings = [store.screenings.latest(c.id).signal("blocklist").findings for c in comments]
    assert states[:3] == [State.SPAM] * 3
    assert findings[0] == ("blocked email domain: spam.example (by alice)",)
    assert findings[1] == ("blocked link domain: shop.example (by alice)",)
    assert findings[2] == ("blocked IP: 198.51.100.0/24 (by bob)",)
    assert findings[3] == ()


def test_block_from_the_comment_page_and_edit_the_blocklist(site, client):
    comment = add_held(
        site,
        author="Pushy",
        email="pushy@deals.example",
        ip="203.0.113.80",
        body="Great post, see https://cheap.deals.example/now for more.",
    )
    page = client.get(f"/comments/{comment.id}")
    buttons = {
        b.get_text(" ", strip=True): b["value"]
        for b in BeautifulSoup(page.text, "lxml").select("form.block button")
    }
    assert buttons == {
        "Block the email address p***@deals.example": "email",
        "Block every address at deals.example": "domain deals.example",
        "Block links to cheap.deals.example": "link_domain cheap.deals.example",
        "Block the IP address 203.0.113.80": "ip 203.0.113.80",
    }
    assert "pushy@deals.example" not in page.text

    blocked = client.submit(
        "/blocklist", {"value": "email", "comment": comment.id}, page=f"/comments/{comment.id}"
    )
    assert "Blocked email address p***@deals.example" in flash_of(blocked.text)
    added = client.submit(
        "/blocklist", {"kind": "ip", "value": "203.0.113.0/25", "note": "range"}, page="/blocklist"
    )
    assert "Blocked ip address or network 203.0.113.0/25" in flash_of(added.text)
    refused = client.submit(
        "/blocklist", {"kind": "domain", "value": "no such thing"}, page="/blocklist"
    )
    assert "Not blocked: domain: 'no such thing' is not a domain name" in flash_of(refused.text)

    listing = BeautifulSoup(client.get("/blocklist").text, "lxml")
    entries = [r.get_text(" ", strip=True) for r in listing.select("table.blocklist tbody tr")]
    assert len(entries) == 2 and any("pushy@deals.example" in e for e in entries)
    with Store(site.db) as store:
        ip_entry = next(e for e in store.blocklist.all() if e.kind is BlockKind.IP)
    removed = client.submit("/blocklist/remove", {"entry": str(ip_entry.id)}, page="/blocklist")
    assert "Unblocked ip address or network 203.0.113.0/25." in flash_of(removed.text)
    with Store(site.db) as store:
        assert [(e.kind, e.value, e.added_by) for e in store.blocklist.all()] == [
            (BlockKind.EMAIL, "pushy@deals.example", MODERATOR)
        ]


# -- a sender's history ----------------------------------------------------------------------


def test_earlier_comments_by_email_ip_hash_and_link_domain(site, client):
    day = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    old_ip = add_held(
        site, author="Old", body="Long ago.", ip="192.0.2.99", email=None, received_at=day
    )
    by_mail = add_held(
        site,
        author="Mail",
        body="Earlier.",
        email="same@sender.example",
        ip=None,
        received_at=day + timedelta(days=1),
    )
    by_link = add_held(
        site,
        author="Link",
        body="Visit https://promo.example/a",
        email=None,
        ip=None,
        received_at=day + timedelta(days=2),
    )
    unrelated = add_held(
        site,
        author="Other",
        body="Unrelated.",
        email="o@else.example",
        ip="192.0.2.1",
        received_at=day + timedelta(days=3),
    )
    with Store(site.db) as store:
        store.decisions.moderate(by_mail.id, "promo")
        # Retention hashes the old comment's IP: the history still finds it.
        store.privacy.apply_retention(5, now=day + timedelta(days=10))
    now = add_held(
        site,
        author="Now",
        email="Same@Sender.example",
        ip="192.0.2.99",
        body="And again: https://promo.example/b",
        received_at=day + timedelta(days=12),
    )

    with Store(site.db) as store:
        history = senders.earlier_comments(store, store.comments.get(now.id))
    found = {item.comment.id: item for item in history}
    assert set(found) == {old_ip.id, by_mail.id, by_link.id}
    assert unrelated.id not in found
    assert found[old_ip.id].matched == ("IP",)
    assert found[by_mail.id].matched == ("email",) and found[by_mail.id].label is Label.PROMO
    assert found[by_link.id].matched == ("links to promo.example",)

    page = BeautifulSoup(client.get(f"/comments/{now.id}").text, "lxml")
    table = page.select_one("table.history").get_text(" ", strip=True)
    assert "Mail promo email" in table and "Old held IP" in table


# -- stats ---------------------------------------------------------------------------------------


def test_stats_are_drawn_on_the_server(site, client):
    today = datetime.now(UTC).replace(hour=8)
    comments = [
        add_held(
            site,
            author=f"S{n}",
            body=f"Stat {n}.",
            received_at=today - timedelta(days=n % 3),
            status=State.RECEIVED if n < 2 else State.HELD,
        )
        for n in range(6)
    ]
    with Store(site.db) as store:
        senders.block(store, "domain", "example.org", actor="alice")
        screen_and_record(store, Screener(site.settings(), store), comments[:2])
        moderate(store, site.settings(), [comments[2].id], "approve", actor="alice")
        moderate(store, site.settings(), [comments[3].id], "promo", actor="bob")
        moderate(store, site.settings(), [comments[4].id], "promo", actor="bob")

    page = client.get("/stats")
    soup = BeautifulSoup(page.text, "lxml")
    charts = soup.select("svg.chart")
    assert len(charts) == 3
    assert all(chart.find("title") for chart in charts)
    assert not soup.select("script:not([src])") and "http" not in "".join(
        img.get("src", "") for img in soup.find_all("img")
    )
    tables = [t.get_text(" ", strip=True) for t in soup.select("table.stats")]
    assert "Approved Held Received Promo Spam Rejected 1 1 0 2 2 0" in tables[0]
    assert "blocklist 2" in tables[1]
    assert "alice 1 0 0 0 0 0" in tables[2] and "bob 0 0 0 2 0 0" in tables[2]
    day_bars = charts[0].select("rect title")
    assert any("promo" in bar.get_text() for bar in day_bars)


# -- publish and deploy ---------------------------------------------------------------------------


def test_one_publish_and_deploy_at_a_time_with_its_progress(site):
    import threading

    from moderation.web.deploying import DeployBusy, DeployRunner

    release = threading.Event()

    class Report:
        def summary(self) -> str:
            return "Published to /srv/www in 1.0 s.\n  pages      3 written"

        def lines(self) -> list[str]:
            return [f"added page{n}.html" for n in range(50)]

    def pipeline(progress):
        progress("checking", 0, 0)
        progress("building", 0, 0)
        progress("building", 2, 3)
        release.wait(10)
        progress("deploying", 0, 0)
        return Report()

    runner = DeployRunner(site.settings(), site.db, pipeline=pipeline)
    runner.start("alice")
    with pytest.raises(DeployBusy, match=r"already running .*started by alice"):
        runner.start("bob")
    deadline = time.monotonic() + 10
    while "building: 2 of 3" not in runner.status().progress and time.monotonic() < deadline:
        time.sleep(0.01)
    running = runner.status()
    assert running.running and running.progress[:2] == ("checking", "building: 2 of 3")
    release.set()
    done = runner.wait(10)
    assert not done.running and done.ok and done.started_by == "alice"
    assert done.result[0] == "Published to /srv/www in 1.0 s."
    assert done.result[-1] == "… and 10 more" and len(done.result) == 2 + 40 + 1

    def failing(progress):
        from moderation.deploy import PreflightError

        raise PreflightError(["SITEURL is not set"])

    runner = DeployRunner(site.settings(), site.db, pipeline=failing)
    runner.start("bob")
    failed = runner.wait(10)
    assert failed.ok is False and "SITEURL is not set" in failed.error


def test_the_deploy_page_refreshes_itself_without_javascript_while_running(site, app):
    import threading

    from moderation.web.deploying import DeployRunner

    release = threading.Event()
    runner = DeployRunner(site.settings(), site.db, pipeline=lambda p: release.wait(10) or "ok")
    app.state.service.deployer = runner
    with ReviewClient(app) as client:
        client.login()
        started = client.submit("/deploy", {}, page="/deploy", follow=False)
        assert started.status_code == 303 and started.headers["location"] == "/deploy"
        page = BeautifulSoup(client.get("/deploy").text, "lxml")
        refresh = page.select_one("noscript meta[http-equiv=refresh]")
        assert refresh is not None and page.select_one(".status.running")
        assert page.select_one("button[disabled]").get_text() == "Publish and deploy"
        status = client.get("/deploy", headers={"accept": "application/json"}).json()
        assert status["running"] and status["started_by"] == MODERATOR
        again = client.submit("/deploy", {}, page="/deploy")
        assert "already running" in flash_of(again.text)
        release.set()
        runner.wait(10)
        finished = BeautifulSoup(client.get("/deploy").text, "lxml")
        assert finished.select_one("meta[http-equiv=refresh]") is None
        assert "Deployed" in finished.select_one(".status.ok").get_text()
