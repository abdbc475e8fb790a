"""Generated hostile comments, through the whole pipeline: intake → screening → publish → build.

Hypothesis writes nested quotes and lists, bracket and link soups, emphasis runs and
Unicode edge cases (noncharacters, direction marks, invisible letters), some up to
the size limit. Whatever the intake accepts is screened, approved, published and
built with the real plugin in strict mode: the build never fails, and every step
stays within its time budget. Whatever it refuses gets a 400 naming the field.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pelican import Pelican
from pelican.settings import read_settings

from comment_format.text import MAX_BODY
from moderation.models import State
from moderation.publish import publish
from moderation.screening import Screener, screen_due
from moderation.store import Store
from moderation.web import create_app
from tests.intake.helpers import AppClient, make_settings, write_site
from tests.plugin.conftest import THEME, comments_plugin

#: Per step, generous for a shared machine: the targets themselves are benchmarked.
ANSWER_BUDGET = 2.0
SCREEN_BUDGET = 0.5  # per comment

PIECES = [
    "> ", ">", "- ", "* ", "1. ", "   ", "\n", "\n\n", "[", "]", "(", ")", "![", "](", "<",
    ">", "&", "&#", ";", "`", "```", "*", "**", "_", "__", "\\", "http://", "https://x.example/",
    "www.", "a", "word ", "é", "\u202e", "\u2066", "\u200b", "\u3164", "\ufdd0", "\ufffe",
    "\U0001f600", "\u0301", "|", "#", "---", "1", ".", "@", ":",
]  # fmt: skip

piece = st.sampled_from(PIECES)
soup = st.lists(piece, min_size=1, max_size=200).map("".join)
repeated = st.tuples(
    st.lists(piece, min_size=1, max_size=6).map("".join), st.integers(1, 4000)
).map(lambda pair: (pair[0] * pair[1])[:MAX_BODY])
nested = st.tuples(
    st.lists(st.sampled_from(["> ", "- ", "1. ", "  "]), min_size=1, max_size=40),
    st.text(min_size=1, max_size=40),
).map(lambda pair: "".join(pair[0]) + pair[1])
printable = st.characters(exclude_categories=("Cs",))
unicode_text = st.text(alphabet=printable, min_size=1, max_size=300)
body = st.one_of(soup, repeated, nested, unicode_text)
name = st.one_of(st.just("Reader"), st.text(alphabet=printable, min_size=1, max_size=30))


def _site(root: Path) -> Path:
    write_site(root)
    articles = root / "content" / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    (articles / "post.md").write_text(
        "Title: Social, not sales\nDate: 2026-01-10 10:00+00:00\nSlug: social-not-sales\n\nText.\n",
        encoding="utf-8",
    )
    return root


def _build(root: Path) -> Path:
    output = root / "built"
    values = {
        "PATH": str(root / "content"),
        "OUTPUT_PATH": str(output),
        "THEME": str(THEME),
        "SITEURL": "",
        "TIMEZONE": "UTC",
        "ARTICLE_PATHS": ["articles"],
        "ARTICLE_EXCLUDES": ["comments"],
        "PAGE_EXCLUDES": ["comments"],
        "ARTICLE_URL": "{slug}.html",
        "ARTICLE_SAVE_AS": "{slug}.html",
        "PLUGINS": [comments_plugin],
        "COMMENTS_STRICT": True,
        "CACHE_CONTENT": False,
        "FEED_ALL_ATOM": None,
        "CATEGORY_FEED_ATOM": None,
        "TRANSLATION_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
    }
    Pelican(read_settings(override=values)).run()
    return output


@pytest.mark.slow
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(comments=st.lists(st.tuples(name, body), min_size=1, max_size=6))
def test_whatever_the_intake_accepts_builds(tmp_path_factory, comments):
    root = _site(tmp_path_factory.mktemp("pipeline"))
    db = root / "var" / "moderation.db"
    settings_ = make_settings(root)
    accepted = []
    with AppClient(create_app(settings_, db, screen_in_background=False)) as client:
        for author, text in comments:
            fields = {"article": "social-not-sales", "name": author, "body": text}
            started = time.perf_counter()
            answer = client.post("/comments", content=json.dumps(fields),
                                 headers={"Content-Type": "application/json"})  # fmt: skip
            assert time.perf_counter() - started < ANSWER_BUDGET
            assert answer.status_code in (202, 400, 409), answer.text
            if answer.status_code == 400:
                assert answer.json()["field"] in ("name", "body"), answer.json()
            elif answer.status_code == 202:
                accepted.append(answer.json()["id"])
    with Store(db) as store:
        screener = Screener(settings_, store, articles={})
        started = time.perf_counter()
        screen_due(store, screener)
        assert time.perf_counter() - started < SCREEN_BUDGET * max(len(accepted), 1)
        for comment_id in accepted:
            if store.comments.get(comment_id).status is not State.APPROVED:
                store.decisions.moderate(comment_id, "approve")
        report = publish(store, settings_)
        assert len(report.written) == len(accepted), report.skipped
    output = _build(root)  # strict: a bad comment file would raise here
    page = (output / "social-not-sales.html").read_text(encoding="utf-8")
    for comment_id in accepted:
        assert f"comment-{comment_id}" in page
