"""Retention, export and erasure of one commenter's data."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from moderation.comment_files import REMOVED_AUTHOR, REMOVED_BODY
from moderation.models import State
from moderation.privacy import apply_retention, erase_commenter, export_commenter, mask_email
from moderation.publish import publish
from tests.moderation.conftest import add

RECEIVED = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_mask_email():
    assert mask_email("jane@example.org") == "j***@example.org"
    assert mask_email(None) == ""


def test_retention_hashes_ip_and_user_agent_after_the_window(store, settings):
    comment = add(store, ip="203.0.113.7", user_agent="Firefox/140", received_at=RECEIVED)
    assert apply_retention(store, settings, now=RECEIVED + timedelta(days=29)) == 0
    assert store.privacy.request_context(comment.id)["ip"] == "203.0.113.7"

    assert apply_retention(store, settings, now=RECEIVED + timedelta(days=31)) == 1
    context = store.privacy.request_context(comment.id)
    assert context["ip"] is None and context["user_agent"] is None
    assert context["ip_hash"] == store.keys.keyed_hash("ip", "203.0.113.7")
    assert context["user_agent_hash"] == store.keys.keyed_hash("user_agent", "Firefox/140")
    assert "203.0.113.7" not in context["ip_hash"]
    # Nothing else about the comment is lost.
    assert store.comments.get(comment.id).body == comment.body


def test_retention_days_come_from_the_settings(store, settings):
    add(store, ip="203.0.113.7", received_at=RECEIVED)
    short = settings.with_overrides(COMMENTS_RETENTION_DAYS=1)
    assert apply_retention(store, short, now=RECEIVED + timedelta(days=2)) == 1


def test_export_holds_everything_about_one_commenter(store, settings, site):
    mine = add(store, status=State.APPROVED, ip="203.0.113.7", user_agent="Firefox/140")
    add(store, email="someone@else.org", body="Not mine.")
    held = add(store, email="JANE@example.org", body="Second one.", status=State.HELD)
    store.decisions.moderate(held.id, "reject", note="off topic")
    publish(store, settings)

    data = export_commenter(store, settings, "jane@example.org")
    json.dumps(data)  # JSON-ready
    assert data["email"] == "jane@example.org"
    assert data["avatar"] == store.keys.avatar_hash("jane@example.org")
    by_id = {c["id"]: c for c in data["comments"]}
    assert set(by_id) == {mine.id, held.id}
    published = by_id[mine.id]
    assert published["request"]["ip"] == "203.0.113.7"
    assert published["published_file"] == str(
        site.comments_dir.resolve() / "first-steps" / f"{mine.id}.md"
    )
    assert "A thoughtful remark" in published["published_text"]
    assert by_id[held.id]["published_file"] is None
    assert [d["to"] for d in by_id[held.id]["decisions"]] == ["held", "rejected"]
    assert by_id[held.id]["decisions"][-1]["note"] == "off topic"


def test_erase_deletes_rows_and_published_files(store, settings, site):
    mine = add(store, status=State.APPROVED)
    reply_by_me = add(store, status=State.APPROVED, body="And more.", reply_to=mine.id)
    other = add(store, email="ola@example.org", author="Ola", body="Mine.", status=State.APPROVED)
    publish(store, settings)

    report = erase_commenter(store, settings, "jane@example.org")
    assert report.email == "j***@example.org"
    assert sorted(report.comments) == sorted([mine.id, reply_by_me.id])
    folder = site.comments_dir.resolve() / "first-steps"
    assert sorted(report.files_removed) == sorted(
        [folder / f"{mine.id}.md", folder / f"{reply_by_me.id}.md"]
    )
    assert report.tombstones == []
    assert store.comments.list(email="jane@example.org") == []
    assert store.decisions.of(mine.id) == []
    assert sorted(p.name for p in folder.iterdir()) == [f"{other.id}.md"]
    # The next publish neither brings them back nor stumbles.
    assert publish(store, settings).written == []


def test_erase_leaves_a_tombstone_where_others_replied(store, settings, site):
    mine = add(store, status=State.APPROVED, author_url="https://jane.example")
    my_reply = add(store, status=State.APPROVED, body="Me again.", reply_to=mine.id)
    answer = add(
        store,
        email="ola@example.org",
        author="Ola",
        body="Answering Jane's second comment.",
        status=State.APPROVED,
        reply_to=my_reply.id,
    )
    lonely = add(store, status=State.APPROVED, body="Nobody answered this.")
    publish(store, settings)

    report = erase_commenter(store, settings, "jane@example.org")
    folder = site.comments_dir.resolve() / "first-steps"
    # The chain above Ola's answer stays as tombstones; the rest goes.
    assert sorted(report.tombstones) == sorted(
        [folder / f"{mine.id}.md", folder / f"{my_reply.id}.md"]
    )
    assert report.files_removed == [folder / f"{lonely.id}.md"]
    for path in report.tombstones:
        text = path.read_text(encoding="utf-8")
        assert f"author: {REMOVED_AUTHOR}\n" in text
        assert text.endswith(f"\n\n{REMOVED_BODY}\n")
        assert "avatar" not in text and "author_url" not in text and "Jane" not in text
    assert f"reply_to: {mine.id}\n" in (folder / f"{my_reply.id}.md").read_text(encoding="utf-8")

    # Publishing again keeps Ola's reply (its parent is a file the store no longer knows).
    again = publish(store, settings)
    assert again.removed == [] and again.skipped == []
    assert (folder / f"{answer.id}.md").exists()


def test_erase_of_an_unknown_email_changes_nothing(store, settings):
    add(store)
    report = erase_commenter(store, settings, "nobody@example.org")
    assert report.comments == []
    assert len(store.comments.list()) == 1
