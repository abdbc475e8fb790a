"""The store's own guarantees, below any caller."""

import os
import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from moderation.errors import CommentChanged, StoreError, UnknownComment
from moderation.models import Comment, Decision, Label, SignalResult, State, Verdict, utcnow
from moderation.store import Store


def comment(body: str) -> Comment:
    return Comment(article="a-post", author="Reader", body=body)


def test_nested_transactions_commit_together(tmp_path):
    with Store(tmp_path / "m.db") as store:
        with store.transaction():
            store.comments.add(comment("first"))
            store.comments.add(comment("second"), status=State.SPAM, note="honeypot")
        assert store.comments.counts()["received"] == 1 and store.comments.counts()["spam"] == 1


def test_services_opening_a_new_database_together_all_get_it(tmp_path):
    """The intake and the review server may start at once on a fresh install. Turning
    a new file to WAL needs it alone, and SQLite does not wait for that by itself: one
    of them failed with "database is locked" before the store waited for it too."""
    failures: list[Exception] = []
    for attempt in range(20):
        path = tmp_path / str(attempt) / "moderation.db"
        start = threading.Barrier(8, timeout=30)

        def open_it(path: Path = path, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                with Store(path) as store:
                    store.comments.counts()
            except Exception as exc:
                failures.append(exc)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert failures == []


def test_a_failure_inside_rolls_back_the_whole_unit(tmp_path):
    with Store(tmp_path / "m.db") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.comments.add(comment("kept only if all succeed"))
            raise RuntimeError("the second write failed")
        assert sum(store.comments.counts().values()) == 0
        # The connection is usable again afterwards.
        assert store.comments.add(comment("later")).status is State.RECEIVED


def test_a_foreign_key_failure_is_not_reported_as_an_id_clash(tmp_path):
    with Store(tmp_path / "m.db") as store:
        stored = store.comments.add(comment("x"))
        with pytest.raises(StoreError, match="cannot store comment"):
            store.comments.add(comment("y").with_changes(id=stored.id))


def test_latest_screening_of_an_unscreened_comment_is_none(tmp_path):
    with Store(tmp_path / "m.db") as store:
        stored = store.comments.add(comment("x"))
        assert store.screenings.latest(stored.id) is None
        with pytest.raises(UnknownComment):
            store.comments.get("c-nope")


def test_an_inner_failure_caught_by_the_outer_keeps_the_rest(tmp_path):
    with Store(tmp_path / "m.db") as store:
        with store.transaction():
            store.comments.add(comment("one"))
            with pytest.raises(RuntimeError), store.transaction():
                store.comments.add(comment("two"))
                raise RuntimeError("inner")
            store.comments.add(comment("three"))
        assert sorted(c.body for c in store.comments.list()) == ["one", "three"]


def test_a_full_disk_is_reported_as_such_not_as_a_failed_rollback(tmp_path):
    with Store(tmp_path / "m.db") as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages + 1}")
        with (
            pytest.raises(sqlite3.OperationalError, match="full"),
            store.transaction(),
            store.transaction(),
        ):
            for number in range(200):
                store.comments.add(comment(f"{number} " + "x" * 2000))
        assert not store.in_transaction


def _open_files(path) -> int:
    """How many file descriptors of this process point at ``path``."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd) == os.path.realpath(path))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc/self/fd")
@pytest.mark.parametrize("problem", ["newer schema", "not a database"])
def test_a_database_that_cannot_be_opened_leaves_no_file_open(tmp_path, problem):
    path = tmp_path / "m.db"
    if problem == "newer schema":
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA user_version = 999")
        conn.close()
    else:
        path.write_bytes(b"this is not an SQLite file, " * 100)
    with pytest.raises(StoreError) as failure:
        Store(path)
    # The traceback still holds the half-made object: its connection must be closed.
    assert failure.value.__traceback__ is not None
    assert _open_files(path) == 0


def test_the_reason_filter_searches_each_reason_as_written_not_its_json(tmp_path):
    with Store(tmp_path / "m.db") as store:
        held = store.comments.add(comment("a pitch"))
        reasons = ("asks to be contacted: 'search for \"acme\" on etsy'", r"detail: 'C:\Temp'")
        store.screenings.record(
            held.id, Verdict(Decision.HOLD, 0.5, reasons, ()), version=held.version
        )
        for text in ('"acme"', r"C:\Temp", "etsy'", "ACME"):
            assert store.comments.count(reason=text) == 1, text
        # Pieces of the JSON the reasons are kept in are not part of any reason.
        for text in ('", "', "[", '\\"', "\\\\"):
            assert store.comments.count(reason=text) == 0, text


def test_signals_fired_counts_only_what_spoke_against_a_comment(tmp_path):
    favourable = (
        SignalResult("genuine", 0.0, "genuine: asks a question", findings=("asks",), weight=-1.0),
        SignalResult("relevance", 0.0, "relevance: on topic", findings=("on",), weight=-0.5),
        SignalResult("akismet", 0.0, "Akismet: ham", weight=-0.5),
    )
    against = (
        SignalResult("rules", 0.9, "rules: links", findings=("3 links",), weight=1.5),
        SignalResult("blocklist", 1.0, "blocked", floor=Decision.SPAM, findings=("blocked",)),
    )
    with Store(tmp_path / "m.db") as store:
        for body in ("first", "second"):
            stored = store.comments.add(comment(body))
            verdict = Verdict(Decision.HOLD, 0.5, ("x",), favourable + against)
            store.screenings.record(stored.id, verdict, version=stored.version)
        fired = store.stats.signals_fired(utcnow() - timedelta(days=1))
    assert fired == {"rules": 2, "blocklist": 2}


def test_a_moderator_acts_only_on_the_version_of_the_text_they_were_shown(tmp_path):
    with Store(tmp_path / "m.db") as store:
        shown = store.comments.add(comment("Good point about caching."))
        store.revisions.edit(shown.id, author="Reader", author_url=None, body="Cheap pills!")
        with pytest.raises(CommentChanged, match=f"comment {shown.id} was edited at ") as refused:
            store.decisions.moderate(shown.id, "approve", seen=shown.version)
        assert refused.value.comment_id == shown.id
        assert store.comments.get(shown.id).status is State.RECEIVED
        assert [d.actor for d in store.decisions.of(shown.id)] == ["intake", "author"]
        # The same words again are the same version: the moderator did see this text.
        store.revisions.edit(shown.id, author="Reader", author_url=None, body=shown.body)
        entry = store.decisions.moderate(shown.id, "approve", seen=shown.version)
        assert entry.to_state is State.APPROVED


@pytest.mark.parametrize("decided", [State.SPAM, State.REJECTED])
def test_an_edit_keeps_the_text_but_not_a_way_out_of_spam_or_rejected(tmp_path, decided):
    with Store(tmp_path / "m.db") as store:
        stored = store.comments.add(comment("Buy pills at http://pills.example"), status=decided)
        before = store.revisions.edit(
            stored.id, author="Reader", author_url=None, body="Nice post!", actor="webmention"
        )
        assert before is decided
        now = store.comments.get(stored.id)
        assert (now.status, now.body, now.edited_at is not None) == (decided, "Nice post!", True)
        assert [r.body for r in store.revisions.of(stored.id)] == [stored.body]
        assert store.screenings.due() == []
    # Withdrawn (rejected for good): an edit does not bring it back either.
    with Store(tmp_path / "w.db") as store:
        stored = store.comments.add(comment("First words."))
        store.revisions.withdraw(stored.id)
        store.revisions.edit(stored.id, author="Reader", author_url=None, body="Second words.")
        assert store.comments.get(stored.id).status is State.REJECTED
        assert store.screenings.due() == []


def test_every_change_to_what_the_model_learns_moves_the_training_generation_on(tmp_path):
    with Store(tmp_path / "m.db") as store:
        generation = store.trained.generation
        start = generation()
        stored = store.comments.add(comment("first"))
        verdict = Verdict(Decision.HOLD, 0.5, ("x",), ())
        store.screenings.record(stored.id, verdict, version=stored.version)
        assert generation() == start, "arrival and screening teach nothing"
        entry = store.decisions.moderate(stored.id, "spam")
        assert generation() == start + 1
        store.decisions.undo([entry.id], actor="moderator")
        assert generation() == start + 2
        store.revisions.edit(stored.id, author="Reader", author_url=None, body="second")
        assert generation() == start + 3
        example = comment("an example").with_changes(email="me@example.org")
        store.training.add_many([(example, Label.HAM)], source="test")
        assert generation() == start + 4
        store.privacy.erase_by_email("nobody@example.org")  # nothing erased: nothing moves
        assert generation() == start + 4
        store.training.erase_by_email("me@example.org")
        assert generation() == start + 5
        store.comments.add(comment("mine").with_changes(email="me@example.org"))
        store.privacy.erase_by_email("me@example.org")
        assert generation() == start + 6
