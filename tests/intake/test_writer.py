"""The writer thread on a real SQLite file: durability setting, group commit and its fallback."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.from_thread
import pytest

from moderation.intake import Submission
from moderation.models import Comment, State
from moderation.store import Store
from moderation.web import writer as writer_module
from moderation.web.writer import CommentWriter, StoreUnavailable

FULL = 2  # PRAGMA synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


def run_with_writer(db, scenario: Callable[[CommentWriter], Awaitable[Any]], **options: Any) -> Any:
    async def main() -> Any:
        writer = CommentWriter(db, **options)
        writer.start()
        try:
            return await scenario(writer)
        finally:
            await asyncio.to_thread(writer.stop)

    # A loop of its own, in its own thread: the browser tests leave one running here.
    with anyio.from_thread.start_blocking_portal() as portal:
        return portal.call(main)


async def submit_as_one_batch(
    writer: CommentWriter, submissions: list[Submission]
) -> list[Comment | BaseException]:
    """Queue ``submissions`` while the writer is busy, so that it takes them together."""
    entered, release = threading.Event(), threading.Event()

    def hold_the_writer(store: Store) -> None:
        entered.set()
        release.wait(10)

    busy = asyncio.ensure_future(writer.call(hold_the_writer))
    while not entered.is_set():
        await asyncio.sleep(0.001)
    tasks = [asyncio.ensure_future(writer.submit(s)) for s in submissions]
    while writer.pending < len(submissions):
        await asyncio.sleep(0.001)
    release.set()
    await busy
    return list(await asyncio.gather(*tasks, return_exceptions=True))


def test_the_writer_commits_with_synchronous_full(tmp_path):
    # A submission is answered once committed; FULL keeps it across a power cut.
    async def scenario(writer: CommentWriter) -> int:
        return await writer.call(
            lambda store: store.conn.execute("PRAGMA synchronous").fetchone()[0]
        )

    assert run_with_writer(tmp_path / "m.db", scenario) == FULL


def test_a_batch_that_fails_is_rolled_back_then_stored_one_by_one(tmp_path):
    db = tmp_path / "m.db"
    with Store(db) as store:
        existing = store.comments.add(Comment("a", "Old", "Already here"))
    good = [Submission(Comment("a", f"Reader {n}", f"Comment number {n}")) for n in range(3)]
    # The honeypot catch is written last in the batch and fails (its id is taken).
    bad = Submission(Comment("a", "Bot", "Bot text", id=existing.id), honeypot=True)

    async def scenario(writer: CommentWriter) -> list[Any]:
        return await submit_as_one_batch(writer, [*good, bad])

    results = run_with_writer(db, scenario)
    assert [type(r) for r in results] == [Comment, Comment, Comment, StoreUnavailable]
    with Store(db) as store:
        kept = {c.id: c for c in store.comments.list()}
    assert set(kept) == {existing.id, *(r.id for r in results[:3])}
    assert {kept[r.id].status for r in results[:3]} == {State.RECEIVED}


def test_a_batch_stored_despite_an_error_is_never_answered_as_a_duplicate(tmp_path, monkeypatch):
    db = tmp_path / "m.db"
    real_accept_many = writer_module.accept_many
    calls = []

    def unclear_failure(store: Store, submissions: list[Submission]) -> list[Any]:
        # The commit happens, then the writer sees an error (a disk error while
        # committing leaves the outcome unclear): it falls back to one by one.
        calls.append(len(submissions))
        results = real_accept_many(store, submissions)
        if len(calls) == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return results

    monkeypatch.setattr(writer_module, "accept_many", unclear_failure)
    submissions = [
        Submission(Comment("a", "Ann", "First words")),
        Submission(Comment("a", "Bo", "Second words")),
        Submission(Comment("a", "Bot", "Trapped words"), honeypot=True),
    ]

    async def scenario(writer: CommentWriter) -> list[Any]:
        return await submit_as_one_batch(writer, submissions)

    results = run_with_writer(db, scenario)
    assert calls == [3, 1, 1, 1]
    assert all(isinstance(r, Comment) for r in results), results
    assert [r.status for r in results] == [State.RECEIVED, State.RECEIVED, State.SPAM]
    with Store(db) as store:
        assert sorted(c.id for c in store.comments.list()) == sorted(r.id for r in results)


@pytest.mark.parametrize("size", [1, 2])
def test_a_write_lock_held_past_the_timeout_is_503_for_each(tmp_path, size):
    """Another process holds SQLite's write lock (a real one) longer than the writer waits."""
    db = tmp_path / "m.db"
    Store(db).close()  # created and migrated before the lock is taken
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    submissions = [Submission(Comment("a", f"R{n}", f"Words {n}")) for n in range(size)]

    async def scenario(writer: CommentWriter) -> list[Any]:
        return await submit_as_one_batch(writer, submissions)

    try:
        results = run_with_writer(db, scenario, busy_timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [type(r) for r in results] == [StoreUnavailable] * size
    with Store(db) as store:
        assert store.comments.list() == []  # nothing half-stored
