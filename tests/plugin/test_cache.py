"""Warm rebuilds from Pelican's content cache."""

from __future__ import annotations

import logging
import os
import pickle
import shutil

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


def test_cache_forgets_deleted_files(site):
    small_site(site)
    site.build(CACHE_CONTENT=True)
    deleted = site.content / "comments" / "one" / "c5.md"
    deleted.unlink()
    site.build(**CACHED)
    cache_file = site.cache / comments_plugin.loader.CACHE_NAME
    with open(cache_file, "rb") as handle:  # written uncompressed
        entries = pickle.load(handle)
    assert str(deleted) not in entries
    assert len([path for path in entries if path.endswith(".md")]) == 5


def test_feeds_that_cannot_be_written_fail_the_build(site):
    small_site(site)
    # A file where the feeds folder should be.
    site.output.mkdir()
    (site.output / "feeds").write_text("in the way")
    with pytest.raises(OSError, match=r"feeds"):
        site.build()


def test_unchanged_feeds_are_reused_and_changed_ones_made_again(site, monkeypatch):
    from comments import feeds

    small_site(site)
    site.build(**CACHED)
    first = snapshot(site.output)
    made = []
    real = feeds.FeedWriter._document
    monkeypatch.setattr(
        feeds.FeedWriter,
        "_document",
        lambda self, title, feed_url, *rest: (
            made.append(feed_url) or real(self, title, feed_url, *rest)
        ),
    )
    shutil.rmtree(site.output)
    site.build(**CACHED)
    assert made == [], "nothing changed: every feed comes from the cache"
    assert snapshot(site.output) == first

    # A new comment on "one": its feed and the site-wide feed are made again, "two"'s is not.
    site.comment("one", "c9", "A late thought.", date="2026-03-01T10:00:00+00:00")
    shutil.rmtree(site.output)
    site.build(**CACHED)
    assert sorted(made) == ["feeds/comments.atom.xml", "feeds/comments/one.atom.xml"]
    assert "c9" in (site.output / "feeds/comments/one.atom.xml").read_text(encoding="utf-8")
    made.clear()
    # Without the content cache nothing is reused.
    shutil.rmtree(site.output)
    site.build(CACHE_CONTENT=False, LOAD_CONTENT_CACHE=False)
    assert len(made) == 3


CACHE_NAMES = ["CommentsReader-4", "CommentsFeeds-1"]  # the comment records, the feeds


class Interrupted(BaseException):
    """Like Ctrl-C or a kill: nothing in the build catches it."""


@pytest.mark.parametrize("cache_name", CACHE_NAMES)
def test_a_save_interrupted_halfway_leaves_the_previous_cache_whole(site, monkeypatch, cache_name):
    small_site(site)
    site.build(**CACHED)
    cache_file = site.cache / cache_name
    before = cache_file.read_bytes()

    # A new comment makes both caches save again; this one's save stops halfway.
    site.comment("one", "c9", "A late thought.", date="2026-03-01T10:00:00+00:00")
    real_dump = pickle.dump

    def dump_and_stop(data, handle, *args, **kwargs):
        if not os.path.basename(handle.name).startswith(cache_name):
            return real_dump(data, handle, *args, **kwargs)
        whole = pickle.dumps(data, *args, **kwargs)
        handle.write(whole[: len(whole) // 2])
        handle.flush()
        raise Interrupted

    monkeypatch.setattr(pickle, "dump", dump_and_stop)
    with pytest.raises(Interrupted):
        site.build(**CACHED)
    monkeypatch.setattr(pickle, "dump", real_dump)

    assert cache_file.read_bytes() == before
    assert [path.name for path in site.cache.iterdir() if path.name.endswith(".tmp")] == []
    shutil.rmtree(site.output)
    site.build(**CACHED)
    # The comment cache is saved before the feeds: c9 is in it when only their save stopped.
    expected = 6 if cache_name == "CommentsReader-4" else 7
    assert comments_plugin.TIMERS.counts["from_cache"] == expected
    assert "c9" in (site.output / "feeds/comments/one.atom.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("cache_name", CACHE_NAMES)
@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_an_empty_or_truncated_cache_is_started_anew_with_a_warning(
    site, caplog, cache_name, damage
):
    small_site(site)
    site.build(**CACHED)
    expected = snapshot(site.output)
    cache_file = site.cache / cache_name
    data = cache_file.read_bytes()
    cache_file.write_bytes(b"" if damage == "empty" else data[: len(data) // 2])

    shutil.rmtree(site.output)
    with caplog.at_level(logging.WARNING):
        site.build(**CACHED)
    assert snapshot(site.output) == expected
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(cache_file) in warning for warning in warnings), warnings
    # The cache was saved whole again: the next build reads it without a word.
    caplog.clear()
    shutil.rmtree(site.output)
    with caplog.at_level(logging.WARNING):
        site.build(**CACHED)
    assert snapshot(site.output) == expected
    assert [r for r in caplog.records if str(cache_file) in r.getMessage()] == []


def test_a_comment_edited_while_the_build_reads_is_read_again_by_the_next_build(site, monkeypatch):
    from comments import loader

    small_site(site)
    site.build(**CACHED)
    first = site.comment("two", "c0", "First edit", date="2026-02-01T00:00:00+00:00")
    stamp = os.stat(first).st_mtime + 5
    os.utime(first, (stamp, stamp))
    real_read = loader.read_comment_files

    def read_then_edit(paths):
        read = real_read(paths)
        # Saved again after the build read it, before the build saves its cache.
        site.comment("two", "c0", "Second edit", date="2026-02-01T00:00:00+00:00")
        os.utime(first, (stamp + 5, stamp + 5))
        return read

    monkeypatch.setattr(loader, "read_comment_files", read_then_edit)
    site.build(**CACHED)
    body = site.article_html("two").select_one("#comment-c0 .comment-body")
    assert body.get_text() == "First edit"  # what this build read

    monkeypatch.setattr(loader, "read_comment_files", real_read)
    site.build(**CACHED)
    body = site.article_html("two").select_one("#comment-c0 .comment-body")
    assert body.get_text() == "Second edit"
    assert comments_plugin.TIMERS.counts["from_cache"] == 5


def test_each_comment_file_is_stamped_once_a_build(site, monkeypatch):
    small_site(site)
    comments = str(site.content / "comments")
    stamped = []
    real_getmtime = os.path.getmtime

    def getmtime(path):
        if str(path).startswith(comments):
            stamped.append(str(path))
        return real_getmtime(path)

    monkeypatch.setattr(os.path, "getmtime", getmtime)
    site.build(**CACHED)  # cold: looked up, read, cached
    files = sorted(str(path) for path in (site.content / "comments").rglob("*.md"))
    assert sorted(stamped) == files
    stamped.clear()
    site.build(**CACHED)  # warm: looked up
    assert sorted(stamped) == files


def test_the_md5_stamp_method_caches_without_a_warning(site, caplog):
    small_site(site)
    with caplog.at_level(logging.WARNING):
        site.build(CHECK_MODIFIED_METHOD="md5", **CACHED)
        site.build(CHECK_MODIFIED_METHOD="md5", **CACHED)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert comments_plugin.TIMERS.counts["from_cache"] == 6


def test_a_bad_file_does_not_make_every_warm_build_save_the_cache_again(site):
    small_site(site)
    site.comment("one", "c8", date="garbage")  # never cached: it stays to be read
    site.build(COMMENTS_STRICT=False, **CACHED)
    cache_file = site.cache / comments_plugin.loader.CACHE_NAME
    os.utime(cache_file, (1_000_000, 1_000_000))
    saved = cache_file.stat()

    site.build(COMMENTS_STRICT=False, **CACHED)
    assert comments_plugin.TIMERS.counts["from_cache"] == 6
    assert (cache_file.stat().st_ino, cache_file.stat().st_mtime) == (saved.st_ino, 1_000_000)

    # A new record, or a file gone, still saves it.
    site.comment("two", "c9", "A late thought.", date="2026-03-01T10:00:00+00:00")
    site.build(COMMENTS_STRICT=False, **CACHED)
    assert cache_file.stat().st_mtime != 1_000_000
    os.utime(cache_file, (1_000_000, 1_000_000))
    (site.content / "comments" / "two" / "c9.md").unlink()
    site.build(COMMENTS_STRICT=False, **CACHED)
    assert cache_file.stat().st_mtime != 1_000_000
    site.build(COMMENTS_STRICT=False, **CACHED)
    assert comments_plugin.TIMERS.counts["from_cache"] == 6
