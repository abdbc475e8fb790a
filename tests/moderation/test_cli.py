"""Every CLI command, in-process through ``cli.main([...])`` against real SQLite files."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest

from moderation.models import Decision, SignalResult, State, Verdict
from moderation.store import Store
from tests.moderation.conftest import add

OLD = datetime(2025, 1, 1, tzinfo=UTC)


def write_jsonl(path, *records):
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
        encoding="utf-8",
    )
    return path


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def stored(site):
    """Three comments in known states; the store is closed again before the CLI runs."""
    with Store(site.db) as store:
        held = add(store, author="[bold]Eve[/bold]", ip="203.0.113.7", user_agent="Firefox/140")
        store.screenings.record(
            held.id,
            Verdict(
                Decision.HOLD,
                0.55,
                ("2 links (max_links is 2)", "mentions a discount"),
                (
                    SignalResult("rules", 0.6, "2 links (max_links is 2)", Decision.HOLD),
                    SignalResult("promotion", 0.5, "mentions a discount", findings=("discount",)),
                ),
            ),
            version=held.version,
        )
        store.conn.execute("UPDATE comments SET status = 'held' WHERE id = ?", (held.id,))
        spam = add(store, body="Buy now", email="spam@example.net", status=State.SPAM)
        other = add(store, article="second-thoughts", body="Elsewhere.", received_at=OLD)
    return held, spam, other


def test_status(run, stored):
    result = run("status", "--json")
    assert result.code == 0
    assert json.loads(result.out) == {
        "received": 0,
        "approved": 0,
        "held": 2,
        "spam": 1,
        "rejected": 0,
    }
    table = run("status")
    assert "held" in table.out and "total" in table.out and "3" in table.out


def test_list_shows_the_queue_with_reasons_and_no_emails(run, stored):
    held, spam, other = stored
    result = run("list", "--status", "held")
    assert result.code == 0
    assert held.id in result.out and other.id in result.out and spam.id not in result.out
    assert "[bold]Eve[/bold]" in result.out  # author text, not rich markup
    assert "0.55" in result.out and "2 links (max_links is 2)" in result.out
    assert "not screened yet" in result.out
    assert "@" not in result.out
    assert run("list", "--article", "second-thoughts").out.count("c-") == 1
    by_reason = run("list", "--reason", "discount")
    assert held.id in by_reason.out and other.id not in by_reason.out
    assert "no comments match" in run("list", "--status", "approved").out


def test_show_tells_everything_but_the_email(run, stored):
    held, _spam, _other = stored
    result = run("show", held.id)
    assert result.code == 0
    out = result.out
    for expected in (
        held.id,
        "first-steps",
        "j***@example.org",
        "203.0.113.7",
        "Firefox/140",
        held.body,
        "rules",
        "0.60",
        "promotion",
        "mentions a discount",
        "discount",
        "decision log",
        "received",
        "held",
    ):
        assert expected in out, expected
    assert "jane@example.org" not in out


def test_show_prints_the_body_exactly(run, site):
    body = "Nice :smile: [bold]really[/bold] <b>x</b>\n\n* a list"
    with Store(site.db) as store:
        comment = add(store, body=body)
    assert body in run("show", comment.id).out


def test_show_an_unknown_id(run, stored):
    result = run("show", "c-missing")
    assert result.code == 1
    assert result.err == "error: unknown comment id 'c-missing'\n"


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [
        ("approve", State.HELD, State.APPROVED),
        ("reject", State.HELD, State.REJECTED),
        ("spam", State.HELD, State.SPAM),
        ("promo", State.HELD, State.SPAM),
        ("restore", State.SPAM, State.HELD),
    ],
)
def test_each_action(run, site, action, start, end):
    with Store(site.db) as store:
        comments = [add(store, body=f"Comment {n}.", status=start) for n in range(2)]
    result = run(action, *(c.id for c in comments), "--note", "checked by hand")
    assert result.code == 0, result.err
    assert all(c.id in result.out for c in comments)
    with Store(site.db) as store:
        for comment in comments:
            assert store.comments.get(comment.id).status is end
            assert store.decisions.of(comment.id)[-1].note == "checked by hand"


def test_overturning_akismet_reports_it_and_retrains(run, site, akismet_server):
    with Store(site.db) as store:
        comment = add(store, status=State.RECEIVED, ip="203.0.113.7")
        params = {"user_ip": "203.0.113.7", "comment_content": comment.body}
        store.screenings.record(
            comment.id,
            Verdict(
                Decision.SPAM,
                0.95,
                ("Akismet: spam",),
                (SignalResult("akismet", 1.0, "Akismet: spam", Decision.SPAM, sent=params),),
            ),
            version=comment.version,
        )
    result = run("approve", comment.id)
    assert result.code == 0, result.err
    assert f"approved {comment.id} (spam → approved)" in result.out
    assert "model" in result.out
    (submitted,) = [form for path, form in akismet_server.calls if path == "/1.1/submit-ham"]
    assert submitted["user_ip"] == ["203.0.113.7"]
    assert submitted["comment_content"] == [comment.body]


def test_an_unknown_id_in_an_action_changes_nothing(run, stored, site):
    held, _spam, other = stored
    result = run("approve", held.id, "c-typo", other.id)
    assert result.code == 1
    assert "unknown comment id 'c-typo'" in result.err
    with Store(site.db) as store:
        assert store.comments.get(held.id).status is State.HELD
        assert store.comments.get(other.id).status is State.HELD


def test_an_invalid_move_is_an_error(run, stored):
    held, _spam, _other = stored
    result = run("restore", held.id)
    assert result.code == 0 and "unchanged" in result.out  # already held
    run("approve", held.id)
    result = run("restore", held.id)
    assert result.code == 1 and f"cannot restore comment {held.id}" in result.err


def test_all_held_with_filters(run, stored, site):
    held, spam, other = stored
    result = run("reject", "--all-held", "--older-than", "30", "--note", "stale")
    assert result.code == 0
    assert other.id in result.out and held.id not in result.out
    result = run("spam", "--all-held", "--reason", "discount")
    assert held.id in result.out
    assert "no held comments match" in run("approve", "--all-held", "--article", "x").out
    # Rescuing false positives: spam selected by reason goes back to the queue.
    result = run("restore", "--all-spam", "--reason", "discount")
    assert result.code == 0 and held.id in result.out and spam.id not in result.out
    with Store(site.db) as store:
        assert store.comments.get(other.id).status is State.REJECTED
        assert store.comments.get(held.id).status is State.HELD
        assert store.comments.get(spam.id).status is State.SPAM


def test_usage_errors(run, stored):
    held, _spam, _other = stored
    assert run("approve").code == 2
    result = run("approve", held.id, "--all-held")
    assert result.code == 2 and "not both" in result.err
    result = run("approve", held.id, "--reason", "x")
    assert result.code == 2 and "go with --all-held or --all-spam" in result.err
    assert run("approve", "--all-held", "--all-spam").code == 2
    assert run("frobnicate").code == 2


def test_a_malformed_environment_setting_is_a_clear_error(run, monkeypatch):
    monkeypatch.setenv("COMMENTS_RETENTION_DAYS", "thirty")
    result = run("status")
    assert result.code == 0  # status does not read the settings
    result = run("publish")
    assert result.code == 2
    assert "COMMENTS_RETENTION_DAYS" in result.err and result.err.startswith("error: ")


def test_import_reports_bad_lines_and_keeps_good_ones(run, site, tmp_path):
    path = write_jsonl(
        tmp_path / "inbox.jsonl",
        {"article": "first-steps", "name": "Jane", "body": "Good."},
        "{broken",
        {"article": "gone", "name": "Ola", "body": "Lost."},
        {"article": "first-steps", "name": "Ola", "body": "Also good."},
    )
    result = run("import", str(path))
    assert result.code == 1
    assert f"error: {path}:line 2: not valid JSON" in result.err
    assert f"error: {path}:line 3: article: no article has the slug 'gone'" in result.err
    assert "imported 2 comments from" in result.out
    assert json.loads(run("status", "--json").out)["received"] == 2
    assert run("import", str(tmp_path / "nope.jsonl")).code == 1


def test_screen_screens_and_applies_retention(run, site, tmp_path, akismet_server):
    path = write_jsonl(
        tmp_path / "inbox.jsonl",
        {
            "article": "first-steps",
            "name": "Jane",
            "body": "Study groups helped me learn spreadsheets. Thanks for this.",
            "ip": "203.0.113.7",
            "user_agent": "Firefox/140",
            "received_at": "2025-01-01T00:00:00+00:00",
        },
        {
            "article": "first-steps",
            "name": "Best Deals",
            "body": "Buy cheap followers now!!! http://bit.ly/x http://bit.ly/y http://bit.ly/z",
        },
    )
    assert run("import", str(path)).code == 0
    result = run("screen")
    assert result.code == 0, result.err
    assert "screened 2" in result.out
    assert "retention: IP and user agent of 1 comment older than 30 days" in result.out
    # Retention runs after screening: the old comment reached Akismet with its IP.
    checks = [form for path, form in akismet_server.calls if path == "/1.1/comment-check"]
    assert [form["user_ip"] for form in checks] == [["203.0.113.7"]]  # the other has no IP
    counts = json.loads(run("status", "--json").out)
    assert counts["received"] == 0 and sum(counts.values()) == 2
    with Store(site.db) as store:
        old = store.comments.list()[0]
        assert (
            store.privacy.request_context(old.id)["ip"] is None
        )  # received in 2025: past retention
        runs = store.screenings.of(old.id)
        assert len(runs) == 1
        assert {s.signal for s in runs[0].signals} >= {"akismet", "rules", "promotion", "model"}
    assert "screened 0" in run("screen").out


def test_recheck_forces_a_pending_akismet_retry(run, site, tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", "test-key")
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("MODERATION_AKISMET_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    path = write_jsonl(
        tmp_path / "in.jsonl",
        {
            "article": "first-steps",
            "name": "Jane",
            "body": "A calm question about groups?",
            "ip": "203.0.113.9",
        },
    )
    run("import", str(path))
    assert run("screen").code == 0
    with Store(site.db) as store:
        (comment,) = store.comments.list()
        assert comment.status is State.HELD
        assert store.screenings.next_check_at(comment.id) > datetime.now(UTC) + timedelta(
            minutes=10
        )
    assert "screened 0" in run("screen").out  # not due yet

    # Akismet is back (here: no longer configured); recheck does not wait for the timer.
    monkeypatch.delenv("PYTHON_AKISMET_API_KEY")
    result = run("recheck")
    assert result.code == 0, result.err
    assert result.out.startswith("re-screened 1; 1 were waiting for Akismet: ")
    with Store(site.db) as store:
        assert len(store.screenings.of(comment.id)) == 2
        assert store.screenings.next_check_at(comment.id) is None
    assert "no recheck pending" in run("recheck").out


def test_recheck_all_refreshes_signals_but_moves_only_the_waiting(
    run, site, tmp_path, monkeypatch, akismet_server
):
    """``--all`` screens every held comment; only Akismet retries may change state."""
    monkeypatch.setenv("MODERATION_AKISMET_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    path = write_jsonl(
        tmp_path / "in.jsonl",
        *(
            {
                "article": "first-steps",
                "name": name,
                "body": f"{name} here: study groups helped me learn spreadsheets, thank you.",
                "ip": f"203.0.113.{number}",
            }
            for number, name in enumerate(("Ann", "Ben", "Cleo"), start=1)
        ),
    )
    run("import", str(path))
    assert run("screen").code == 0  # Akismet unreachable: all three held for a retry
    with Store(site.db) as store:
        ann, ben, cleo = store.comments.list()
        assert {store.screenings.next_check_at(c.id) is not None for c in (ann, ben, cleo)} == {
            True
        }
    # The moderator looks at Cleo's comment and keeps it held: no retry pending any more.
    run("reject", cleo.id)
    run("restore", cleo.id)

    still_down = run("recheck")
    assert still_down.code == 0, still_down.err
    assert still_down.out == (
        "re-screened 2; 2 were waiting for Akismet: 2 still unanswered (retry scheduled)\n"
    )

    # Akismet answers again (the local server says "not spam").
    monkeypatch.setenv(
        "MODERATION_AKISMET_ENDPOINT", f"http://127.0.0.1:{akismet_server.server_port}"
    )
    result = run("recheck", "--all")
    assert result.code == 0, result.err
    assert result.out == (
        "re-screened 3; 2 were waiting for Akismet: 2 approved; 1 left held for you "
        "(screening refreshed, state unchanged: approve or reject them yourself)\n"
    )
    checks = [form for path, form in akismet_server.calls if path == "/1.1/comment-check"]
    assert sorted(form["comment_author"][0] for form in checks) == ["Ann", "Ben", "Cleo"]
    with Store(site.db) as store:
        assert store.comments.get(ann.id).status is State.APPROVED
        assert store.comments.get(ben.id).status is State.APPROVED
        assert store.comments.get(cleo.id).status is State.HELD
        assert store.screenings.next_check_at(cleo.id) is None
        runs = store.screenings.of(cleo.id)
        assert len(runs) == 2  # screen, then recheck --all (the plain recheck left it alone)
        (akismet,) = [s for s in runs[-1].signals if s.signal == "akismet"]
        assert akismet.score is not None and not akismet.retry  # the fresh answer is kept
    assert run("recheck").out == "no recheck pending\n"
    assert run("recheck", "--all").out.startswith("re-screened 1; 1 left held for you")


def test_retrain(run, stored):
    result = run("retrain")
    assert result.code == 0 and "model" in result.out


def test_publish_export_and_erase(run, stored, site, tmp_path):
    held, _spam, _other = stored
    run("approve", held.id)
    content = site.content
    result = run("publish", "--content", str(content))
    assert result.code == 0
    path = content / "comments" / "first-steps" / f"{held.id}.md"
    assert path.exists() and f"wrote {path.resolve()}" in result.out
    assert "0 written, 1 unchanged" in run("publish").out

    exported = run("export", "--email", "jane@example.org")
    assert exported.code == 0
    data = json.loads(exported.out)
    assert data["email"] == "jane@example.org"
    assert {c["id"] for c in data["comments"]} == {held.id, stored[2].id}
    by_id = {c["id"]: c for c in data["comments"]}
    assert by_id[held.id]["published_file"] == str(path.resolve())

    erased = run("erase", "--email", "jane@example.org")
    assert erased.code == 0
    assert f"erased comment {held.id}" in erased.out
    assert f"removed {path.resolve()}" in erased.out
    assert "jane@example.org" not in erased.out and "j***@example.org" in erased.out
    assert not path.exists()
    assert json.loads(run("export", "--email", "jane@example.org").out)["comments"] == []
    assert "nothing is held" in run("erase", "--email", "jane@example.org").out


def test_export_and_erase_find_files_published_elsewhere(run, stored, site, tmp_path):
    held, _spam, _other = stored
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "articles").mkdir(parents=True)
    (elsewhere / "articles" / "a.md").write_text("Title: A\nSlug: first-steps\n\nText.\n")
    run("approve", held.id)
    run("publish", "--content", str(elsewhere))
    path = elsewhere / "comments" / "first-steps" / f"{held.id}.md"
    assert path.exists()
    data = json.loads(run("export", "--email", "jane@example.org", "--content", str(elsewhere)).out)
    assert str(path) in [c["published_file"] for c in data["comments"]]
    assert run("erase", "--email", "jane@example.org", "--content", str(elsewhere)).code == 0
    assert not path.exists()


def test_train_and_classify(run, site, tmp_path):
    training = write_jsonl(
        tmp_path / "train.jsonl",
        *(
            {"body": f"Buy cheap pills number {n} at http://pills{n}.example", "label": "spam"}
            for n in range(12)
        ),
        *(
            {"body": f"I learned a lot from study group {n}, thank you.", "label": "ham"}
            for n in range(12)
        ),
    )
    result = run("train", str(training))
    assert result.code == 0, result.err
    assert "24 lines" in result.out

    to_classify = write_jsonl(
        tmp_path / "classify.jsonl",
        {"body": "Buy cheap pills now at http://pills.example"},
        "{not json",
        {"body": "Our study group read this together."},
    )
    result = run("classify", str(to_classify))
    assert result.code == 1
    assert "line 2" in result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert len(lines) == 3
    assert json.loads(run("status", "--json").out) == {
        "received": 0,
        "approved": 0,
        "held": 0,
        "spam": 0,
        "rejected": 0,
    }


def test_the_email_appears_only_in_export(run, site, tmp_path, caplog, monkeypatch):
    # Akismet configured but unreachable: the failure path logs too.
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", "test-key")
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("MODERATION_AKISMET_ENDPOINT", f"http://127.0.0.1:{closed_port()}")
    email = "jane.secret@example.org"
    path = write_jsonl(
        tmp_path / "in.jsonl",
        {
            "article": "first-steps",
            "name": "Jane",
            "email": email,
            "body": "I run a study group on Thursdays.",
            "ip": "203.0.113.7",
        },
    )
    outputs = []

    def record(*args):
        result = run("-v", *args)  # debug logging on: nothing may leak there either
        outputs.append((args, result.out + result.err))
        return result

    record("import", str(path))
    record("screen")
    with Store(site.db) as store:
        (comment_id,) = [c.id for c in store.comments.list()]
    for args in (
        ("status",),
        ("list",),
        ("show", comment_id),
        ("reject", comment_id),
        ("restore", comment_id),
        ("approve", comment_id),
        ("publish",),
        ("recheck", "--all"),
    ):
        result = record(*args)
        assert result.code == 0, (args, result.err)
    for args, text in outputs:
        assert email not in text, args
    assert "j***@example.org" in dict(outputs)[("show", comment_id)]
    assert email not in caplog.text
    published = list(site.comments_dir.rglob("*.md"))
    assert published, "the scan must look at a published file"
    for path in published:
        assert email not in path.read_text(encoding="utf-8")
    assert email in run("export", "--email", email).out
    assert email not in run("erase", "--email", email).out


def test_an_action_on_the_version_show_printed_is_refused_once_the_text_changed(run, stored, site):
    held, _spam, _other = stored
    shown = run("show", held.id)
    version = f"{held.id}@{held.version}"
    assert version in shown.out
    with Store(site.db) as store:  # its author saves a new text meanwhile
        store.revisions.edit(held.id, author="Eve", author_url=None, body="Call +1 888 555 0147")
    result = run("approve", version)
    assert result.code == 1
    assert f"comment {held.id} was edited at " in result.err
    assert "read its new text before you approve it" in result.err
    with Store(site.db) as store:
        assert store.comments.get(held.id).status is State.RECEIVED
        edited = store.comments.get(held.id)
    assert f"{held.id}@{edited.version}" in run("show", held.id).out
    assert run("approve", f"{held.id}@{edited.version}").code == 0
    assert run("reject", f"{held.id}@not-a-version").code == 2
    # A version that was never this comment's (a typo): said so, not "edited".
    wrong = run("approve", f"{_other.id}@0000000000000000")
    assert wrong.code == 1 and "was edited" not in wrong.err
    assert f"comment {_other.id} is at version {_other.version}, not 0000000000000000" in wrong.err
