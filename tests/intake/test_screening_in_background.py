"""Screening after the commit, in the worker thread: Akismet emulated at the HTTP boundary."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from moderation.models import Comment, Label, State
from moderation.screening import retrain
from moderation.store import Store
from tests.fakes.akismet import FakeAkismet, FakeAkismetServer

from .helpers import SITE_ORIGIN, form


@pytest.fixture(autouse=True)
def akismet_configured(monkeypatch):
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", FakeAkismet().key)
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", SITE_ORIGIN)
    monkeypatch.delenv("MODERATION_AKISMET_ENDPOINT", raising=False)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def status_of(db, comment_id: str) -> State:
    with Store(db) as store:
        return store.comments.get(comment_id).status


def test_comments_are_screened_after_the_answer(make_client, db):
    akismet = FakeAkismet()
    client = make_client(screen=True, http_client=akismet.http_client())
    ham = client.post(
        "/comments",
        json=form(body="A thoughtful remark about communities of practice."),
        headers={"User-Agent": "Firefox/140", "Referer": SITE_ORIGIN + "/2026/x.html"},
    ).json()["id"]
    spam = client.post(
        "/comments", json=form(name="viagra-test-123", body="Totally ordinary words.")
    ).json()["id"]
    wait_for(lambda: State.RECEIVED not in {status_of(db, ham), status_of(db, spam)})
    assert status_of(db, spam) is State.SPAM
    # Akismet says ham, but the JSON post carried no form token: held, for that reason.
    assert status_of(db, ham) is State.HELD
    with Store(db) as store:
        assert "token: missing" in store.screenings.latest(ham).reasons
    with Store(db) as store:
        record = store.screenings.latest(spam)
    assert "akismet" in {s.signal for s in record.signals}
    sent = next(c for c in akismet.sent("comment-check") if c["comment_author"] == "Jane Reader")
    assert sent["user_ip"] == "127.0.0.1"
    assert sent["user_agent"] == "Firefox/140"
    assert sent["referrer"] == SITE_ORIGIN + "/2026/x.html"
    assert sent["permalink"] == SITE_ORIGIN + "/2026/social-not-sales.html"


def test_a_slow_akismet_does_not_delay_the_answer(make_client, db):
    akismet = FakeAkismet(delay=1.5)
    client = make_client(screen=True, http_client=akismet.http_client())
    # Time the answer only once the worker has finished starting (imports, model).
    assert client.service.worker.started.wait(30)
    started = time.perf_counter()
    response = client.post("/comments", json=form())
    assert response.status_code == 202
    assert time.perf_counter() - started < 0.75
    comment_id = response.json()["id"]
    assert status_of(db, comment_id) is State.RECEIVED  # committed before the answer
    wait_for(lambda: status_of(db, comment_id) is not State.RECEIVED)


def test_a_failing_akismet_holds_the_comment_for_a_recheck(make_client, db):
    akismet = FakeAkismet("error")
    client = make_client(screen=True, http_client=akismet.http_client())
    response = client.post("/comments", json=form())
    assert response.status_code == 202
    comment_id = response.json()["id"]
    wait_for(lambda: status_of(db, comment_id) is not State.RECEIVED)
    assert status_of(db, comment_id) is State.HELD
    with Store(db) as store:
        assert store.screenings.next_check_at(comment_id) is not None


def test_comments_left_unscreened_are_screened_at_start_up(make_client, db):
    with Store(db) as store:
        left = store.comments.add(
            Comment("social-not-sales", "Ann", "Left from a crash", ip="198.51.100.7")
        )
    akismet = FakeAkismet()
    make_client(screen=True, http_client=akismet.http_client())
    wait_for(lambda: status_of(db, left.id) is not State.RECEIVED)
    assert any(c["comment_content"] == "Left from a crash" for c in akismet.sent("comment-check"))


def test_a_screening_failure_never_loses_a_submission(make_client, db, monkeypatch):
    import moderation.screening as screening

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in a signal")

    monkeypatch.setattr(screening, "screen_and_record", broken)
    monkeypatch.setattr(screening, "screen_due", broken)
    client = make_client(screen=True, http_client=FakeAkismet().http_client())
    response = client.post("/comments", json=form())
    assert response.status_code == 202
    wait_for(lambda: client.get("/health").json()["screening"]["failures"] >= 1)
    assert status_of(db, response.json()["id"]) is State.RECEIVED  # waits for the next sweep


def test_rechecks_come_due_even_while_comments_keep_arriving(make_client, db):
    akismet = FakeAkismet("error")
    client = make_client(
        screen=True,
        http_client=akismet.http_client(),
        COMMENTS_AKISMET_RECHECK_MINUTES=0.005,  # 0.3 s
    )
    client.service.worker.sweep_seconds = 0.3
    first = client.post("/comments", json=form(body="Sent while Akismet was down")).json()["id"]
    wait_for(lambda: status_of(db, first) is State.HELD)
    akismet.verdict = "ham"

    def rechecked() -> bool:
        with Store(db) as store:
            return len(store.screenings.of(first)) >= 2

    deadline = time.monotonic() + 20
    number = 0
    while not rechecked() and time.monotonic() < deadline:
        number += 1
        client.post("/comments", json=form(body=f"Steady trickle {number}"))
        time.sleep(0.1)
    assert rechecked(), "the recheck never ran"
    with Store(db) as store:
        assert store.screenings.next_check_at(first) is None
        signals = {s.signal: s for s in store.screenings.latest(first).signals}
    assert signals["akismet"].retry is False
    retries = [c for c in akismet.sent("comment-check") if c.get("recheck_reason") == "retry"]
    assert any(c["comment_content"] == "Sent while Akismet was down" for c in retries)


def model_reason(db, comment_id: str) -> str:
    with Store(db) as store:
        return store.screenings.latest(comment_id).signal("model").reason


def test_the_worker_screens_with_a_model_retrained_meanwhile(make_client, db):
    """A retrain elsewhere (the review server, the CLI) counts from the next comment on,
    not after the worker's five-minute rebuild."""
    client = make_client(screen=True, http_client=FakeAkismet().http_client())
    first = client.post("/comments", json=form(body="Before the retrain.")).json()["id"]
    wait_for(lambda: status_of(db, first) is not State.RECEIVED)
    assert "learned from 0 decisions" in model_reason(db, first)
    with Store(db) as store:  # `moderation train` in another process
        examples = [
            (Comment("social-not-sales", f"R{n}", f"Example {n}."), label)
            for n, label in enumerate([Label.SPAM, Label.HAM] * 12)
        ]
        store.training.add_many(examples, source="test")
        retrain(store)
    second = client.post("/comments", json=form(body="After the retrain.")).json()["id"]
    wait_for(lambda: status_of(db, second) is not State.RECEIVED)
    assert "learned from 24 decisions" in model_reason(db, second)


def test_the_worker_closes_the_akismet_client_of_each_screener_it_replaces(
    make_client, db, monkeypatch
):
    import moderation.screening as screening
    from moderation.web import worker

    real, made = screening.akismet.make_http_client, []

    def recording(*args, **kwargs):  # the real client, kept to look at afterwards
        made.append(real(*args, **kwargs))
        return made[-1]

    for module in (screening, screening.akismet):  # wherever a screener makes it
        monkeypatch.setattr(module, "make_http_client", recording, raising=False)
    monkeypatch.setattr(worker, "REFRESH_SECONDS", 0.0)  # a new screener every turn
    with FakeAkismetServer() as server:
        monkeypatch.setenv("MODERATION_AKISMET_ENDPOINT", server.url)
        client = make_client(screen=True)  # no client given: each screener makes its own
        for number in range(3):
            posted = client.post("/comments", json=form(body=f"Comment {number}.")).json()
            wait_for(lambda id=posted["id"]: status_of(db, id) is not State.RECEIVED)
        assert len(made) >= 3
        assert all(made_client.is_closed for made_client in made[:-1])
        client.service.worker.stop()
    assert all(made_client.is_closed for made_client in made)
