"""One bad line never costs the good lines their output: classify, train and import."""

from __future__ import annotations

import io
import json

import pytest

from moderation.batch import classify_file, train_file
from moderation.importers.jsonl import import_file

HOSTILE = [
    "[" * 100_000 + "]" * 100_000,  # nested past the parser's recursion limit
    '{"body": ' + "9" * 50_000 + "}",  # a number too long to convert
    '{"body": "x", "label": "spam", "author": ' + '{"a": ' * 5_000 + "1" + "}" * 5_001,
]


def write(path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def good(body: str, **extra: str) -> str:
    return json.dumps({"body": body, "author": "Ann", **extra})


def test_classify_answers_every_line_and_keeps_the_good_ones(store, settings, tmp_path):
    path = tmp_path / "in.jsonl"
    write(path, [good("First fine comment."), *HOSTILE, good("Last fine comment.")])
    out = io.StringIO()
    report = classify_file(store, settings, path, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 5
    assert lines[0]["decision"] in ("approve", "hold", "spam") and "error" not in lines[0]
    assert lines[-1]["decision"] in ("approve", "hold", "spam") and "error" not in lines[-1]
    errors = [line["error"] for line in lines[1:4]]
    assert errors[0] == "line 2: not usable JSON (nested too deeply)"
    assert errors[1].startswith("line 3: not usable JSON (Exceeds the limit")
    assert errors[2] == "line 4: not usable JSON (nested too deeply)"
    assert len(report.errors) == 3


def test_train_keeps_the_good_lines(store, settings, tmp_path):
    path = tmp_path / "train.jsonl"
    write(path, [good("A fine comment.", label="ham"), *HOSTILE, good("Buy now!", label="spam")])
    report = train_file(store, settings, path)
    assert report.added == 2 and len(report.errors) == 3
    assert store.training.count() == 2


def test_import_keeps_the_good_lines_and_names_extreme_dates(store, settings, tmp_path):
    path = tmp_path / "import.jsonl"
    line = {"article": "first-steps", "name": "Ann", "body": "Fine."}
    write(
        path,
        [
            json.dumps(line),
            *HOSTILE,
            json.dumps({**line, "body": "Late.", "received_at": "9999-12-31T23:59:59-23:59"}),
            json.dumps({**line, "body": "Early.", "received_at": "0001-01-01T00:00:00+23:59"}),
            json.dumps({**line, "body": "Also fine."}),
        ],
    )
    report = import_file(store, settings, path)
    assert sorted(c.body for c in report.imported) == ["Also fine.", "Fine."]
    messages = "\n".join(report.errors)
    assert "line 5: received_at: date '9999-12-31T23:59:59-23:59' is outside the years" in messages
    assert "line 6: received_at: date '0001-01-01T00:00:00+23:59' is outside the years" in messages


def test_a_raw_line_separator_inside_a_string_is_not_a_line_break(store, settings, tmp_path):
    """U+2028 and U+2029 are line breaks to ``str.splitlines``, not to JSON Lines."""
    path = tmp_path / "import.jsonl"
    body = "First part\u2028second part\u2029third part"
    path.write_text(
        json.dumps({"article": "first-steps", "name": "Ann", "body": body}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    report = import_file(store, settings, path)
    assert report.errors == [] and [c.body for c in report.imported] == [body]
    out = io.StringIO()
    classify_file(store, settings, path, out)
    assert len(out.getvalue().splitlines()) == 1


@pytest.mark.parametrize("date", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59"])
def test_a_comment_file_with_an_extreme_date_is_a_problem_not_a_crash(date):
    from comment_format.files import FileProblem, parse_comment_file

    raw = f"id: c-1\nauthor: Ann\ndate: {date}\nstatus: approved\n\nHello.\n".encode()
    result = parse_comment_file(raw, "c-1.md")
    assert isinstance(result, FileProblem)
    assert "outside the years" in result.problem
