"""Screening stored comments end to end (Akismet not configured): states, records, report."""

from __future__ import annotations

from moderation.models import Decision, State
from moderation.screening import Screener, screen_due

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
    from moderation.screening import screen_and_record

    (state,) = screen_and_record(store, screener, [store.comments.get(comment.id)], now=NOW)
    assert state is State.APPROVED
    assert store.screenings.latest(comment.id).decision is Decision.SPAM
