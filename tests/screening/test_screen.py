"""Screening stored comments end to end (Akismet not configured): states, records, report."""

from __future__ import annotations

from moderation.models import Comment, Decision, SignalResult, State
from moderation.screening import (
    SCREEN_AGAIN_ROUNDS,
    Screener,
    default_signals,
    screen_and_record,
    screen_due,
)
from moderation.store import Store
from moderation.store.screenings import STALE_NOTE

from .conftest import NOW


def test_screen_due_moves_each_comment_and_keeps_every_signal(settings, store, make_comment):
    kind = store.comments.add(make_comment("Our mentoring circle found the same thing."))
    pitch = store.comments.add(
        make_comment(
            "Great post! Our agency offers growth packages from $99, book a demo: "
            "https://bit.ly/grow https://tinyurl.com/more"
        )
    )
    bot = store.comments.add(make_comment("Nice.", intake_flags=("honeypot",)))
    slow = store.comments.add(
        make_comment(
            "Hello", intake_flags=("time trap: submitted 1.2 s after the form was served",)
        )
    )
    screener = Screener(settings, store, articles={})
    seen = []
    report = screen_due(store, screener, now=NOW, progress=lambda d, t: seen.append((d, t)))
    assert report.screened == 4
    assert report.outcomes == {
        "received": 0,
        "approved": 1,
        "held": 1,
        "spam": 2,
        "rejected": 0,
    }
    assert str(report) == "screened 4: 1 approved, 1 held, 2 spam"
    assert seen[-1] == (4, 4)
    assert store.comments.get(kind.id).status is State.APPROVED
    assert store.comments.get(pitch.id).status is State.SPAM
    assert store.comments.get(bot.id).status is State.SPAM
    assert store.comments.get(slow.id).status is State.HELD
    record = store.screenings.latest(pitch.id)
    assert record.decision is Decision.SPAM
    assert {s.signal for s in record.signals} == {
        "akismet",
        "intake",
        "rules",
        "blocklist",
        "commercial",
        "promotion",
        "relevance",
        "genuine",
        "model",
    }
    assert "2 links (limit 2)" in record.reasons
    assert "price: $99" in record.reasons
    assert "honeypot field filled in" in store.screenings.latest(bot.id).reasons
    # The decision log says who moved them and why.
    moved = store.decisions.of(pitch.id)[-1]
    assert moved.actor == "screening" and "book a demo" in moved.note
    assert store.screenings.due(NOW) == []


def test_a_moderator_decision_is_not_overridden_by_a_late_screening(settings, store, make_comment):
    comment = store.comments.add(make_comment("Book a demo now https://bit.ly/x https://t.co/y"))
    store.decisions.moderate(comment.id, "approve")
    screener = Screener(settings, store, articles={})
    (state,) = screen_and_record(store, screener, [store.comments.get(comment.id)], now=NOW)
    assert state is State.APPROVED
    assert store.screenings.latest(comment.id).decision is Decision.SPAM


SCAM = "HP printer support number, call toll free +1 888 555 0147, 24/7 customer service"


class AuthorEditsMeanwhile:
    """Stands in for Akismet's round trip, during which the author saves a new text
    (from another connection, as the intake's request thread would)."""

    name = "akismet"

    def __init__(self, db, comment_id: str, edits: list[str]) -> None:
        self.db, self.comment_id, self.edits = db, comment_id, list(edits)
        self.judged: list[str] = []

    def check_many(self, comments, context):
        self.judged += [c.body for c in comments]
        if self.edits:
            with Store(self.db) as author:
                author.revisions.edit(
                    self.comment_id, author="Bob", author_url=None, body=self.edits.pop(0)
                )
        return [SignalResult("akismet", None, "Akismet: not asked") for _ in comments]


def screener_with(settings, store, signal) -> Screener:
    return Screener(
        settings, store, articles={}, signals=[signal, *default_signals(settings, store)[1:]]
    )


def test_a_verdict_on_a_text_edited_meanwhile_decides_nothing_and_the_new_text_is_screened(
    settings, store, make_comment, tmp_path
):
    kind = "Thanks, the part about WAL mode helped me."
    comment = store.comments.add(make_comment(kind, author="Bob"))
    signal = AuthorEditsMeanwhile(tmp_path / "moderation.db", comment.id, [SCAM])
    report = screen_due(store, screener_with(settings, store, signal), now=NOW)
    assert signal.judged == [kind, SCAM]
    assert store.comments.get(comment.id).status is State.SPAM
    first, second = store.screenings.of(comment.id)
    assert first.decision is Decision.APPROVE and first.reasons[-1] == STALE_NOTE
    assert second.decision is Decision.SPAM and STALE_NOTE not in second.reasons
    moves = [(d.actor, d.to_state) for d in store.decisions.of(comment.id)]
    assert moves == [
        ("intake", State.RECEIVED),
        ("author", State.RECEIVED),
        ("screening", State.SPAM),
    ]
    assert (report.screened, report.changed_meanwhile) == (1, 1)
    assert str(report) == "screened 1: 1 spam; 1 changed while screened, screened again"


def test_a_text_that_keeps_changing_waits_received_for_the_next_sweep(
    settings, store, make_comment, tmp_path
):
    comment = store.comments.add(make_comment("First.", author="Bob"))
    edits = [f"Version {n}." for n in range(2, 2 + SCREEN_AGAIN_ROUNDS + 1)]
    signal = AuthorEditsMeanwhile(tmp_path / "moderation.db", comment.id, edits)
    (state,) = screen_and_record(store, screener_with(settings, store, signal), [comment], now=NOW)
    assert state is State.RECEIVED
    assert len(signal.judged) == 1 + SCREEN_AGAIN_ROUNDS
    assert all(run.reasons[-1] == STALE_NOTE for run in store.screenings.of(comment.id))
    assert [c.id for c in store.screenings.due(NOW)] == [comment.id]
    screen_due(store, screener_with(settings, store, signal), now=NOW)  # no more edits
    assert store.comments.get(comment.id).status is State.APPROVED


def test_a_batch_works_out_each_texts_links_and_code_once(settings, monkeypatch):
    """The signals share what they find out about a text for the whole batch, however
    much larger the batch is than the small caches of single calls."""
    from moderation.screening import Screener, text

    counted = {"links": 0, "code": 0}
    find_links, split_code = text._find_links.__wrapped__, text._split_code_cached.__wrapped__

    def counting(kind, work):
        def run(body):
            counted[kind] += 1
            return work(body)

        return run

    monkeypatch.setattr(text, "_find_links", counting("links", find_links))
    monkeypatch.setattr(text, "_split_code_cached", counting("code", split_code))
    bodies = [f"Comment {n}: see example{n}.com and `code {n}` for more." for n in range(1500)]
    screener = Screener(settings, None, articles={})
    verdicts = screener.screen_many([Comment("a", "Reader", body) for body in bodies])
    assert len(verdicts) == len(bodies)
    assert counted == {"links": len(bodies), "code": len(bodies)}
    # Outside a batch nothing is kept for it.
    assert text._BATCH.get() is None
