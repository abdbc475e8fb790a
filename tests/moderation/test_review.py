"""Moderator decisions: validation first, Akismet feedback, one model update per call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest

from moderation.errors import InvalidTransition, UnknownComment
from moderation.models import Decision, Label, SignalResult, State, Verdict
from moderation.review import moderate, select_comments
from moderation.screening.learned import labelled_examples
from tests.moderation.conftest import add


def test_reject_and_restore(store, settings):
    comment = add(store)
    report = moderate(store, settings, [comment.id], "reject", actor="mara", note="off topic")
    assert [(e.from_state, e.to_state) for e in report.changed] == [(State.HELD, State.REJECTED)]
    assert report.training is None  # no label, nothing to learn
    moderate(store, settings, [comment.id], "restore", actor="mara", note=None)
    assert store.comments.get(comment.id).status is State.HELD
    log = store.decisions.of(comment.id)
    assert [(e.actor, e.to_state, e.note) for e in log[1:]] == [
        ("mara", State.REJECTED, "off topic"),
        ("mara", State.HELD, None),
    ]


def test_an_unknown_id_changes_nothing(store, settings):
    first, second = add(store), add(store, body="Another.")
    with pytest.raises(UnknownComment, match="c-nope"):
        moderate(store, settings, [first.id, "c-nope", second.id], "reject", actor="m", note=None)
    assert {c.status for c in store.comments.list()} == {State.HELD}
    assert all(len(store.decisions.of(c.id)) == 1 for c in (first, second))


def test_a_forbidden_move_changes_nothing(store, settings):
    held = add(store)
    approved = add(store, body="Published already.", status=State.APPROVED)
    with pytest.raises(InvalidTransition, match=f"cannot restore comment {approved.id}"):
        moderate(store, settings, [held.id, approved.id], "restore", actor="m", note=None)
    assert store.comments.get(held.id).status is State.HELD


def test_repeating_a_decision_is_a_no_op(store, settings):
    comment = add(store, status=State.REJECTED)
    report = moderate(store, settings, [comment.id, comment.id], "reject", actor="m", note=None)
    assert report.changed == []
    assert report.unchanged == [(comment.id, "already rejected")]


def test_select_held_filters(store, settings):
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    old = add(store, received_at=now - timedelta(days=10))
    new = add(store, body="Recent.", received_at=now - timedelta(hours=1))
    other = add(store, body="Elsewhere.", article="second-thoughts", received_at=now)
    add(store, body="Not held.", status=State.SPAM)

    def held(**filters):
        return [c.id for c in select_comments(store, State.HELD, **filters)]

    assert held() == [old.id, new.id, other.id]
    assert held(article="second-thoughts") == [other.id]
    assert held(older_than=timedelta(days=2), now=now) == [old.id]
    store.screenings.record(
        new.id,
        Verdict(Decision.HOLD, 0.5, ("2 links",), ()),
        next_check_at=None,
        version=new.version,
    )
    assert held(reason="links") == [new.id]


def test_a_page_of_comments_and_the_count_use_the_same_filters(store):
    """What the review queue pages with: LIMIT/OFFSET plus a count, never the full list."""
    base = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    held = [
        add(store, body=f"Remark {n}.", received_at=base + timedelta(minutes=n)) for n in range(7)
    ]
    add(store, body="Elsewhere.", article="second-thoughts", received_at=base)
    add(store, body="Spam.", status=State.SPAM, received_at=base)
    article = {"status": State.HELD, "article": "first-steps"}

    assert store.comments.count(**article) == 7
    assert store.comments.count() == 9
    pages = [store.comments.list(**article, limit=3, offset=start) for start in (0, 3, 6, 9)]
    assert [[c.id for c in page] for page in pages] == [
        [c.id for c in held[0:3]],
        [c.id for c in held[3:6]],
        [held[6].id],
        [],
    ]
    assert [c.id for c in store.comments.list(**article, offset=5)] == [c.id for c in held[5:]]


class FakeAkismet:
    """The Akismet HTTP API at the transport boundary; remembers what it was sent."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, list[str]]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.calls.append((request.url.path, form))
        if request.url.path.endswith("/verify-key"):
            return httpx.Response(200, text="valid")
        if request.url.path.endswith("/comment-check"):
            return httpx.Response(200, text="false")
        return httpx.Response(200, text="Thanks for making the web a better place.")

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


def screened_as_spam(store, comment):
    params = {
        "user_ip": "203.0.113.7",
        "comment_content": comment.body,
        "comment_author": comment.author,
        "comment_type": "comment",
    }
    store.screenings.record(
        comment.id,
        Verdict(
            Decision.SPAM,
            0.97,
            ("Akismet says spam",),
            (SignalResult("akismet", 1.0, "Akismet says spam", Decision.SPAM, sent=params),),
        ),
        version=comment.version,
    )
    return params


@pytest.fixture
def akismet_configured(monkeypatch):
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", "test-key")
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", "http://127.0.0.1:8000")
    return FakeAkismet()


def test_approving_akismet_spam_reports_ham_and_retrains_once(store, settings, akismet_configured):
    fake = akismet_configured
    comments = [
        add(store, body=f"Real question number {n}?", status=State.RECEIVED) for n in (1, 2)
    ]
    originals = [screened_as_spam(store, c) for c in comments]
    assert store.comments.get(comments[0].id).status is State.SPAM

    report = moderate(
        store,
        settings,
        [c.id for c in comments],
        "approve",
        actor="mara",
        note=None,
        http_client=fake.client(),
    )
    assert [e.label for e in report.changed] == [Label.HAM, Label.HAM]
    submitted = [form for path, form in fake.calls if path.endswith("/submit-ham")]
    assert len(submitted) == 2 and len(report.feedback) == 2
    for form, original in zip(submitted, originals, strict=True):
        for key, value in original.items():
            assert form[key] == [value]
    assert not any(path.endswith("/submit-spam") for path, _ in fake.calls)
    assert report.training is not None
    assert store.trained.load("comments") is not None


def test_agreeing_with_screening_reports_nothing(store, settings, akismet_configured):
    fake = akismet_configured
    comment = add(store, status=State.RECEIVED)
    screened_as_spam(store, comment)
    moderate(store, settings, [comment.id], "spam", actor="m", note=None, http_client=fake.client())
    assert not any("submit" in path for path, _ in fake.calls)


def test_without_akismet_nothing_is_sent(store, settings):
    fake = FakeAkismet()
    comment = add(store, status=State.RECEIVED)
    screened_as_spam(store, comment)
    report = moderate(
        store, settings, [comment.id], "approve", actor="m", note=None, http_client=fake.client()
    )
    assert fake.calls == [] and report.feedback == []
    assert store.comments.get(comment.id).status is State.APPROVED


def test_promo_labels_a_spam_comment_for_the_model(store, settings):
    comment = add(store, status=State.SPAM)
    report = moderate(store, settings, [comment.id], "promo", actor="m", note=None)
    assert [e.label for e in report.changed] == [Label.PROMO]
    assert labelled_examples(store)[-1][1] is Label.PROMO
