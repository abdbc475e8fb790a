"""``train`` and ``classify``: the batch interface, as a library and through the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from moderation.batch import classify_file, train_file
from moderation.errors import InputError
from moderation.models import Comment, Label
from moderation.screening.learned import labelled_examples
from moderation.screening.seed import seed_examples
from moderation.store import Store

from .conftest import ROOT
from .test_learned import HAM, PITCHES

HAS_CLI = (ROOT / "moderation" / "cli.py").exists()


def write_jsonl(path: Path, records: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def training_file(tmp_path: Path) -> Path:
    records = [{"body": b, "author": "Seller", "label": "promo"} for b in PITCHES[:6]]
    records += [{"body": b, "label": "spam"} for b in PITCHES[6:]]
    records += [{"body": b, "author": "Reader", "label": "ham"} for b in HAM]
    return write_jsonl(tmp_path / "labelled.jsonl", records)


TO_CLASSIFY = [
    {"body": "The mentors in our reading group answered every newcomer kindly"},
    {"body": "Great post! Our agency offers SEO packages, book a demo: https://bit.ly/x"},
    {"body": "Curious how the community changed after the moderators left", "author": "Ann"},
    {
        "body": "Call our toll-free helpline +1 800 555 0199 for account recovery, we offer "
        "support 24/7 at https://help.example/?utm_source=blog and https://t.co/abc",
        "author_url": "https://help.example",
    },
]


def snapshot(db: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(db.parent.glob(db.name + "*")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


# -- the library -------------------------------------------------------------------


def test_train_stores_labelled_examples_and_retrains(settings, store, tmp_path):
    report = train_file(store, settings, training_file(tmp_path))
    assert report.ok and report.lines == 24 and report.added == 24
    assert report.counts == {"promo": 6, "spam": 6, "ham": 12}
    assert report.training.trained
    assert report.training.message == (
        f"model trained on 24 decisions (12 spam/promo, 12 ham) and the "
        f"{len(seed_examples())}-comment seed corpus"
    )
    assert store.training.count() == 24
    labels = {label for _c, label in labelled_examples(store)}
    assert labels == {Label.PROMO, Label.SPAM, Label.HAM}
    # Training examples are not comments waiting for anyone, nor moderators' decisions.
    assert store.decisions.of() == []
    assert store.comments.list() == [] and store.screenings.due() == []
    assert store.comments.counts()["approved"] == 0


def test_training_twice_does_not_duplicate_examples(settings, store, tmp_path):
    path = training_file(tmp_path)
    train_file(store, settings, path)
    again = train_file(store, settings, path)
    assert again.added == 0 and again.skipped == 24
    assert len(labelled_examples(store)) == 24


def test_train_reports_bad_lines_by_number_and_keeps_the_good_ones(settings, store, tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            {"body": "Hire our agency today", "label": "spam"},
            {"body": "Nice thoughts", "label": "maybe"},
            {"body": "No label here"},
            "{not json",
            {"body": "", "label": "ham"},
            {"body": "Kind reply from a reader", "label": "HAM"},
        ],
    )
    report = train_file(store, settings, path)
    assert report.lines == 6 and report.added == 2
    assert report.errors == [
        "line 2: label: must be 'spam', 'promo' or 'ham', got 'maybe'",
        "line 3: label: is required ('spam', 'promo' or 'ham')",
        "line 4: not valid JSON (Expecting property name enclosed in double quotes at column 2)",
        "line 5: body: is required",
    ]
    assert report.exit_code != 0
    assert (report.training.positives, report.training.negatives) == (1, 1)


def test_classify_answers_every_line_in_order(settings, store, tmp_path):
    train_file(store, settings, training_file(tmp_path))
    out = io.StringIO()
    report = classify_file(store, settings, write_jsonl(tmp_path / "in.jsonl", TO_CLASSIFY), out)
    verdicts = [json.loads(line) for line in out.getvalue().splitlines()]
    assert report.ok and report.lines == 4 and len(verdicts) == 4
    assert [v["decision"] for v in verdicts] == ["approve", "spam", "approve", "spam"]
    for verdict in verdicts:
        assert set(verdict) == {"decision", "score", "reasons"}
        assert 0.0 <= verdict["score"] <= 1.0 and verdict["reasons"]
    assert verdicts[0]["score"] < 0.4 <= 0.85 <= verdicts[1]["score"]
    assert "asks to be contacted: 'book a demo'" in verdicts[1]["reasons"]
    assert "URL shortener: bit.ly" in verdicts[1]["reasons"]
    assert any(r.startswith("support-number scam") for r in verdicts[3]["reasons"])
    assert any(r.startswith("model: ") for r in verdicts[0]["reasons"])


def test_classify_malformed_lines_keep_their_place(settings, store, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        b'{"body": "Fine words about learning"}\n'
        b"[1, 2]\n"
        b"\n"
        b'{"body": "caf\xe9"}\n'
        b'{"body": 42}\n'
        b'{"body": "Also fine", "url": "javascript:alert(1)"}\n'
        b'{"body": "Last one"}\n'
    )
    out = io.StringIO()
    report = classify_file(store, settings, path, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 7
    errors = {
        2: "line 2: expected a JSON object, got list",
        3: "line 3: empty line (expected a JSON object)",
        4: "line 4: not valid UTF-8 (byte 14)",
        5: "line 5: body: must be a string, got int",
        6: "line 6: url: must be an http:// or https:// address, got 'javascript:alert(1)'",
    }
    for number, message in errors.items():
        assert lines[number - 1] == {
            "decision": "hold",
            "score": None,
            "reasons": [],
            "error": message,
        }
    assert lines[0]["decision"] == "approve" and lines[6]["decision"] == "approve"
    assert report.errors == list(errors.values())
    assert report.exit_code != 0


def test_classify_is_deterministic_and_writes_nothing(settings, tmp_path):
    db = tmp_path / "moderation.db"
    with Store(db) as store:
        train_file(store, settings, training_file(tmp_path))
    before = snapshot(db)
    path = write_jsonl(tmp_path / "in.jsonl", TO_CLASSIFY * 3)
    outputs = []
    for _ in range(2):
        out = io.StringIO()
        with Store(db) as store:
            classify_file(store, settings, path, out)
            counts = (
                store.training.count(),
                len(store.comments.list()),
                len(store.decisions.of()),
            )
        outputs.append(out.getvalue())
        assert counts == (24, 0, 0)
    assert outputs[0] == outputs[1]
    assert snapshot(db) == before


def test_classify_uses_history_from_the_database(settings, store, tmp_path):
    disallowing = settings.with_overrides(COMMENTS_MODERATION={"disallowed_keys": ["casino"]})
    stored = store.comments.add(
        Comment(article="social-not-sales", author="Anonymous", body="A comment seen before")
    )
    path = write_jsonl(
        tmp_path / "in.jsonl",
        [
            {"body": "A comment seen before", "article": "social-not-sales"},
            {"body": "Win at the casino"},
        ],
    )
    out = io.StringIO()
    classify_file(store, disallowing, path, out)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert f"duplicate of comment {stored.id}" in first["reasons"]
    assert second["decision"] == "spam"
    assert "disallowed word: 'casino'" in second["reasons"]


def test_a_missing_file_is_an_input_error(settings, store, tmp_path):
    with pytest.raises(InputError, match=r"cannot read .*nowhere\.jsonl"):
        classify_file(store, settings, tmp_path / "nowhere.jsonl", io.StringIO())


# -- through the CLI -------------------------------------------------------------------


def moderation(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "moderation", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHON_AKISMET_API_KEY": ""},
        **kwargs,
    )


@pytest.mark.skipif(not HAS_CLI, reason="moderation/cli.py is not written yet")
def test_cli_train_then_classify(tmp_path):
    db = tmp_path / "moderation.db"
    trained = moderation("--db", str(db), "train", str(training_file(tmp_path)))
    assert trained.returncode == 0, trained.stderr
    path = write_jsonl(tmp_path / "in.jsonl", [*TO_CLASSIFY, "oops"])
    before = snapshot(db)
    first = moderation("--db", str(db), "classify", str(path))
    second = moderation("--db", str(db), "classify", str(path))
    assert first.returncode != 0
    assert "line 5: not valid JSON" in first.stderr
    verdicts = [json.loads(line) for line in first.stdout.splitlines()]
    assert [v["decision"] for v in verdicts] == ["approve", "spam", "approve", "spam", "hold"]
    assert verdicts[4]["error"].startswith("line 5: not valid JSON")
    assert first.stdout == second.stdout
    assert snapshot(db) == before


@pytest.mark.skipif(not HAS_CLI, reason="moderation/cli.py is not written yet")
def test_cli_train_with_bad_lines_exits_non_zero(tmp_path):
    path = write_jsonl(
        tmp_path / "bad.jsonl", [{"body": "Buy now", "label": "spam"}, {"body": "x", "label": 3}]
    )
    result = moderation("--db", str(tmp_path / "m.db"), "train", str(path))
    assert result.returncode != 0
    assert "line 2: label: must be 'spam', 'promo' or 'ham', got 3" in result.stderr
