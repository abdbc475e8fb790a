"""Warm rebuilds from Pelican's content cache, and the worker-process path."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from .conftest import comments_plugin


def snapshot(folder):
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def small_site(site, count=6):
    site.article("one")
    site.article("two")
    for number in range(count):
        slug = "one" if number % 2 else "two"
        reply = {"reply_to": f"c{number - 2}"} if number >= 2 else {}
        site.comment(
            slug,
            f"c{number}",
            f"Comment **{number}** with [a link](https://example.org/{number})",
            date=f"2026-02-{number % 28 + 1:02d}T{number % 24:02d}:00:00+00:00",
            **reply,
        )


CACHED = {"CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True}


def test_warm_rebuild_is_identical_and_uses_the_cache(site):
    small_site(site)
    site.build(CACHE_CONTENT=True, LOAD_CONTENT_CACHE=False)
    cold = snapshot(site.output)
    assert comments_plugin.TIMERS.counts["from_cache"] == 0
    shutil.rmtree(site.output)

    site.build(**CACHED)
    assert snapshot(site.output) == cold
    assert comments_plugin.TIMERS.counts["from_cache"] == 6
    assert comments_plugin.TIMERS.seconds["rendering"] == 0.0


def test_edited_comment_is_picked_up_on_a_warm_rebuild(site):
    small_site(site)
    site.build(CACHE_CONTENT=True)
    path = site.comment(
        "two", "c0", "Edited text, now *different*", date="2026-02-01T00:00:00+00:00"
    )
    stamp = os.stat(path).st_mtime + 5
    os.utime(path, (stamp, stamp))

    site.build(**CACHED)
    body = site.article_html("two").select_one("#comment-c0 .comment-body")
    assert body.decode_contents() == "<p>Edited text, now <em>different</em></p>"
    assert comments_plugin.TIMERS.counts["from_cache"] == 5


def test_deleted_and_added_comments_on_a_warm_rebuild(site):
    small_site(site)
    site.build(CACHE_CONTENT=True)
    (site.content / "comments" / "one" / "c5.md").unlink()
    site.comment("one", "c9", "Brand new", date="2026-03-01T00:00:00+00:00")
    site.build(**CACHED)
    ids = [li["id"] for li in site.article_html("one").select("li.comment")]
    assert "comment-c5" not in ids
    assert "comment-c9" in ids


def test_bad_file_still_fails_on_a_warm_rebuild(site):
    small_site(site)
    site.build(CACHE_CONTENT=True)
    path = site.comment("one", "c1", date="garbage")
    stamp = os.stat(path).st_mtime + 5
    os.utime(path, (stamp, stamp))
    with pytest.raises(comments_plugin.CommentFileError, match="unparseable date 'garbage'"):
        site.build(**CACHED)


def test_worker_processes_give_the_same_output(site, monkeypatch):
    small_site(site, count=30)
    site.build()
    in_process = snapshot(site.output)
    shutil.rmtree(site.output)

    monkeypatch.setattr(comments_plugin.loader, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(comments_plugin.loader, "FILES_PER_TASK", 7)
    site.build()
    assert snapshot(site.output) == in_process
    assert comments_plugin.TIMERS.seconds["waiting"] > 0


def test_worker_processes_report_bad_files(site, monkeypatch):
    small_site(site, count=10)
    site.comment("one", "c-bad", date="nope")
    monkeypatch.setattr(comments_plugin.loader, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(comments_plugin.loader, "FILES_PER_TASK", 3)
    with pytest.raises(
        comments_plugin.CommentFileError, match=r"c-bad\.md: unparseable date 'nope'"
    ):
        site.build()


def test_cache_written_by_the_worker_serves_the_warm_rebuild(site, monkeypatch):
    small_site(site, count=12)
    monkeypatch.setattr(comments_plugin.loader, "PARALLEL_MIN_FILES", 1)
    site.build(CACHE_CONTENT=True)
    cold = snapshot(site.output)
    assert comments_plugin.TIMERS.seconds["waiting"] > 0  # the worker path ran
    shutil.rmtree(site.output)

    site.build(**CACHED)
    assert comments_plugin.TIMERS.counts["from_cache"] == 12
    assert snapshot(site.output) == cold


def _die_in_worker(paths, settings):
    os._exit(3)


def test_a_dead_worker_falls_back_to_reading_in_process(site, monkeypatch, caplog):
    small_site(site, count=8)
    monkeypatch.setattr(comments_plugin.loader, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(comments_plugin.loader, "_worker_read", _die_in_worker)
    site.build(CACHE_CONTENT=True)
    assert "the worker process died" in caplog.text
    assert len(site.article_html("one").select("li.comment")) == 4
    site.build(CACHE_CONTENT=True, LOAD_CONTENT_CACHE=True)
    assert comments_plugin.TIMERS.counts["from_cache"] == 8


def _slow_worker_read(paths, settings):
    time.sleep(0.2)
    return _real_worker_read(paths, settings)


_real_worker_read = comments_plugin.loader._worker_read


def test_batches_the_worker_has_not_started_are_read_by_the_build(site, monkeypatch):
    small_site(site, count=30)
    site.build()
    in_process = snapshot(site.output)
    shutil.rmtree(site.output)

    monkeypatch.setattr(comments_plugin.loader, "PARALLEL_MIN_FILES", 1)
    monkeypatch.setattr(comments_plugin.loader, "FILES_PER_TASK", 2)
    monkeypatch.setattr(comments_plugin.loader, "_worker_read", _slow_worker_read)
    site.build(CACHE_CONTENT=True)
    assert snapshot(site.output) == in_process
    # The worker needs 3 s for its 15 batches; the build took most of them.
    assert 0 < comments_plugin.TIMERS.counts["read_here"] < 30
    shutil.rmtree(site.output)

    # The worker wrote the cache with the records the build read, too.
    site.build(**CACHED)
    assert comments_plugin.TIMERS.counts["from_cache"] == 30
    assert snapshot(site.output) == in_process
