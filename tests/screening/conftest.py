"""Fixtures for the screening tests: real settings, real SQLite files, a comment factory."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from moderation.articles import ArticleInfo
from moderation.models import Comment
from moderation.settings import Settings, load_settings
from moderation.store import Store

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The project's settings, with the environment ignored and the thread index in tmp."""
    base = load_settings(ROOT / "pelicanconf.py", environ={})
    return base.with_overrides(COMMENTS_THREADS=str(tmp_path / "threads.json"))


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "moderation.db") as opened:
        yield opened


@pytest.fixture
def make_comment() -> Callable[..., Comment]:
    counter = itertools.count(1)

    def make(body: str = "I tried this with my team and it helped.", **fields) -> Comment:
        number = next(counter)
        values = {
            "article": "social-not-sales",
            "author": f"Reader {number}",
            "body": body,
            "received_at": NOW + timedelta(minutes=number),
        }
        values.update(fields)
        return Comment(**values)

    return make


@pytest.fixture
def article() -> ArticleInfo:
    return ArticleInfo(
        slug="social-not-sales",
        title="Social, not sales",
        date=NOW - timedelta(days=3),
        tags=("community", "learning"),
        summary="Why communities of practice wither when every reply becomes a pitch.",
        text=(
            "A community of practice grows when members share questions, mistakes and "
            "half-finished ideas. Learning in public needs trust; a reply that is really "
            "an advertisement spends that trust. Moderators, mentors and newcomers all "
            "notice when conversation turns into marketing and the forum goes quiet."
        ),
        comments="open",
        status="published",
        source=Path("content/articles/social-not-sales.md"),
    )
