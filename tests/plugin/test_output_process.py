"""Feeds and threads.json written by a forked child process, and the fallbacks."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from .conftest import comments_plugin
from .test_cache import small_site, snapshot

forked = comments_plugin.forked
generator = comments_plugin.generator


def _no_fork() -> bool:
    return False


def test_child_process_and_thread_write_identical_output(site, monkeypatch):
    small_site(site, count=30)
    site.article("quiet")
    site.build(SITEURL="https://blog.example", CACHE_CONTENT=True)
    from_child = snapshot(site.output)
    assert comments_plugin.TIMERS.seconds["feeds"] > 0  # reported back by the child
    assert not forked._running
    shutil.rmtree(site.output)

    monkeypatch.setattr(generator, "fork_available", _no_fork)
    site.build(SITEURL="https://blog.example", CACHE_CONTENT=True)
    assert snapshot(site.output) == from_child


def test_child_process_error_fails_the_build(site):
    small_site(site)
    # A file where the feeds folder should be: the child cannot write the feeds.
    site.output.mkdir()
    (site.output / "feeds").write_text("in the way")
    with pytest.raises(OSError, match=r"feeds") as caught:
        site.build()
    assert any("comments output process" in note for note in caught.value.__notes__)
    assert not forked._running


def test_thread_error_fails_the_build_too(site, monkeypatch):
    small_site(site)
    site.output.mkdir()
    (site.output / "feeds").write_text("in the way")
    monkeypatch.setattr(generator, "fork_available", _no_fork)
    with pytest.raises(OSError, match=r"feeds"):
        site.build()


def _killed_child(function, pipe):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_child_is_replaced_by_writing_in_process(site, monkeypatch, caplog):
    small_site(site, count=10)
    site.build()
    expected = snapshot(site.output)
    shutil.rmtree(site.output)

    monkeypatch.setattr(forked.ForkedCall, "_run_child", staticmethod(_killed_child))
    site.build()
    assert "killed by SIGKILL" in caplog.text
    assert "writing the feeds in this process" in caplog.text
    assert snapshot(site.output) == expected


def test_a_failed_fork_falls_back_to_a_thread(site, monkeypatch, caplog):
    small_site(site, count=4)

    def refuse() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(forked.os, "fork", refuse)
    site.build()
    assert "cannot fork" in caplog.text
    assert (site.output / "feeds" / "comments" / "one.atom.xml").is_file()
    assert (site.output / "comments" / "threads.json").is_file()


def test_unpicklable_child_error_still_names_the_problem():
    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("no pickling")

    def fail():
        raise Unpicklable("the disk is on fire")

    call = forked.ForkedCall(fail, "test")
    with pytest.raises(RuntimeError, match="Unpicklable: the disk is on fire"):
        call.join()


def test_child_error_that_cannot_be_rebuilt_keeps_its_message():
    def fail():
        raise comments_plugin.CommentFileError("/site/comments/a/c1.md", "broken on purpose")

    call = forked.ForkedCall(fail, "test")
    with pytest.raises(RuntimeError, match=r"CommentFileError: /site/comments/a/c1.md: broken"):
        call.join()


def test_child_result_comes_back_and_leftovers_are_stopped():
    assert forked.ForkedCall(lambda: {"answer": 42}, "test").join() == {"answer": 42}

    read_end, write_end = os.pipe()

    def wait_forever():
        os.read(read_end, 1)

    call = forked.ForkedCall(wait_forever, "test")
    pid = call.pid
    assert forked._running == {call}
    forked.stop_leftovers()
    os.close(read_end)
    os.close(write_end)
    assert not forked._running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not a zombie
