"""Publishing approved comments into content/comments/<slug>/<id>.md."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from moderation.comment_files import PublishError, write_atomically
from moderation.models import Comment, Label, State
from moderation.publish import publish, publish_approved
from moderation.store import Store
from tests.moderation.conftest import add


def write_by_hand(folder, comment_id, reply_to=None):
    """A comment file the owner wrote: the store has never seen its id."""
    folder.mkdir(parents=True, exist_ok=True)
    reply = f"reply_to: {reply_to}\n" if reply_to else ""
    path = folder / f"{comment_id}.md"
    path.write_text(
        f"id: {comment_id}\nauthor: Owner\ndate: 2026-01-01T00:00:00+00:00\n{reply}"
        "status: approved\n\nHi\n",
        encoding="utf-8",
    )
    return path


def read_file(path):
    header, body = path.read_text(encoding="utf-8").split("\n\n", 1)
    fields = dict(line.split(": ", 1) for line in header.splitlines())
    return fields, body


def test_writes_the_contract_format(store, settings, site):
    parent = add(store, status=State.APPROVED, author_url="https://jane.example")
    reply = add(
        store,
        author="Ola\nNordmann",
        email=None,
        body="Thanks, **Jane**!\n\n<script>alert(1)</script>",
        status=State.APPROVED,
        reply_to=parent.id,
    )
    report = publish(store, settings)

    parent_path = site.comments_dir / "first-steps" / f"{parent.id}.md"
    reply_path = site.comments_dir / "first-steps" / f"{reply.id}.md"
    assert sorted(report.written) == sorted([parent_path, reply_path])
    fields, body = read_file(parent_path)
    assert fields == {
        "id": parent.id,
        "author": "Jane Doe",
        "date": "2026-11-20T10:00:00+00:00",
        "author_url": "https://jane.example",
        "avatar": store.keys.avatar_hash("jane@example.org"),
        "status": "approved",
    }
    assert datetime.fromisoformat(fields["date"]).tzinfo is not None
    assert body == "A thoughtful remark about learning together.\n"
    assert "jane@example.org" not in parent_path.read_text(encoding="utf-8")

    fields, body = read_file(reply_path)
    assert fields["reply_to"] == parent.id
    assert fields["author"] == "Ola Nordmann"  # one line, always
    assert "avatar" not in fields and "author_url" not in fields
    # Verbatim Markdown: sanitising is the plugin's job, at render time.
    assert body == "Thanks, **Jane**!\n\n<script>alert(1)</script>\n"


def test_is_idempotent_and_rewrites_only_what_changed(store, settings, site):
    first = add(store, status=State.APPROVED)
    second = add(store, status=State.APPROVED, body="Another view.")
    publish(store, settings)
    path = site.comments_dir / "first-steps" / f"{first.id}.md"
    before = path.stat().st_mtime_ns
    os.utime(path, ns=(before - 10**9, before - 10**9))  # make a rewrite detectable

    report = publish(store, settings)
    assert report.written == [] and report.removed == []
    assert len(report.unchanged) == 2
    assert path.stat().st_mtime_ns == before - 10**9

    # A changed file (edited by hand) is put back to the store's version.
    other = site.comments_dir / "first-steps" / f"{second.id}.md"
    other.write_text("tampered", encoding="utf-8")
    report = publish(store, settings)
    assert report.written == [other]
    assert "Another view." in other.read_text(encoding="utf-8")


def test_removes_files_of_comments_no_longer_approved_but_never_foreign_files(
    store, settings, site
):
    comment = add(store, status=State.APPROVED)
    publish(store, settings)
    hand_written = write_by_hand(site.comments_dir / "first-steps", "by-hand-1")
    store.decisions.moderate(comment.id, "reject")

    report = publish(store, settings)
    path = site.comments_dir / "first-steps" / f"{comment.id}.md"
    assert report.removed == [path]
    assert not path.exists()
    assert hand_written.exists()


def test_removes_the_empty_folder_of_an_article_with_no_comments_left(store, settings, site):
    comment = add(store, status=State.APPROVED, article="second-thoughts")
    publish(store, settings)
    store.decisions.moderate(comment.id, "spam")
    publish(store, settings)
    assert not (site.comments_dir / "second-thoughts").exists()


def test_a_reply_waits_for_its_parent(store, settings, site):
    parent = add(store, status=State.HELD)
    reply = add(store, status=State.APPROVED, body="I agree.", reply_to=parent.id)
    grandchild = add(store, status=State.APPROVED, body="Me too.", reply_to=reply.id)

    report = publish(store, settings)
    assert report.written == []
    assert dict(report.skipped) == {
        reply.id: f"waiting: its parent {parent.id} is not published",
        grandchild.id: f"waiting: its parent {reply.id} is not published",
    }

    store.decisions.moderate(parent.id, "approve")
    report = publish(store, settings)
    assert len(report.written) == 3 and report.skipped == []

    # Unpublishing the parent takes the whole branch down with it.
    store.decisions.moderate(parent.id, "reject")
    report = publish(store, settings)
    assert len(report.removed) == 3
    assert not (site.comments_dir / "first-steps").exists()


def test_a_reply_to_a_hand_written_comment_is_published(store, settings, site):
    folder = site.comments_dir / "first-steps"
    write_by_hand(folder, "owner-note")
    reply = add(store, status=State.APPROVED, reply_to="owner-note")
    elsewhere = add(store, status=State.APPROVED, article="second-thoughts", reply_to="owner-note")
    report = publish(store, settings)
    assert report.written == [folder / f"{reply.id}.md"]
    assert report.skipped == [(elsewhere.id, "waiting: its parent owner-note is not published")]


def test_replies_in_hand_written_files_are_read_as_the_build_reads_them(tmp_path):
    from comment_format.files import parse_comment_file, reply_to_of
    from moderation.comment_files import replies_in_file_tree

    folder = tmp_path / "comments" / "first-steps"
    folder.mkdir(parents=True)
    date = "date: 2026-01-01T00:00:00+00:00"
    texts = {
        # Windows line endings: the line quoted in the body is body, not metadata.
        "owner-note": f"id: owner-note\r\nauthor: Owner\r\n{date}\r\nstatus: approved\r\n"
        "\r\nA file says:\r\nreply_to: c-quoted\r\n",
        "answer": f"id: answer\r\nauthor: Ann\r\n{date}\r\nreply_to: owner-note\r\n"
        "status: approved\r\n\r\nThanks.\r\n",
        # A line of spaces ends the metadata too.
        "spaced": f"id: spaced\nauthor: Bo\n{date}\nstatus: approved\n   \nreply_to: c-quoted\n",
    }
    for name, text in texts.items():
        raw = text.encode("utf-8")
        (folder / f"{name}.md").write_bytes(raw)
        assert reply_to_of(raw) == parse_comment_file(raw, f"{name}.md").reply_to, name
    assert replies_in_file_tree(tmp_path / "comments", "first-steps") == {"owner-note": {"answer"}}


def test_a_comment_for_an_unknown_article_is_skipped(store, settings, site):
    comment = add(store, status=State.APPROVED, article="no-such-article")
    report = publish(store, settings)
    assert report.written == []
    assert report.skipped == [(comment.id, "article 'no-such-article' does not exist")]
    assert not (site.comments_dir / "no-such-article").exists()


def test_content_dir_overrides_the_settings(store, settings, tmp_path, site):
    other = tmp_path / "elsewhere"
    (other / "articles").mkdir(parents=True)
    (other / "articles" / "a.md").write_text(
        "Title: A\nSlug: second-thoughts\n\nText.\n", encoding="utf-8"
    )
    add(store, status=State.APPROVED, article="second-thoughts")
    add(store, status=State.APPROVED, article="first-steps")
    report = publish(store, settings, content_dir=other)
    assert [p.parent for p in report.written] == [other / "comments" / "second-thoughts"]
    assert len(report.skipped) == 1
    assert not site.comments_dir.exists()


def test_atomic_write_leaves_no_temporary_files_and_survives_a_failure(tmp_path, monkeypatch):
    path = tmp_path / "a" / "c-1.md"
    assert write_atomically(path, "one\n") is True
    assert write_atomically(path, "one\n") is False
    assert path.stat().st_mode & 0o777 == 0o644

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(PublishError, match=r"cannot write .*c-1\.md: disk full"):
        write_atomically(path, "two\n")
    assert path.read_text(encoding="utf-8") == "one\n"  # the old file is whole
    assert sorted(p.name for p in path.parent.iterdir()) == ["c-1.md"]


def test_training_examples_are_never_published(store, settings, site):
    example = Comment("first-steps", "Ann", "A ham example for the model.")
    store.training.add_many([(example, Label.HAM)], source="train:t.jsonl")
    report = publish(store, settings)
    assert report.written == [] and report.skipped == []
    assert not site.comments_dir.exists()


def test_a_stale_copy_in_another_article_folder_is_removed(store, settings, site):
    comment = add(store, status=State.APPROVED)
    stale = site.comments_dir / "second-thoughts" / f"{comment.id}.md"
    stale.parent.mkdir(parents=True)
    stale.write_text("id: moved\n", encoding="utf-8")

    report = publish(store, settings)

    assert report.written == [site.comments_dir / "first-steps" / f"{comment.id}.md"]
    assert report.removed == [stale]
    assert not stale.parent.exists()


def test_a_file_for_a_comment_now_spam_goes_and_foreign_replies_keep_their_parent(
    store, settings, site
):
    parent = add(store, status=State.APPROVED)
    publish(store, settings)
    by_hand = write_by_hand(site.comments_dir / "first-steps", "by-hand-2", reply_to=parent.id)
    reply = add(store, status=State.APPROVED, body="Replying to the owner.", reply_to="by-hand-2")
    store.decisions.moderate(parent.id, "spam")

    report = publish(store, settings)

    assert report.removed == [site.comments_dir / "first-steps" / f"{parent.id}.md"]
    assert report.written == [site.comments_dir / "first-steps" / f"{reply.id}.md"]
    assert by_hand.exists()


def test_publish_approved_hashes_old_request_context_first(site, settings):
    """What ``moderation publish`` and the review UI's button both call."""
    now = datetime.now(UTC)
    with Store(site.db) as store:
        old = add(
            store,
            status=State.APPROVED,
            ip="203.0.113.7",
            user_agent="Firefox/140",
            received_at=now - timedelta(days=31),  # COMMENTS_RETENTION_DAYS is 30
        )
        recent = add(store, status=State.HELD, ip="203.0.113.8", received_at=now)

        report = publish_approved(store, settings, now=now)

        assert report.retention_hashed == 1
        assert report.written == [site.comments_dir / "first-steps" / f"{old.id}.md"]
        assert store.privacy.request_context(old.id)["ip"] is None
        assert store.privacy.request_context(old.id)["ip_hash"]
        assert store.privacy.request_context(recent.id)["ip"] == "203.0.113.8"
        assert publish_approved(store, settings, now=now).retention_hashed == 0
