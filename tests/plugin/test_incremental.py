"""Builds that start from the last one render only the pages comments changed.

Real Pelican builds with the project's settings, theme and plugins; every check
compares the pages with those of a clean build of the same content.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from comments.errors import CommentFileError
from comments.incremental import KEPT, template_uses
from jinja2 import DictLoader, Environment
from pelican import signals

from tests.site.sitebuild import build_site

ARTICLES = 14  # three index pages of five, and categories and tags of several pages


def write_article(content: Path, number: int, body: str = "") -> Path:
    path = content / "articles" / f"article-{number:02}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    category = "Reading" if number % 2 else "Practice"
    path.write_text(
        f"Title: Article {number}\nDate: 2026-03-{number:02}T10:00:00+01:00\n"
        f"Category: {category}\nTags: tag-{number % 3}, shared\n"
        f"Slug: article-{number:02}\n\n{body or f'The body of article {number}.'}\n",
        encoding="utf-8",
    )
    return path


def write_comment(content: Path, article: int, number: int, text: str = "") -> Path:
    folder = content / "comments" / f"article-{article:02}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"c-2026-04-{number:02}-{article:02}{number:02}.md"
    path.write_text(
        f"id: c-2026-04-{number:02}-{article:02}{number:02}\nauthor: Reader {number}\n"
        f"date: 2026-04-{number:02}T09:00:00+01:00\nstatus: approved\n\n"
        f"{text or f'Comment {number} on article {article}.'}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    for number in range(1, ARTICLES + 1):
        write_article(folder, number)
    for number in range(1, 6):
        write_comment(folder, article=number, number=number)
    return folder


class Written:
    """Pages Pelican reported written, and which of them were kept as they were."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.kept: list[str] = []

    def __call__(self, path: str, context: Any = None, **_: Any) -> None:
        self.paths.append(path)
        if context and context.get(KEPT):
            self.kept.append(os.path.basename(os.path.dirname(path)) + "/" + Path(path).name)


@pytest.fixture
def written() -> Iterator[Written]:
    recorder = Written()
    signals.content_written.connect(recorder)
    yield recorder
    signals.content_written.disconnect(recorder)


def build(content: Path, output: Path, state: Path | None, **overrides: Any) -> None:
    if state is not None:
        overrides["COMMENTS_BUILD_STATE"] = str(state)
    # Static, theme and feed files are copied or made fresh on every build: the pages
    # are what is compared, and the search index is the deploy runner's business.
    build_site(content, output, SEARCH_INDEX=False, **overrides)


def pages(output: Path) -> list[str]:
    return sorted(str(p.relative_to(output)) for p in output.rglob("*.html"))


def assert_as_a_clean_build(content: Path, built: Path) -> None:
    """Every page of ``built`` is byte for byte what a build from nothing makes."""
    clean = built.parent / f"{built.name}-clean"
    build(content, clean, None)
    assert pages(built) == pages(clean)
    for relative in pages(clean):
        assert filecmp.cmp(built / relative, clean / relative, shallow=False), relative


def test_new_comment_renders_its_article_and_listings_and_matches_a_clean_build(
    content: Path, tmp_path: Path, written: Written
) -> None:
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state)
    assert state.is_file() and not written.kept
    untouched = output / "2026" / "article-09.html"
    before = untouched.stat().st_mtime_ns

    written.paths.clear()
    write_comment(content, article=12, number=20, text="A fresh thought on twelve.")
    build(content, output, state)

    kept = set(written.kept)
    assert "2026/article-09.html" in kept, "an article no comment changed is kept"
    assert untouched.stat().st_mtime_ns == before
    assert "2026/article-12.html" not in kept
    assert "A fresh thought on twelve." in (output / "2026" / "article-12.html").read_text()
    # The home page shows the recent comments; the page listing article 12 shows its count.
    assert "site/index.html" not in kept
    assert "A fresh thought" not in untouched.read_text()
    assert len(kept) >= len(written.paths) // 2

    assert_as_a_clean_build(content, output)


def test_a_comment_edited_or_removed_is_rendered_again(
    content: Path, tmp_path: Path, written: Written
) -> None:
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state)
    edited = write_comment(content, article=3, number=3, text="Edited: a better point.")
    (content / "comments" / "article-04" / "c-2026-04-04-0404.md").unlink()
    written.kept.clear()
    build(content, output, state)

    assert "2026/article-03.html" not in written.kept
    assert "2026/article-04.html" not in written.kept
    assert "Edited: a better point." in (output / "2026" / "article-03.html").read_text()
    assert edited.exists()
    assert_as_a_clean_build(content, output)


def test_changed_article_empties_the_folder_and_renders_everything(
    content: Path, tmp_path: Path, written: Written
) -> None:
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state)
    assert (output / "2026" / "article-14.html").is_file()

    (content / "articles" / "article-14.md").unlink()
    write_article(content, 2, body="A rewritten body for article two.")
    written.kept.clear()
    build(content, output, state)

    assert written.kept == []
    assert not (output / "2026" / "article-14.html").exists(), "a deleted article's page is gone"
    assert_as_a_clean_build(content, output)


def test_a_failed_build_leaves_no_state_and_the_next_renders_everything(
    content: Path, tmp_path: Path, written: Written
) -> None:
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state)
    bad = content / "comments" / "article-05" / "broken.md"
    bad.write_text("id: broken\nno date and no body\n", encoding="utf-8")
    with pytest.raises(CommentFileError):
        build(content, output, state)
    assert not state.exists()

    bad.unlink()
    written.kept.clear()
    build(content, output, state)
    assert written.kept == [] and state.is_file()


def test_without_the_setting_every_page_is_rendered(
    content: Path, tmp_path: Path, written: Written
) -> None:
    output = tmp_path / "site"
    build(content, output, None)
    write_comment(content, article=1, number=21)
    build(content, output, None)
    assert written.kept == []


def test_unreadable_state_means_a_full_build(
    content: Path, tmp_path: Path, written: Written, caplog: pytest.LogCaptureFixture
) -> None:
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state)
    state.write_text("{not json", encoding="utf-8")
    stale = output / "stale.html"
    stale.write_text("from another site", encoding="utf-8")
    written.kept.clear()
    build(content, output, state)
    assert written.kept == [] and not stale.exists()
    assert "ignoring the build state" in caplog.text


def test_template_use_follows_parents_and_includes() -> None:
    environment = Environment(
        loader=DictLoader(
            {
                "base.html": "{% block side %}{% endblock %}{{ SITENAME }}",
                "box.html": "{% for c in recent_comments %}{{ c }}{% endfor %}",
                "home.html": '{% extends "base.html" %}{% block side %}'
                '{% include "box.html" %}{% endblock %}',
                "article.html": '{% extends "base.html" %}{% block side %}x{% endblock %}',
                "chosen.html": "{% include which %}",
                "loop.html": '{% include "loop.html" %}',
            }
        )
    )
    assert template_uses(environment, "home.html", "recent_comments")
    assert template_uses(environment, "box.html", "recent_comments")
    assert not template_uses(environment, "article.html", "recent_comments")
    assert template_uses(environment, "chosen.html", "recent_comments"), "unknown: assume so"
    assert not template_uses(environment, "loop.html", "recent_comments")
    assert template_uses(environment, None, "recent_comments")


def test_theme_shows_recent_comments_on_the_home_page_only(content: Path, tmp_path: Path) -> None:
    output = tmp_path / "site"
    build(content, output, None)
    assert "recent-comments" in (output / "index.html").read_text()
    assert "recent-comments" not in (output / "2026" / "article-01.html").read_text()
    shutil.rmtree(output)


def test_comments_closing_with_the_date_renders_the_article_again(
    content: Path, tmp_path: Path, written: Written, monkeypatch: pytest.MonkeyPatch
) -> None:
    import comments.generator

    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state)
    assert 'id="comment-form' in (output / "2026" / "article-07.html").read_text()

    # A day later, article 7's comments have closed; nothing else changed.
    opened = comments.generator.comments_open
    monkeypatch.setattr(
        comments.generator,
        "comments_open",
        lambda article, *args, **kwargs: (
            article.slug != "article-07" and opened(article, *args, **kwargs)
        ),
    )
    written.kept.clear()
    build(content, output, state)
    assert "2026/article-07.html" not in written.kept
    assert "2026/article-08.html" in written.kept
    assert "Comments are closed" in (output / "2026" / "article-07.html").read_text()


def test_a_scheduled_article_going_live_renders_everything(
    content: Path, tmp_path: Path, written: Written, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as real
    import types

    import pelican.contents

    tomorrow = real.datetime.now(real.UTC) + real.timedelta(days=1)
    (content / "articles" / "soon.md").write_text(
        f"Title: Soon\nDate: {tomorrow.isoformat(timespec='seconds')}\nCategory: Reading\n"
        "Tags: shared\nSlug: soon\n\nComing soon.\n",
        encoding="utf-8",
    )
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state)
    assert (output / "drafts" / "soon.html").is_file()

    class TwoDaysLater(real.datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return real.datetime.now(tz) + real.timedelta(days=2)

    # The day after: no file changed, yet the article is live and the draft page gone.
    clock = types.SimpleNamespace(**{**vars(real), "datetime": TwoDaysLater})
    monkeypatch.setattr(pelican.contents, "datetime", clock)
    written.kept.clear()
    build(content, output, state)
    assert written.kept == []
    assert not (output / "drafts" / "soon.html").exists()
    assert (output / "2026" / "soon.html").is_file() or list(output.glob("*/soon.html"))
    assert_as_a_clean_build(content, output)


@pytest.mark.parametrize("kind", ["page", "article"])
def test_a_page_saved_over_the_index_stays_there(
    content: Path, tmp_path: Path, written: Written, kind: str
) -> None:
    folder = content / ("pages" if kind == "page" else "articles")
    folder.mkdir(parents=True, exist_ok=True)
    date = "" if kind == "page" else "Date: 2026-01-01T10:00:00+01:00\nCategory: Reading\n"
    (folder / "home.md").write_text(
        f"Title: Home\nSlug: home\n{date}Save_as: index.html\n\nWelcome home.\n", encoding="utf-8"
    )
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state)
    assert "Welcome home." in (output / "index.html").read_text()
    write_comment(content, article=3, number=22)
    build(content, output, state)
    assert "Welcome home." in (output / "index.html").read_text()
    assert_as_a_clean_build(content, output)


def test_an_edited_template_override_renders_everything(
    content: Path, tmp_path: Path, written: Written
) -> None:
    from tests.site.sitebuild import ROOT

    overrides = tmp_path / "overrides"
    overrides.mkdir()
    template = (ROOT / "theme" / "templates" / "page.html").read_text(encoding="utf-8")
    marked = template.replace("{% block content %}", "{% block content %}MARK-ONE")
    (overrides / "page.html").write_text(marked, encoding="utf-8")
    (content / "pages").mkdir()
    (content / "pages" / "about.md").write_text("Title: About\nSlug: about\n\nAbout us.\n")
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state, THEME_TEMPLATES_OVERRIDES=[str(overrides)])
    assert "MARK-ONE" in (output / "pages" / "about.html").read_text()

    (overrides / "page.html").write_text(marked.replace("MARK-ONE", "MARK-TWO"), encoding="utf-8")
    write_comment(content, article=3, number=22)
    build(content, output, state, THEME_TEMPLATES_OVERRIDES=[str(overrides)])
    assert "MARK-TWO" in (output / "pages" / "about.html").read_text()


def test_a_folder_holding_the_content_is_never_emptied(content: Path, tmp_path: Path) -> None:
    beside = tmp_path / "notes.txt"
    beside.write_text("precious", encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text('{"inputs": "other", "articles": {}, "recent": ""}', encoding="utf-8")
    build(content, tmp_path, state)
    assert beside.read_text(encoding="utf-8") == "precious"
    assert (content / "articles" / "article-01.md").is_file()
    assert not state.exists(), "a build it could not compare with is not remembered"


def test_incremental_off_renders_everything_and_remembers_nothing(
    content: Path, tmp_path: Path, written: Written
) -> None:
    output, state = tmp_path / "site", tmp_path / "state.json"
    build(content, output, state, COMMENTS_INCREMENTAL=False)
    assert not state.exists()
    write_comment(content, article=3, number=22)
    build(content, output, state, COMMENTS_INCREMENTAL=False)
    assert written.kept == [] and not state.exists()


def test_the_digests_of_settings_are_the_same_in_every_process(content: Path) -> None:
    """Sets and dicts in settings print in an order that follows string hashing, which
    changes from one process to the next: the plugin's inputs digest and the publish
    cache's fingerprint must not."""
    import subprocess
    import sys

    from tests.site.sitebuild import ROOT

    script = (
        "import sys; sys.path[:0] = ['plugins', '.']\n"
        "from comments.incremental import inputs_digest\n"
        f"settings = {{'PATH': {str(content)!r}, 'COMMENTS_PATH': 'comments',\n"
        "    'WORDS': {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta'},\n"
        "    'MAP': {'b': {'x', 'y', 'z'}, 'a': 1}}\n"
        "print(inputs_digest(settings))\n"
        "from pathlib import Path\n"
        "from moderation.deploy.build import fingerprint\n"
        "print(fingerprint(settings, Path('pelicanconf.py')))\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1, digests
