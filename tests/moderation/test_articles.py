"""Moderation reads article dates the way Pelican does, so closing by age agrees with the plugin."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from moderation.articles import load_articles
from moderation.settings import load_settings
from tests.plugin.conftest import PLUGINS

if str(PLUGINS) not in sys.path:
    sys.path.insert(0, str(PLUGINS))
from comments.threads import comments_open

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pelicanconf.py").write_text(
        'PATH = "content"\nTIMEZONE = "Europe/Stockholm"\n', encoding="utf-8"
    )
    (tmp_path / "content" / "articles").mkdir(parents=True)
    return tmp_path


def write_article(project, slug: str, date: str) -> None:
    (project / "content" / "articles" / f"{slug}.md").write_text(
        f"Title: {slug}\nDate: {date}\nSlug: {slug}\n\nText.\n", encoding="utf-8"
    )


def test_a_date_without_an_offset_is_in_the_sites_time_zone(project):
    write_article(project, "naive", "2026-01-10 10:00")
    write_article(project, "aware", "2026-01-10 10:00+00:00")
    articles = load_articles(load_settings(project / "pelicanconf.py", environ={}))
    assert articles["naive"].date == datetime(2026, 1, 10, 10, 0, tzinfo=STOCKHOLM)
    assert articles["aware"].date == datetime(2026, 1, 10, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("hours_old", [23, 25])
def test_closing_by_age_agrees_with_the_plugin_for_a_naive_date(project, hours_old):
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    local = (now - timedelta(hours=hours_old)).astimezone(STOCKHOLM)
    write_article(project, "post", local.strftime("%Y-%m-%d %H:%M"))
    info = load_articles(load_settings(project / "pelicanconf.py", environ={}))["post"]
    # What Pelican hands the plugin: the same wall-clock time, in TIMEZONE.
    pelican_article = SimpleNamespace(
        metadata={}, status="published", date=local.replace(tzinfo=None).replace(tzinfo=STOCKHOLM)
    )
    plugin_says = comments_open(pelican_article, 1, tz=STOCKHOLM, now=now)
    assert info.is_open(1, now) is plugin_says is (hours_old < 24)
