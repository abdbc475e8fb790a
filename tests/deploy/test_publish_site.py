"""``publish_site``: preflight, screening, publishing, a real build and a real deploy."""

from __future__ import annotations

import re
import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from moderation.deploy import DeployError, PreflightError, PublishLocked, publish_site
from moderation.deploy.lock import publish_lock
from moderation.models import State
from moderation.store import Store

from .conftest import SITEURL, add_comments, files_under

pytestmark = pytest.mark.slow

KIND_WORDS = (
    "Reading quietly for a year taught me more than I expected about this community.",
    "I tried the weekly summary idea with my team and it made lurkers speak up.",
)


def run_dirs(project: Path) -> list[str]:
    publish_dir = project / "var" / "publish"
    return sorted(p.name for p in publish_dir.iterdir()) if publish_dir.is_dir() else []


def test_publish_screens_publishes_builds_and_deploys(project, tmp_path):
    db = project / "var" / "moderation.db"
    approved = add_comments(db, State.APPROVED, *KIND_WORDS)
    add_comments(db, State.RECEIVED, "Quick question: does this work for remote teams too?")
    www = tmp_path / "www"
    seen = []

    report = publish_site(
        project, target=str(www), db_path=db, progress=lambda *event: seen.append(event)
    )

    assert report.screened == 1 and sum(report.outcomes.values()) == 1
    assert report.published == 2 + report.outcomes.get("approved", 0)
    for comment_id in approved:
        assert (
            project / "content" / "comments" / "lurking-is-learning" / f"{comment_id}.md"
        ).is_file()
    page = (www / "2026" / "lurking-is-learning.html").read_text(encoding="utf-8")
    for comment_id in approved:
        assert f'id="comment-{comment_id}"' in page
    # Built with publishconf.py: absolute addresses of the real site.
    assert f'href="{SITEURL}/theme/css/style.css"' in page
    assert (www / "pagefind" / "pagefind.js").is_file()
    assert report.pages_written > 40 and report.changes.added and not report.changes.removed
    # Never built into output/, and the build folder is gone afterwards.
    assert not (project / "output").exists()
    assert run_dirs(project) == ["cache", "checked"]
    steps = [step for step, _, _ in seen]
    assert steps[0] == "checking"
    for step in ("screening", "publishing", "building", "search index", "deploying"):
        assert step in steps
    assert any(step == "building" and done > 10 for step, done, _ in seen)

    summary = report.summary()
    assert summary.startswith(f"Published to {www} in ")
    assert re.search(r"screened\s+1 \(", summary)
    assert re.search(r"held\s+\d+ waiting for a moderator", summary)
    assert re.search(rf"published\s+{report.published} comment files? written", summary)
    assert re.search(rf"pages\s+{report.pages_written:,} written", summary)

    # Two more approvals: the second publish reuses the caches and changes only what changed.
    kept = www / "2025" / "brand-as-guest.html"
    add_comments(
        db, State.APPROVED, "Third thoughts on lurking, from a new reader.", "And a fourth."
    )
    again = publish_site(project, target=str(www), db_path=db)
    assert again.published == 2
    assert again.build.search_reused, "new comments alone do not need a new search index"
    assert "2026/lurking-is-learning.html" in again.changes.changed
    assert not again.changes.added and not again.changes.removed
    assert kept.read_text(encoding="utf-8") == (www / "2025" / "brand-as-guest.html").read_text()
    # The build started from the last one: pages no new comment shows were not rendered.
    assert 0 < again.build.pages_kept < again.pages_written
    assert re.search(r"of them unchanged since the last publish", again.summary())

    # The same site as a publish from nothing makes.
    shutil.rmtree(project / "var" / "publish" / "cache")
    fresh = publish_site(project, target=str(tmp_path / "fresh"), db_path=db)
    assert fresh.build.pages_kept == 0
    made, warm = files_under(tmp_path / "fresh"), files_under(www)
    assert made == warm, "the sitemap too: a listing page is dated by what it lists"


def test_preflight_reports_every_problem_and_touches_nothing(project, monkeypatch, tmp_path):
    monkeypatch.setenv("SITEURL", "https://learning-out-loud.example")
    db = project / "var" / "moderation.db"
    add_comments(db, State.RECEIVED, KIND_WORDS[0])
    before = db.read_bytes()
    with pytest.raises(PreflightError) as stopped:
        publish_site(project, db_path=db)
    problems = stopped.value.problems
    assert len(problems) == 2
    assert problems[0].startswith("SITEURL https://learning-out-loud.example is the example")
    assert "set SITEURL=" in problems[0]
    assert "is the example host learning-out-loud.example" in problems[1]
    message = str(stopped.value)
    assert message.splitlines()[0].startswith("2 problems found before publishing")
    assert len(message.splitlines()) == 3, "one line per problem"
    assert db.read_bytes() == before, "nothing was screened"
    assert not (project / "content" / "comments").exists()
    assert run_dirs(project) == []


def test_preflight_without_a_target_and_with_content_problems(project, monkeypatch):
    monkeypatch.setenv("DEPLOY_TARGET", "")
    broken = project / "content" / "articles" / "lurking-is-learning.md"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n![](missing-alt.png)\n")
    with pytest.raises(PreflightError) as stopped:
        publish_site(project, db_path=project / "none.db")
    problems = stopped.value.problems
    assert problems[0].startswith("no deploy target: set DEPLOY_TARGET")
    assert any("lurking-is-learning.md" in p and "alt text" in p for p in problems)


def test_a_failed_build_leaves_the_live_site_as_it_was(project, tmp_path):
    www = tmp_path / "www"
    publish_site(project, target=str(www), db_path=project / "none.db")
    before = files_under(www)
    bad = project / "content" / "comments" / "lurking-is-learning" / "c-bad.md"
    bad.parent.mkdir(parents=True)
    bad.write_text("id: c-bad\nauthor: Someone\nstatus: approved\n\nno date\n")
    with pytest.raises(DeployError) as failed:
        publish_site(project, target=str(www), db_path=project / "none.db")
    assert "the build with publishconf.py failed" in str(failed.value)
    assert "c-bad.md" in str(failed.value)
    assert files_under(www) == before
    assert run_dirs(project) == ["cache", "checked"], "the failed build's folder is removed"


def test_a_dry_run_lists_what_would_change_and_changes_nothing(project, tmp_path):
    db = project / "var" / "moderation.db"
    www = tmp_path / "www"
    publish_site(project, target=str(www), db_path=db)
    approved = add_comments(db, State.APPROVED, *KIND_WORDS)
    add_comments(db, State.RECEIVED, "Does the same hold for a book club?")
    site_before = files_under(www)
    db_before = db.read_bytes()
    cache = project / "var" / "publish" / "cache"
    cache_before = files_under(cache)

    report = publish_site(project, target=str(www), db_path=db, dry_run=True)

    assert report.dry_run and report.screened == 1
    comments = project / "content" / "comments" / "lurking-is-learning"
    assert {p.name for p in report.publish.written} >= {f"{i}.md" for i in approved}
    assert all(p.is_relative_to(project / "content" / "comments") for p in report.publish.written)
    assert "2026/lurking-is-learning.html" in report.changes.changed
    assert "~ 2026/lurking-is-learning.html" in report.lines()
    assert report.summary().startswith(f"Dry run for {www}: nothing was changed")
    assert re.search(r"files would change", report.summary())
    # Nothing changed: the site, the database, the comment files, the caches.
    assert files_under(www) == site_before
    assert db.read_bytes() == db_before
    with Store(db) as store:
        assert store.comments.count(status=State.RECEIVED) == 1
    assert not comments.exists()
    assert files_under(cache) == cache_before


def test_a_dry_run_never_writes_through_a_symlinked_comments_folder(project, tmp_path):
    db = project / "var" / "moderation.db"
    kept_elsewhere = tmp_path / "comments-elsewhere"
    if (project / "content" / "comments").exists():
        shutil.move(project / "content" / "comments", kept_elsewhere)
    kept_elsewhere.mkdir(exist_ok=True)
    (project / "content" / "comments").symlink_to(kept_elsewhere, target_is_directory=True)
    before = files_under(kept_elsewhere)
    add_comments(db, State.APPROVED, *KIND_WORDS)

    report = publish_site(project, target=str(tmp_path / "www"), db_path=db, dry_run=True)

    assert report.publish.written, "the dry run would publish the approved comments"
    assert files_under(kept_elsewhere) == before


def test_a_publish_with_nothing_new_changes_no_file_on_the_target(project, tmp_path):
    db = project / "var" / "moderation.db"
    add_comments(db, State.APPROVED, *KIND_WORDS)
    www = tmp_path / "www"
    publish_site(project, target=str(www), db_path=db)
    site_before = files_under(www)
    time.sleep(1.1)  # a date taken from the clock (seconds) would differ now

    again = publish_site(project, target=str(www), db_path=db)

    assert not again.changes and again.changes.count == 0
    assert re.search(r"target\s+0 files changed", again.summary())
    assert files_under(www) == site_before
    # Listing pages are dated by the newest article or comment they show, not the build.
    sitemap = site_before["sitemap.xml"].decode()
    home = re.search(rf"<loc>{SITEURL}/</loc>\n<lastmod>([^<]+)</lastmod>", sitemap)
    assert home is not None, "the home page is in the sitemap with its lastmod"
    newest_comment = datetime.fromisoformat(home.group(1))
    assert abs(datetime.now(UTC) - newest_comment) < timedelta(minutes=10)


def test_a_dry_run_after_a_publish_with_nothing_new_lists_no_change(project, tmp_path):
    db = project / "var" / "moderation.db"
    add_comments(db, State.APPROVED, *KIND_WORDS)
    www = tmp_path / "www"
    publish_site(project, target=str(www), db_path=db)
    time.sleep(1.1)  # a date taken from the clock (seconds) would differ now

    report = publish_site(project, target=str(www), db_path=db, dry_run=True)

    # The dry run builds what a real publish would: images keep their sizes, and so on.
    assert report.changes.lines() == []
    assert report.published == 0 and report.pages_written > 40
    page = (www / "2026" / "lurking-is-learning.html").read_text(encoding="utf-8")
    assert re.search(r'<img [^>]*participation\.png"[^>]* width="\d+" height="\d+"', page)


def test_two_publishes_at_once_are_refused(project, tmp_path):
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with publish_lock(project / "var" / "publish.lock"):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(PublishLocked, match="another publish is running"):
            publish_site(project, target=str(tmp_path / "www"), db_path=project / "none.db")
    finally:
        release.set()
        holder.join()
    assert not (tmp_path / "www").exists()


def test_an_unchanged_site_is_not_checked_again(project, tmp_path, monkeypatch):
    import importlib

    www = tmp_path / "www"
    publish_site(project, target=str(www), db_path=project / "none.db")
    checks = importlib.import_module("publishing.checks")
    calls = []
    real = checks.check_content
    monkeypatch.setattr(checks, "check_content", lambda *a, **k: calls.append(1) or real(*a, **k))
    # New comment files alone: the articles and pages passed before, nothing to check.
    comment = project / "content" / "comments" / "lurking-is-learning" / "c-2026-01-01-aa01.md"
    comment.parent.mkdir(parents=True)
    comment.write_text(
        "id: c-2026-01-01-aa01\nauthor: Ada\ndate: 2026-01-01T10:00:00+00:00\n"
        "status: approved\n\nA comment written by hand.\n",
        encoding="utf-8",
    )
    publish_site(project, target=str(www), db_path=project / "none.db")
    assert calls == []
    assert (
        'id="comment-c-2026-01-01-aa01"' in (www / "2026" / "lurking-is-learning.html").read_text()
    )
    # An edited article is checked again, and a new problem stops the publish.
    article = project / "content" / "articles" / "lurking-is-learning.md"
    article.write_text(article.read_text(encoding="utf-8") + "\n![](no-alt.png)\n")
    with pytest.raises(PreflightError, match="alt text"):
        publish_site(project, target=str(www), db_path=project / "none.db")
    assert calls == [1]
