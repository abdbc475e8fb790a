"""`invoke new "Title"`: a draft with every documented field, dated in the site's zone."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from invoke import Config, Context, Exit
from pelican.settings import read_settings
from pelican.utils import get_date

from tests.site.sitebuild import ROOT, SETTINGS_FILE, build_site

from .conftest import write_settings_file

sys.path.insert(0, str(ROOT / "plugins"))
from publishing.checks import check_content
from publishing.scaffold import ScaffoldError, new_article
from publishing.sources import read_source

sys.path.insert(0, str(ROOT))
import tasks

EXISTING = """Title: Already here
Date: 2026-01-01 10:00+01:00
Category: Practice
Slug: taken-slug
Summary: Present.

Text.
"""


@pytest.fixture
def site(tmp_path):
    content = tmp_path / "content"
    (content / "articles").mkdir(parents=True)
    (content / "pages").mkdir()
    (content / "articles" / "some-file-name.md").write_text(EXISTING, encoding="utf-8")
    settings = read_settings(
        str(SETTINGS_FILE), override={"PATH": str(content), "OUTPUT_PATH": str(tmp_path / "o")}
    )
    return content, settings


def readme_fields() -> list[str]:
    """The metadata fields of the README's example article, in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## For authors", 1)[1]
    example = section.split("```markdown", 1)[1].split("```", 1)[0]
    header = example.strip().split("\n\n", 1)[0]
    return [line.split(":", 1)[0] for line in header.splitlines()]


def test_new_writes_every_documented_field_and_a_draft_status(site):
    content, settings = site
    now = datetime(2026, 7, 1, 8, 30, tzinfo=ZoneInfo("Europe/Stockholm"))
    path = new_article(settings, "Learning in public, again!", tags="a, b", now=now)
    assert path == content / "articles" / "learning-in-public-again.md"
    source = read_source(path)
    fields = list(source.fields)
    documented = [name.lower() for name in readme_fields()]
    assert documented and set(documented) <= set(fields), (documented, fields)
    assert fields[: len(documented)] == documented, "in the README's order"
    assert source.value("status") == "draft"
    assert source.value("title") == "Learning in public, again!"
    assert source.value("slug") == "learning-in-public-again"
    assert source.value("author") == settings["AUTHOR"]
    assert source.value("tags") == "a, b"
    assert "summary" in source.fields and source.value("summary") == ""
    assert source.value("date") == "2026-07-01 08:30+02:00"


def test_the_date_is_now_in_the_sites_time_zone(site):
    _, settings = site
    path = new_article(settings, "Dated now")
    raw = read_source(path).value("date")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d[+-]\d\d:\d\d", raw)
    date = get_date(raw)
    zone = ZoneInfo(settings["TIMEZONE"])
    assert date.utcoffset() == datetime.now(zone).utcoffset()
    assert abs((datetime.now(zone) - date).total_seconds()) < 120


def test_new_refuses_a_slug_that_exists(site):
    content, settings = site
    with pytest.raises(ScaffoldError, match=r"taken-slug.*some-file-name\.md"):
        new_article(settings, "Taken slug")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_article(settings, "Another title", slug="some-file-name")
    with pytest.raises(ScaffoldError, match="cannot be a slug"):
        new_article(settings, "Fine title", slug="Not A Slug")
    assert sorted(p.name for p in (content / "articles").iterdir()) == ["some-file-name.md"]
    first = new_article(settings, "A fresh idea")
    with pytest.raises(ScaffoldError, match="already exists"):
        new_article(settings, "A fresh idea")
    assert first.read_text(encoding="utf-8").startswith("Title: A fresh idea\n")


def test_the_new_draft_builds_to_drafts_and_check_lists_what_to_fill_in(site, tmp_path):
    content, settings = site
    path = new_article(settings, "Work in progress")
    output = tmp_path / "out"
    build_site(content, output)
    assert (output / "drafts" / "work-in-progress.html").is_file()
    assert not list(output.glob("2*/work-in-progress.html"))
    problems = {(Path(p.path).name, p.message.split(":")[0]) for p in check_content(settings)}
    assert problems == {(path.name, "missing summary"), (path.name, "missing category")}
    assert check_content(settings, include_drafts=False) == []


def test_invoke_new_task(site, tmp_path, monkeypatch, capsys):
    content, _ = site
    monkeypatch.setattr(tasks, "SETTINGS", str(write_settings_file(content, tmp_path)))
    context = Context(Config(overrides={"run": {"in_stream": False}}))
    tasks.new(context, "From the task", category="Practice")
    created = content / "articles" / "from-the-task.md"
    assert read_source(created).value("category") == "Practice"
    out = capsys.readouterr().out
    assert "Status: draft" in out and "drafts/from-the-task.html" in out
    with pytest.raises(Exit) as refused:
        tasks.new(context, "From the task")
    assert refused.value.code == 1 and "already exists" in str(refused.value.message)
