"""moderation.intake without HTTP: tokens, addresses, rate limits, the thread index, storing."""

from __future__ import annotations

import json

import pytest

from moderation.errors import SettingsError, StoreError
from moderation.intake import (
    FLAG_TOKEN_EXPIRED,
    FLAG_TOKEN_INVALID,
    FLAG_TOKEN_MISSING,
    DuplicateComment,
    FormTokens,
    RateLimiter,
    SiteNotBuilt,
    Submission,
    ThreadIndex,
    UnknownParent,
    accept,
    accept_many,
    client_ip,
    first_language,
    origin_of,
    parse_networks,
    rate_limit_key,
)
from moderation.models import Comment, State
from moderation.store import Store

from .helpers import THREADS, write_threads

LOOPBACK = parse_networks(["127.0.0.1", "::1"])


def test_tokens_measure_the_time_since_the_form_was_served():
    tokens = FormTokens(b"k" * 32, min_seconds=3.0, max_age=3600)
    token = tokens.mint(now=1000.0)
    assert tokens.check(token, now=1004.0) is None
    assert tokens.check(token, now=1001.25) == (
        "time trap: submitted 1.2 s after the form was served"
    )
    assert tokens.check(token, now=1000.0 + 3601) == FLAG_TOKEN_EXPIRED
    assert tokens.check(token, now=900.0) == FLAG_TOKEN_INVALID  # minted in the future
    assert tokens.check("", now=1004.0) == FLAG_TOKEN_MISSING
    assert tokens.check(None) == FLAG_TOKEN_MISSING
    other_key = FormTokens(b"x" * 32)
    assert other_key.check(token, now=1004.0) == FLAG_TOKEN_INVALID
    tampered = token.replace(token.split(".")[0], "999000", 1)
    assert tokens.check(tampered, now=1004.0) == FLAG_TOKEN_INVALID
    assert tokens.check("\ud800", now=1004.0) == FLAG_TOKEN_INVALID
    assert tokens.mint(now=1000.0) != token  # a nonce: no two tokens alike


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "1.1.1.1,203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "203.0.113.9, ::1, 127.0.0.1", "203.0.113.9"),
        ("127.0.0.1", "127.0.0.1", "127.0.0.1"),
        ("127.0.0.1", "203.0.113.9:4711", "203.0.113.9"),
        ("127.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
        ("127.0.0.1", "garbage, 203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "203.0.113.9, garbage", "127.0.0.1"),
        ("192.0.2.1", "203.0.113.9", "192.0.2.1"),
        ("::ffff:192.0.2.1", None, "192.0.2.1"),
        ("testclient", None, "testclient"),
        (None, "203.0.113.9", None),
    ],
)
def test_client_ip(peer, forwarded, expected):
    assert client_ip(peer, forwarded, LOOPBACK) == expected


def test_trusted_proxies_must_be_addresses():
    with pytest.raises(SettingsError, match="not-an-ip"):
        parse_networks(["not-an-ip"])


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.8", "en-GB"),
        ("sv", "sv"),
        ("  de-CH ; q=1 , de", "de-CH"),
        ("*", None),
        ("", None),
        (None, None),
        ("<script>", None),
    ],
)
def test_first_language(header, expected):
    assert first_language(header) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8000/2026/a.html", "http://127.0.0.1:8000"),
        ("HTTPS://Blog.Example:443/x", "https://blog.example"),
        ("http://blog.example:80", "http://blog.example"),
        ("https://user@blog.example/", "https://blog.example"),
        ("/relative/path", None),
        ("null", None),
    ],
)
def test_origin_of(url, expected):
    assert origin_of(url) == expected


def test_rate_limiter_slides_a_one_minute_window():
    limiter = RateLimiter(2)
    assert limiter.hit("a", now=0.0) is None
    assert limiter.hit("a", now=10.0) is None
    assert limiter.hit("a", now=20.0) == 40  # the first hit leaves the window at 60
    assert limiter.hit("b", now=20.0) is None
    assert limiter.hit("a", now=60.5) is None
    assert RateLimiter(0).hit("a") is None


def test_ipv6_readers_are_counted_per_64():
    assert rate_limit_key("2001:db8:1:2::1") == rate_limit_key("2001:db8:1:2:ffff::9")
    assert rate_limit_key("2001:db8:1:2::1") != rate_limit_key("2001:db8:1:3::1")
    assert rate_limit_key("192.0.2.1") == "192.0.2.1"


def test_thread_index_keeps_the_last_good_version_of_a_broken_file(tmp_path):
    index = ThreadIndex(tmp_path / "output" / "comments" / "threads.json", check_interval=0)
    with pytest.raises(SiteNotBuilt, match="has not been built yet"):
        index.threads()
    path = write_threads(tmp_path, THREADS)
    assert index.thread_for("social-not-sales").open
    path.write_text('[{"slug": "half-writ', encoding="utf-8")
    assert "social-not-sales" in index.threads()
    path.write_text(json.dumps([{"slug": "only-one", "open": True}]), encoding="utf-8")
    assert list(index.threads()) == ["only-one"]


def test_thread_index_refuses_a_first_file_that_cannot_be_read(tmp_path):
    path = tmp_path / "threads.json"
    path.write_text("not json", encoding="utf-8")
    with pytest.raises(SiteNotBuilt, match="cannot be read"):
        ThreadIndex(path).threads()


def test_accept_many_stores_a_batch_and_refuses_duplicates_within_it(tmp_path):
    with Store(tmp_path / "m.db") as store:
        first = Comment("a", "Ann", "Same words")
        results = accept_many(
            store,
            [
                Submission(first),
                Submission(Comment("a", "ANN ", "Same   words")),  # same content hash
                Submission(Comment("a", "Bo", "Bot text"), honeypot=True),
                Submission(Comment("a", "Cy", "Reply", reply_to="c-1"), published_ids=frozenset()),
                Submission(Comment("a", "Di", "Reply"), published_ids=frozenset()),
            ],
        )
        assert isinstance(results[0], Comment) and results[0].status is State.RECEIVED
        assert isinstance(results[1], DuplicateComment)
        assert results[2].status is State.SPAM and results[2].intake_flags == ("honeypot",)
        assert isinstance(results[3], UnknownParent) and results[3].field == "reply_to"
        assert results[4].status is State.RECEIVED
        assert store.comments.counts()["received"] == 2 and store.comments.counts()["spam"] == 1
        with pytest.raises(DuplicateComment):  # sent again later: a new submission
            accept(store, Submission(Comment("a", "Ann", "Same words")))


def test_a_batch_is_stored_in_one_transaction_all_or_nothing(tmp_path):
    with Store(tmp_path / "m.db") as store:
        existing = store.comments.add(Comment("a", "Old", "Already here"))
        # The honeypot catch reuses an existing id, so its insert fails after the
        # received comment of the same batch was written: nothing may be kept.
        batch = [
            Submission(Comment("a", "Ann", "A fine comment")),
            Submission(Comment("a", "Bot", "Bot text", id=existing.id), honeypot=True),
        ]
        with pytest.raises(StoreError, match="cannot store comment"):
            accept_many(store, batch)
        assert store.comments.counts()["received"] == 1 and store.comments.counts()["spam"] == 0
        assert [c.id for c in store.comments.list()] == [existing.id]
        # The store is usable afterwards, its transaction methods intact.
        assert accept(store, batch[0]).status is State.RECEIVED
        assert store.comments.counts()["received"] == 2


def test_a_submission_already_stored_is_returned_not_refused_as_its_own_duplicate(tmp_path):
    with Store(tmp_path / "m.db") as store:
        submission = Submission(Comment("a", "Ann", "Said once", ip="192.0.2.7"))
        trapped = Submission(Comment("a", "Bot", "Bot words"), honeypot=True)
        first = accept_many(store, [submission, trapped])
        # A retry of the same submissions (the writer after an unclear failure).
        again = accept_many(store, [submission, trapped])
        assert [c.id for c in again] == [c.id for c in first]
        assert [c.status for c in again] == [State.RECEIVED, State.SPAM]
        assert store.comments.counts()["received"] == 1 and store.comments.counts()["spam"] == 1
        # The same words sent again by the reader are still a duplicate.
        with pytest.raises(DuplicateComment) as refused:
            accept(store, Submission(Comment("a", "Ann", "Said once", ip="192.0.2.7")))
        assert refused.value.duplicate_of == first[0].id
