"""Akismet through the real ``akismet`` client, emulated only at the HTTP boundary."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

import akismet
import httpx
import pytest

from moderation.models import Decision, Label, State
from moderation.screening import Screener, screen_and_record, screen_due
from moderation.screening import feedback as feedback_module
from moderation.screening.akismet import RebasedTransport, make_http_client
from moderation.screening.feedback import report_overrides
from tests.fakes.akismet import FakeAkismet, FakeAkismetServer

from .conftest import NOW

KEY = "test-key"
BLOG = "https://learning.example"


def client_for(fake: FakeAkismet) -> akismet.SyncClient:
    return akismet.SyncClient(config=akismet.Config(KEY, BLOG), http_client=fake.http_client())


def screener_for(settings, fake, store=None) -> Screener:
    return Screener(settings, store, akismet_client=client_for(fake), articles={})


def visitor(make_comment, body="Thanks, this matches what I saw in our study group.", **extra):
    fields = {
        "ip": "192.0.2.44",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        "referrer": "https://learning.example/2026/social-not-sales.html",
        "email": "reader@example.org",
        "author_url": "https://reader.example",
        "language": "sv",
    }
    fields.update(extra)
    return make_comment(body, **fields)


@pytest.mark.parametrize(
    ("verdict", "decision", "reason"),
    [
        ("ham", Decision.APPROVE, "Akismet: ham"),
        ("spam", Decision.SPAM, "Akismet: spam"),
        ("discard", Decision.SPAM, "Akismet: spam (discard)"),
    ],
)
def test_akismet_verdicts(settings, make_comment, verdict, decision, reason):
    fake = FakeAkismet(verdict)
    result = screener_for(settings, fake).screen_many([visitor(make_comment)])[0]
    assert result.decision is decision
    assert reason in result.reasons
    assert result.signal("akismet").reason == reason
    assert len(fake.sent("comment-check")) == 1


def test_akismet_is_sent_the_full_context(settings, make_comment, tmp_path):
    threads = [{"slug": "social-not-sales", "title": "Social", "url": "2026/social-not-sales.html"}]
    (tmp_path / "threads.json").write_text(json.dumps(threads), encoding="utf-8")
    fake = FakeAkismet("ham")
    comment = visitor(make_comment, reply_to="c-2026-11-21-77aa01")
    verdict = screener_for(settings, fake).screen_many([comment])[0]
    (sent,) = fake.sent("comment-check")
    expected = {
        "user_ip": "192.0.2.44",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
        "referrer": "https://learning.example/2026/social-not-sales.html",
        "permalink": "http://127.0.0.1:8000/2026/social-not-sales.html",
        "comment_type": "reply",
        "comment_author": comment.author,
        "comment_author_email": "reader@example.org",
        "comment_author_url": "https://reader.example",
        "comment_content": comment.body,
        "blog_lang": "sv",
        "blog_charset": "UTF-8",
        "comment_date_gmt": comment.received_at.isoformat(timespec="seconds"),
        "honeypot_field_name": "website",
    }
    assert sent == {"api_key": KEY, "blog": BLOG, **expected}
    assert verdict.signal("akismet").sent == expected


def test_permalink_falls_back_to_the_site_and_type_to_comment(settings, make_comment):
    fake = FakeAkismet("ham")
    screener_for(settings, fake).screen_many([make_comment("Hello", ip="192.0.2.1")])[0]
    (sent,) = fake.sent("comment-check")
    assert sent["permalink"] == "http://127.0.0.1:8000/"
    assert sent["comment_type"] == "comment"
    assert sent["blog_lang"] == "en"
    assert "recheck_reason" not in sent


def test_not_configured_leaves_the_other_signals_running(settings, make_comment):
    verdict = Screener(settings, None, articles={}).screen_many(
        [make_comment("Book a demo: https://bit.ly/x")]
    )[0]
    assert verdict.signal("akismet").score is None
    assert verdict.signal("akismet").reason == "Akismet: not configured"
    assert "URL shortener: bit.ly" in verdict.reasons
    assert "asks to be contacted: 'book a demo'" in verdict.reasons


def test_a_comment_without_ip_is_not_sent(settings, make_comment):
    fake = FakeAkismet("spam")
    verdict = screener_for(settings, fake).screen_many([make_comment("Hello")])[0]
    assert fake.requests == []
    assert verdict.signal("akismet").reason == "Akismet: not asked (no IP address to send)"
    assert verdict.signal("akismet").sent is None


@pytest.mark.parametrize(
    ("verdict", "words"),
    [("error", "HTTP 500"), ("timeout", "timed out"), ("garbage", "unexpected answer")],
)
def test_outage_holds_and_schedules_a_recheck(settings, store, make_comment, verdict, words):
    fake = FakeAkismet(verdict)
    comment = store.comments.add(visitor(make_comment))
    (state,) = screen_and_record(store, screener_for(settings, fake, store), [comment], now=NOW)
    assert state is State.HELD
    assert store.screenings.next_check_at(comment.id) == NOW + timedelta(minutes=20)
    assert store.screenings.first_failure_at(comment.id) == NOW
    record = store.screenings.latest(comment.id)
    assert f"Akismet unavailable ({words}); will recheck" in record.reasons
    assert store.screenings.due(NOW + timedelta(minutes=19)) == []
    assert [c.id for c in store.screenings.due(NOW + timedelta(minutes=20))] == [comment.id]


def test_recheck_says_retry_and_settles_the_comment(settings, store, make_comment):
    fake = FakeAkismet("error")
    comment = store.comments.add(visitor(make_comment))
    screener = screener_for(settings, fake, store)
    screen_and_record(store, screener, [comment], now=NOW)
    fake.verdict = "ham"
    report = screen_due(store, screener, now=NOW + timedelta(minutes=21))
    assert report.screened == 1 and report.outcomes["approved"] == 1
    first, recheck = fake.sent("comment-check")
    assert "recheck_reason" not in first
    assert recheck["recheck_reason"] == "retry"
    assert store.comments.get(comment.id).status is State.APPROVED
    assert store.screenings.next_check_at(comment.id) is None
    assert store.screenings.first_failure_at(comment.id) is None
    # The params kept for feedback are the check's own, without the recheck marker.
    assert "recheck_reason" not in store.screenings.latest(comment.id).signal("akismet").sent


def test_gives_up_after_fifteen_days_and_leaves_it_held(settings, store, make_comment):
    fake = FakeAkismet("error")
    comment = store.comments.add(visitor(make_comment))
    screener = screener_for(settings, fake, store)
    screen_and_record(store, screener, [comment], now=NOW)
    day14 = NOW + timedelta(days=14)
    assert screen_due(store, screener, now=day14).rechecks_scheduled == 1
    assert store.screenings.next_check_at(comment.id) == day14 + timedelta(minutes=20)
    day15 = NOW + timedelta(days=15, minutes=1)
    report = screen_due(store, screener, now=day15)
    assert report.gave_up == 1 and report.rechecks_scheduled == 0
    assert store.comments.get(comment.id).status is State.HELD
    assert store.screenings.next_check_at(comment.id) is None
    assert store.screenings.due(day15 + timedelta(days=30)) == []
    reasons = store.screenings.latest(comment.id).reasons
    assert any("stopped rechecking after 15 days; left held" in r for r in reasons)
    assert len(fake.sent("comment-check")) == 3


def test_invalid_key_holds_alerts_once_and_schedules_a_recheck(
    settings, store, make_comment, caplog
):
    fake = FakeAkismet("invalid")
    comments = store.comments.add_many(
        [visitor(make_comment), visitor(make_comment, body="Second")]
    )
    with caplog.at_level(logging.ERROR, logger="moderation.screening.akismet"):
        states = screen_and_record(store, screener_for(settings, fake, store), comments, now=NOW)
    assert states == [State.HELD, State.HELD]
    for comment in comments:
        # Once the owner fixes the key, these get Akismet's verdict after all.
        assert store.screenings.next_check_at(comment.id) == NOW + timedelta(minutes=20)
        assert store.screenings.first_failure_at(comment.id) == NOW
        reasons = store.screenings.latest(comment.id).reasons
        assert (
            "Akismet: invalid API key or blog URL (configuration alert); held, will recheck"
            in reasons
        )
    alerts = [r for r in caplog.records if "configuration alert" in r.getMessage()]
    assert len(alerts) == 1
    assert {c.id for c in store.screenings.due(NOW + timedelta(minutes=21))} == {
        c.id for c in comments
    }


def test_spam_decided_anyway_needs_no_recheck(settings, store, make_comment):
    strict = settings.with_overrides(COMMENTS_MODERATION={"disallowed_keys": ["casino"]})
    fake = FakeAkismet("error")
    comment = store.comments.add(visitor(make_comment, body="casino night"))
    (state,) = screen_and_record(store, screener_for(strict, fake, store), [comment], now=NOW)
    assert state is State.SPAM
    assert store.screenings.next_check_at(comment.id) is None


def test_after_one_failure_the_rest_of_the_batch_is_not_sent(settings, make_comment):
    one_at_a_time = settings.with_overrides(COMMENTS_AKISMET_CONCURRENCY=1)
    fake = FakeAkismet("timeout")
    comments = [visitor(make_comment, body=f"Comment {n}") for n in range(5)]
    verdicts = screener_for(one_at_a_time, fake).screen_many(comments)
    assert len(fake.requests) == 1
    assert all(v.retry and v.decision is Decision.HOLD for v in verdicts)
    assert "not asked after an earlier failure" in verdicts[-1].signal("akismet").reason


def test_checks_run_concurrently_within_the_bound(settings, make_comment):
    bounded = settings.with_overrides(COMMENTS_AKISMET_CONCURRENCY=4)
    fake = FakeAkismet("ham", delay=0.2)
    comments = [visitor(make_comment, body=f"Comment {n}") for n in range(12)]
    started = time.perf_counter()
    verdicts = screener_for(bounded, fake).screen_many(comments)
    elapsed = time.perf_counter() - started
    assert [v.decision for v in verdicts] == [Decision.APPROVE] * 12
    assert fake.max_in_flight == 4
    assert 0.6 <= elapsed < 2.0  # three rounds of four, not twelve in a row


def test_progress_is_reported(settings, make_comment):
    seen = []
    comments = [visitor(make_comment, body=f"Comment {n}") for n in range(3)]
    screener_for(settings, FakeAkismet("ham")).screen_many(
        comments, progress=lambda done, total: seen.append((done, total))
    )
    assert seen[-1] == (3, 3)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


# -- configuration from the environment, and a real socket ---------------------------


def test_from_settings_uses_the_environment_and_a_real_server(
    settings, store, make_comment, monkeypatch
):
    fake = FakeAkismet("discard")
    with FakeAkismetServer(fake) as server:
        monkeypatch.setenv("PYTHON_AKISMET_API_KEY", KEY)
        monkeypatch.delenv("PYTHON_AKISMET_BLOG_URL", raising=False)
        monkeypatch.setenv("MODERATION_AKISMET_ENDPOINT", server.url)
        screener = Screener.from_settings(settings, store, articles={})
        verdict = screener.screen_many([visitor(make_comment)])[0]
    assert verdict.decision is Decision.SPAM
    assert "Akismet: spam (discard)" in verdict.reasons
    (sent,) = fake.sent("comment-check")
    assert sent["blog"] == "http://127.0.0.1:8000"  # COMMENTS_SITE_URL
    assert sent["api_key"] == KEY


def test_blog_url_variable_wins_over_the_site_url(settings, make_comment, monkeypatch):
    fake = FakeAkismet("ham")
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", BLOG)
    screener = Screener.from_settings(settings, None, http_client=fake.http_client(), articles={})
    screener.screen_many([visitor(make_comment)])[0]
    assert fake.sent("comment-check")[0]["blog"] == BLOG


def test_without_a_key_from_settings_makes_no_client(settings, monkeypatch):
    monkeypatch.delenv("PYTHON_AKISMET_API_KEY", raising=False)
    assert Screener.from_settings(settings, None, articles={}).signals[0].client is None


def test_a_stalled_server_costs_one_timeout(settings, make_comment, monkeypatch):
    fake = FakeAkismet("timeout")
    with FakeAkismetServer(fake, stall=5.0) as server:
        monkeypatch.setenv("PYTHON_AKISMET_TIMEOUT", "0.3")
        http = make_http_client(
            {"PYTHON_AKISMET_TIMEOUT": "0.3", "MODERATION_AKISMET_ENDPOINT": server.url}
        )
        client = akismet.SyncClient(config=akismet.Config(KEY, BLOG), http_client=http)
        screener = Screener(
            settings.with_overrides(COMMENTS_AKISMET_CONCURRENCY=2),
            None,
            akismet_client=client,
            articles={},
        )
        comments = [visitor(make_comment, body=f"Comment {n}") for n in range(20)]
        started = time.perf_counter()
        verdicts = screener.screen_many(comments)
        elapsed = time.perf_counter() - started
    assert elapsed < 2.0
    assert all(v.retry for v in verdicts)
    assert "timed out" in verdicts[0].signal("akismet").reason


def test_rebased_transport_sends_the_api_to_another_base_url():
    fake = FakeAkismet("ham")
    urls = []

    def recording(request: httpx.Request) -> httpx.Response:
        urls.append((str(request.url), request.headers["Host"]))
        return fake.handler(request)

    transport = RebasedTransport("http://127.0.0.1:9/prefix", httpx.MockTransport(recording))
    client = akismet.SyncClient(
        config=akismet.Config(KEY, BLOG), http_client=httpx.Client(transport=transport)
    )
    assert client.verify_key()
    assert urls == [("http://127.0.0.1:9/prefix/1.1/verify-key", "127.0.0.1:9")]


# -- feedback when a moderator overturns a verdict ------------------------------------


def screened(settings, store, make_comment, verdict):
    fake = FakeAkismet(verdict)
    comment = store.comments.add(visitor(make_comment))
    screen_and_record(store, screener_for(settings, fake, store), [comment], now=NOW)
    return comment, fake.sent("comment-check")[0]


def report(settings, store, comment_id, label, fake):
    """Report one decision; the one line it produced (sent or failed), or None."""
    result = report_overrides(
        settings, store, [(comment_id, label)], http_client=fake.http_client()
    )
    lines = result.sent + result.failed
    assert len(lines) <= 1
    return lines[0] if lines else None


def test_moderator_marking_missed_spam_submits_spam_with_the_original_params(
    settings, store, make_comment, monkeypatch
):
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", BLOG)
    comment, checked = screened(settings, store, make_comment, "ham")
    store.decisions.moderate(comment.id, "promo")
    feedback = FakeAkismet()
    message = report(settings, store, comment.id, Label.PROMO, feedback)
    assert message == f"Akismet: reported {comment.id} as spam"
    assert feedback.sent("submit-spam") == [checked]
    assert feedback.sent("submit-ham") == []


def test_moderator_approving_akismet_spam_submits_ham(settings, store, make_comment, monkeypatch):
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", BLOG)
    comment, checked = screened(settings, store, make_comment, "spam")
    store.decisions.moderate(comment.id, "approve")
    feedback = FakeAkismet()
    message = report(settings, store, comment.id, "ham", feedback)
    assert message == f"Akismet: reported {comment.id} as ham"
    assert feedback.sent("submit-ham") == [checked]


def test_agreeing_with_akismet_sends_nothing(settings, store, make_comment, monkeypatch):
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", KEY)
    comment, _checked = screened(settings, store, make_comment, "spam")
    feedback = FakeAkismet()
    assert report(settings, store, comment.id, Label.SPAM, feedback) is None
    assert feedback.requests == []


def test_no_feedback_without_configuration_or_screening(settings, store, make_comment, monkeypatch):
    comment, _checked = screened(settings, store, make_comment, "ham")
    monkeypatch.delenv("PYTHON_AKISMET_API_KEY", raising=False)
    feedback = FakeAkismet()
    assert report(settings, store, comment.id, "spam", feedback) is None
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", KEY)
    unscreened = store.comments.add(visitor(make_comment))
    assert report(settings, store, unscreened.id, "spam", feedback) is None
    assert feedback.requests == []


def test_feedback_failure_is_a_message_not_a_crash(settings, store, make_comment, monkeypatch):
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", KEY)
    comment, _checked = screened(settings, store, make_comment, "ham")
    message = report(settings, store, comment.id, "spam", FakeAkismet("error"))
    assert message.startswith(f"Akismet: could not report {comment.id} as spam")


def test_bulk_feedback_to_a_hanging_akismet_stops_early(settings, store, make_comment, monkeypatch):
    """A hundred overturned verdicts while Akismet hangs: a few short timeouts, then
    the rest are not even tried; the moderator waits seconds, not minutes."""
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", KEY)
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", BLOG)
    monkeypatch.setattr(feedback_module, "FEEDBACK_TIMEOUT", 0.5)
    comments = store.comments.add_many(
        [visitor(make_comment, body=f"Pitch {n}") for n in range(100)]
    )
    screen_and_record(store, screener_for(settings, FakeAkismet("ham"), store), comments, now=NOW)
    with FakeAkismetServer(FakeAkismet("timeout"), stall=3) as server:
        monkeypatch.setenv("MODERATION_AKISMET_ENDPOINT", server.url)
        started = time.monotonic()
        result = report_overrides(settings, store, [(c.id, Label.SPAM) for c in comments])
        elapsed = time.monotonic() - started
    assert result.sent == [] and len(result.failed) == 100
    assert elapsed < 5, elapsed
    # Tried: at most one round of requests in flight; the rest were never sent. (The
    # server may have seen fewer: on a loaded machine a connection can time out first.)
    tried = [line for line in result.failed if "Akismet is not answering" not in line]
    assert 1 <= len(tried) <= feedback_module.FEEDBACK_CONCURRENCY
    assert len(server.fake.sent("submit-spam")) <= len(tried)


def test_feedback_closes_the_client_it_made_even_when_akismet_is_not_configured(
    settings, store, make_comment, monkeypatch
):
    comment, _checked = screened(settings, store, make_comment, "ham")
    monkeypatch.delenv("PYTHON_AKISMET_API_KEY", raising=False)
    real, made = feedback_module.make_http_client, []

    def recording(**options):  # the real client, kept to look at afterwards
        made.append(real(**options))
        return made[-1]

    monkeypatch.setattr(feedback_module, "make_http_client", recording)
    result = report_overrides(settings, store, [(comment.id, Label.SPAM)])
    assert result.sent == result.failed == []
    assert len(made) == 1 and made[0].is_closed
