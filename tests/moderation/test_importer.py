"""Importing JSON-lines files of comments collected elsewhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from moderation.errors import InputError
from moderation.importers import import_file
from moderation.models import State
from tests.moderation.conftest import add


def write_lines(path, *records):
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_imports_with_request_context_and_threads_by_ref(store, settings, tmp_path):
    path = write_lines(
        tmp_path / "inbox.jsonl",
        {
            "ref": "q1",
            "article": "first-steps",
            "name": "Jane",
            "email": "jane@example.org",
            "url": "https://jane.example",
            "body": "How do you start a study group?",
            "ip": "203.0.113.7",
            "user_agent": "Firefox/140",
            "referrer": "https://search.example/?q=groups",
            "received_at": "2026-11-20T08:30:00+01:00",
        },
        "",
        {"article": "first-steps", "author": "Ola", "body": "Start small.", "reply_to": "q1"},
    )
    report = import_file(store, settings, path)
    assert report.errors == [] and report.lines == 2
    question, answer = report.imported
    stored = store.comments.get(question.id)
    assert stored.status is State.RECEIVED
    assert stored.origin == "import"
    assert (stored.ip, stored.user_agent, stored.referrer) == (
        "203.0.113.7",
        "Firefox/140",
        "https://search.example/?q=groups",
    )
    assert stored.received_at == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert stored.author_url == "https://jane.example"
    assert store.comments.get(answer.id).reply_to == question.id


def test_reply_to_may_name_a_stored_comment(store, settings, tmp_path):
    parent = add(store)
    path = write_lines(
        tmp_path / "in.jsonl",
        {"article": "first-steps", "name": "Ola", "body": "Yes.", "reply_to": parent.id},
        {"article": "second-thoughts", "name": "Ola", "body": "No.", "reply_to": parent.id},
    )
    report = import_file(store, settings, path)
    assert store.comments.get(report.imported[0].id).reply_to == parent.id
    assert report.errors == [
        f"{path}:line 2: reply_to: {parent.id!r} belongs to article 'first-steps', "
        "not 'second-thoughts'"
    ]


def test_bad_lines_are_named_and_the_good_ones_still_imported(store, settings, tmp_path):
    path = write_lines(
        tmp_path / "mixed.jsonl",
        {"article": "first-steps", "name": "Good One", "body": "Fine."},
        '{"article": "first-steps", "name": "Broken", ',
        {"article": "no-such-article", "name": "Lost", "body": "Where am I?"},
        {"article": "first-steps", "name": "", "body": "Nameless."},
        {"article": "first-steps", "name": "Bad URL", "body": "x", "url": "javascript:alert(1)"},
        {"article": "first-steps", "name": "Orphan", "body": "x", "reply_to": "missing-ref"},
        {"article": "first-steps", "name": "Typo", "body": "x", "emial": "a@b.org"},
        {"article": "first-steps", "name": "Naive", "body": "x", "received_at": "2026-11-20"},
        {"article": "first-steps", "name": "Bad IP", "body": "x", "ip": "300.1.1.1"},
        '["not", "an", "object"]',
        {"article": "first-steps", "name": "Good Two", "body": "Also fine."},
    )
    report = import_file(store, settings, path)
    assert [c.author for c in report.imported] == ["Good One", "Good Two"]
    assert len(store.comments.list()) == 2
    assert [e.split(": ", 1)[0] for e in report.errors] == [
        f"{path}:line {n}" for n in (2, 3, 4, 5, 6, 7, 8, 9, 10)
    ]
    messages = "\n".join(report.errors)
    assert "not valid JSON" in messages
    assert "article: no article has the slug 'no-such-article'" in messages
    assert "name: is required" in messages
    assert "url: must be an http:// or https:// address" in messages
    assert "no earlier line has id or ref 'missing-ref'" in messages
    assert "unknown field(s) 'emial'" in messages
    assert "received_at: date '2026-11-20' has no UTC offset" in messages
    assert "ip: not an IP address" in messages
    assert "expected a JSON object, got list" in messages


def test_a_reply_to_a_refused_line_is_refused_too(store, settings, tmp_path):
    path = write_lines(
        tmp_path / "in.jsonl",
        {"ref": "a", "article": "nowhere", "name": "A", "body": "x"},
        {"article": "first-steps", "name": "B", "body": "y", "reply_to": "a"},
        {"ref": "a", "article": "first-steps", "name": "C", "body": "z"},
    )
    report = import_file(store, settings, path)
    assert report.imported == []
    assert report.errors[1] == f"{path}:line 2: reply_to: line 1 ('a') was not imported"
    assert report.errors[2] == f"{path}:line 3: ref: 'a' is already used on line 1"


def test_importing_twice_adds_nothing_the_second_time(store, settings, tmp_path):
    path = write_lines(
        tmp_path / "in.jsonl",
        {"ref": "q", "article": "first-steps", "name": "Jane", "body": "Question?"},
        {"article": "first-steps", "name": "Ola", "body": "Answer.", "reply_to": "q"},
    )
    first = import_file(store, settings, path)
    second = import_file(store, settings, path)
    assert len(first.imported) == 2
    assert second.imported == [] and second.errors == []
    assert second.duplicates == [(1, first.imported[0].id), (2, first.imported[1].id)]
    assert len(store.comments.list()) == 2


def test_an_unreadable_file_is_a_clear_error(store, settings, tmp_path):
    with pytest.raises(InputError, match=r"cannot read .*missing\.jsonl"):
        import_file(store, settings, tmp_path / "missing.jsonl")


def test_a_line_that_is_not_utf8_is_an_error_and_the_others_are_kept(store, settings, tmp_path):
    latin1 = tmp_path / "latin1.jsonl"
    good = '{"article": "first-steps", "name": "Ann", "body": "Fine."}\n'
    latin1.write_bytes(good.encode() + '{"body": "caf\xe9"}\n'.encode("latin-1"))
    report = import_file(store, settings, latin1)
    assert [c.author for c in report.imported] == ["Ann"]
    assert report.errors == [f"{latin1}:line 2: not valid UTF-8 (byte 14)"]


def test_a_byte_order_mark_is_tolerated(store, settings, tmp_path):
    path = tmp_path / "bom.jsonl"
    line = json.dumps({"article": "first-steps", "name": "Jane", "body": "Hello."})
    path.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n")
    report = import_file(store, settings, path)
    assert report.errors == [] and len(report.imported) == 1


def test_the_same_file_imported_into_two_databases_publishes_the_same_files(tmp_path):
    # The demo imports its inbox into a fresh database each time: no second copies.
    from moderation.cli import main
    from moderation.store import Store

    content = tmp_path / "content"
    (content / "articles").mkdir(parents=True)
    (content / "articles" / "a.md").write_text(
        "Title: A post\nSlug: a-post\nDate: 2026-01-01 10:00+00:00\n\nText.\n", encoding="utf-8"
    )
    inbox = tmp_path / "inbox.jsonl"
    inbox.write_text(
        '{"article": "a-post", "name": "Ann", "body": "First.", "ref": "r1",'
        ' "received_at": "2026-01-02T10:00:00+00:00"}\n'
        '{"article": "a-post", "name": "Bo", "body": "Reply.", "reply_to": "r1",'
        ' "received_at": "2026-01-02T11:00:00+00:00"}\n',
        encoding="utf-8",
    )
    settings = tmp_path / "conf.py"
    settings.write_text('PATH = "content"\n', encoding="utf-8")
    published = []
    for name in ("one.db", "two.db"):
        db = str(tmp_path / name)
        assert main(["--db", db, "--settings", str(settings), "import", str(inbox)]) == 0
        with Store(db) as store:
            for comment in store.comments.list():
                store.decisions.moderate(comment.id, "approve")
        assert main(["--db", db, "--settings", str(settings), "publish"]) == 0
        published.append(sorted(p.name for p in (content / "comments").rglob("*.md")))
    assert len(published[0]) == 2
    assert published[0] == published[1]
