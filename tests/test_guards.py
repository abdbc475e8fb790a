"""Tests that guard the guards: each protection is exercised directly, so removing it
fails a test (an outside audit removed them one at a time and some went unnoticed)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup

from comment_format.render import LINK_REL, sanitise
from moderation.models import Comment, State
from moderation.screening import Screener, screen_and_record
from moderation.settings import load_settings
from moderation.store import Store

from .test_architecture import ROOT


def test_the_decision_log_refuses_any_update(tmp_path):
    with Store(tmp_path / "m.db") as store:
        comment = store.comments.add(Comment("a", "Ann", "Hello."))
        store.decisions.moderate(comment.id, "approve")
    raw = sqlite3.connect(tmp_path / "m.db")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE decisions SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        raw.execute("UPDATE decisions SET to_state = 'spam' WHERE to_state = 'approved'")
    raw.close()
    with Store(tmp_path / "m.db") as store:
        assert [e.actor for e in store.decisions.of(comment.id)] == ["intake", "moderator"]


HOSTILE_HTML = (
    '<p onclick="alert(1)" style="color:red">text</p>'
    '<a href="https://example.org/" onmouseover="alert(2)" target="_blank">link</a>'
    '<a href="javascript:alert(3)">js</a>'
    "<img src=x onerror=alert(4)>"
    "<script>alert(5)</script>"
    '<svg onload="alert(6)"></svg>'
    '<code onfocus="alert(7)" autofocus>x</code>'
)


def test_the_allowlist_itself_strips_handlers_and_tags_when_handed_raw_html():
    """Markdown escapes raw HTML before nh3 sees it, so the XSS corpus never reaches the
    allowlist as HTML: this hands it HTML directly."""
    clean = sanitise(HOSTILE_HTML)
    soup = BeautifulSoup(clean, "html.parser")
    for element in soup.find_all(True):
        assert element.name in {"p", "a", "code"}, clean
        assert not any(name.lower().startswith("on") for name in element.attrs), clean
        assert "style" not in element.attrs and "autofocus" not in element.attrs, clean
    links = soup.find_all("a")
    assert [a.get("href") for a in links] == ["https://example.org/", None]
    assert all(a["rel"] == LINK_REL.split() for a in links)
    assert "alert(5)" not in clean and "<script" not in clean


def test_a_flood_from_one_address_is_held_not_just_explained(tmp_path):
    settings = load_settings(ROOT / "pelicanconf.py", environ={})
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    with Store(tmp_path / "m.db") as store:
        first, second = store.comments.add_many(
            [
                Comment("a", "Ann", "A calm first remark.", ip="203.0.113.9", received_at=now),
                Comment(
                    "a",
                    "Ann",
                    "And a calm second remark.",
                    ip="203.0.113.9",
                    received_at=now + timedelta(seconds=5),
                ),
            ]
        )
        states = screen_and_record(store, Screener(settings, store, articles={}), [first, second])
        assert states == [State.APPROVED, State.HELD]
        assert any(r.startswith("flood:") for r in store.screenings.latest(second.id).reasons)
