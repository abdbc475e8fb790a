"""The store's own guarantees, below any caller."""

import pytest

from moderation.errors import StoreError, UnknownComment
from moderation.models import Comment, State
from moderation.store import Store


def comment(body: str) -> Comment:
    return Comment(article="a-post", author="Reader", body=body)


def test_nested_transactions_commit_together(tmp_path):
    with Store(tmp_path / "m.db") as store:
        with store.transaction():
            store.add_comment(comment("first"))
            store.add_comment(comment("second"), status=State.SPAM, note="honeypot")
        assert store.counts()["received"] == 1 and store.counts()["spam"] == 1


def test_a_failure_inside_rolls_back_the_whole_unit(tmp_path):
    with Store(tmp_path / "m.db") as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.add_comment(comment("kept only if all succeed"))
            raise RuntimeError("the second write failed")
        assert sum(store.counts().values()) == 0
        # The connection is usable again afterwards.
        assert store.add_comment(comment("later")).status is State.RECEIVED


def test_a_foreign_key_failure_is_not_reported_as_an_id_clash(tmp_path):
    with Store(tmp_path / "m.db") as store:
        stored = store.add_comment(comment("x"))
        with pytest.raises(StoreError, match="cannot store comment"):
            store.add_comment(comment("y").with_changes(id=stored.id))


def test_latest_screening_of_an_unscreened_comment_is_none(tmp_path):
    with Store(tmp_path / "m.db") as store:
        stored = store.add_comment(comment("x"))
        assert store.latest_screening(stored.id) is None
        with pytest.raises(UnknownComment):
            store.get("c-nope")
