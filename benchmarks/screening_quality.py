"""Screening quality on real labelled comments, video by video.

For each YouTube video in turn: a fresh database, ``train`` on the other two
videos (optionally with the SMS collection too), ``classify`` the held-out one,
and count what went wrong. Also a cold start: no training, rules and promotion
only. The data is read from ../shared/data (never copied into the repository).

    .venv/bin/python benchmarks/screening_quality.py [--data DIR] [--no-sms] [--cli]

``--cli`` runs ``python -m moderation train/classify`` in subprocesses (needs
moderation/cli.py); by default the same library calls run in this process.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data"
VIDEOS = ("Youtube01-Psy", "Youtube02-KatyPerry", "Youtube03-LMFAO")
TARGETS = {
    "trained": {"leaked": 1.0, "ham_rejected": 0.5, "held": 15.0},
    "cold": {"leaked": 10.0, "ham_rejected": 1.0, "held": None},
}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def read_youtube(data: Path, video: str) -> list[dict]:
    path = data / "youtube-spam-collection" / f"{video}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            {
                "author": row["AUTHOR"].strip() or "Anonymous",
                "body": row["CONTENT"],
                "label": "spam" if row["CLASS"].strip() == "1" else "ham",
            }
            for row in csv.DictReader(handle)
            if row["CONTENT"].strip()
        ]


def read_sms(data: Path) -> list[dict]:
    path = data / "sms-spam-collection" / "SMSSpamCollection"
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        label, _, text = raw.partition("\t")
        # A few messages carry stray control characters, which intake refuses.
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cc")
        if text.strip() and label in ("ham", "spam"):
            lines.append({"author": "SMS", "body": text, "label": label})
    return lines


def write_jsonl(path: Path, rows: list[dict], *, with_label: bool = True) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = row if with_label else {k: v for k, v in row.items() if k != "label"}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


@dataclass
class Outcome:
    spam: int
    ham: int
    leaked: int  # spam approved
    ham_rejected: int  # ham decided spam
    held: int

    @property
    def leaked_pct(self) -> float:
        return 100.0 * self.leaked / max(self.spam, 1)

    @property
    def ham_rejected_pct(self) -> float:
        return 100.0 * self.ham_rejected / max(self.ham, 1)

    @property
    def held_pct(self) -> float:
        return 100.0 * self.held / max(self.spam + self.ham, 1)


def run_fold(
    workdir: Path, train_rows: list[dict], test_rows: list[dict], *, use_cli: bool
) -> Outcome:
    db = workdir / "moderation.db"
    train_path = workdir / "train.jsonl"
    test_path = workdir / "test.jsonl"
    out_path = workdir / "verdicts.jsonl"
    write_jsonl(test_path, test_rows, with_label=False)
    if use_cli:
        if train_rows:
            write_jsonl(train_path, train_rows)
            _cli(db, "train", train_path)
        with out_path.open("w", encoding="utf-8") as out:
            _cli(db, "classify", test_path, stdout=out)
    else:
        from moderation.batch import classify_file, train_file
        from moderation.settings import load_settings
        from moderation.store import Store

        settings = load_settings(ROOT / "pelicanconf.py", environ={})
        with Store(db) as store:
            if train_rows:
                write_jsonl(train_path, train_rows)
                train_file(store, settings, train_path)
            with out_path.open("w", encoding="utf-8") as out:
                classify_file(store, settings, test_path, out)
    verdicts = [json.loads(line) for line in out_path.read_text(encoding="utf-8").splitlines()]
    assert len(verdicts) == len(test_rows), "classify must answer every line"
    outcome = Outcome(0, 0, 0, 0, 0)
    for row, verdict in zip(test_rows, verdicts, strict=True):
        decision = verdict["decision"]
        if row["label"] == "spam":
            outcome.spam += 1
            outcome.leaked += decision == "approve"
        else:
            outcome.ham += 1
            outcome.ham_rejected += decision == "spam"
        outcome.held += decision == "hold"
    return outcome


def _cli(db: Path, command: str, path: Path, stdout=None) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "moderation", "--db", str(db), command, str(path)],
        cwd=ROOT,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"moderation {command} failed ({result.returncode}): {result.stderr}")


def evaluate(data: Path, *, sms: bool, cold: bool, use_cli: bool = False) -> dict[str, Outcome]:
    videos = {video: read_youtube(data, video) for video in VIDEOS}
    extra = read_sms(data) if sms else []
    outcomes = {}
    for test_video in VIDEOS:
        train_rows = (
            []
            if cold
            else [row for video in VIDEOS if video != test_video for row in videos[video]] + extra
        )
        with tempfile.TemporaryDirectory(prefix="screening-quality-") as tmp:
            outcomes[test_video] = run_fold(
                Path(tmp), train_rows, videos[test_video], use_cli=use_cli
            )
    return outcomes


def mean(outcomes: dict[str, Outcome]) -> tuple[float, float, float]:
    n = len(outcomes)
    return (
        sum(o.leaked_pct for o in outcomes.values()) / n,
        sum(o.ham_rejected_pct for o in outcomes.values()) / n,
        sum(o.held_pct for o in outcomes.values()) / n,
    )


def render(title: str, outcomes: dict[str, Outcome], targets: dict[str, float | None]) -> None:
    from rich.console import Console
    from rich.table import Table

    def mark(value: float, target: float | None) -> str:
        if target is None:
            return f"{value:.1f}%"
        return f"{value:.1f}% {'✓' if value <= target else '✗'}"

    table = Table(title=title)
    for column in (
        "test video",
        "spam",
        "ham",
        "leaked (spam approved)",
        "ham auto-rejected",
        "held (of all)",
    ):
        table.add_column(column, justify="right" if column != "test video" else "left")
    for video, o in outcomes.items():
        table.add_row(
            video.split("-", 1)[-1],
            str(o.spam),
            str(o.ham),
            f"{o.leaked} = {mark(o.leaked_pct, targets['leaked'])}",
            f"{o.ham_rejected} = {mark(o.ham_rejected_pct, targets['ham_rejected'])}",
            f"{o.held} = {mark(o.held_pct, targets['held'])}",
        )
    leaked, rejected, held = mean(outcomes)
    table.add_row(
        "mean",
        "",
        "",
        mark(leaked, targets["leaked"]),
        mark(rejected, targets["ham_rejected"]),
        mark(held, targets["held"]),
        style="bold",
    )
    targets_text = ", ".join(
        f"{name} ≤ {value:g}%" for name, value in targets.items() if value is not None
    )
    table.caption = f"targets: {targets_text}"
    Console(width=110).print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument(
        "--no-sms",
        dest="sms",
        action="store_false",
        help="skip the folds trained with the SMS collection as well",
    )
    parser.add_argument(
        "--cli", action="store_true", help="run `python -m moderation` in subprocesses"
    )
    args = parser.parse_args(argv)
    if not (args.data / "youtube-spam-collection").is_dir():
        print(f"skipped: no labelled data at {args.data} (see ../shared/data/README.md)")
        return 0
    render(
        "Trained on the other two videos",
        evaluate(args.data, sms=False, cold=False, use_cli=args.cli),
        TARGETS["trained"],
    )
    if args.sms:
        render(
            "Trained on the other two videos + SMS collection",
            evaluate(args.data, sms=True, cold=False, use_cli=args.cli),
            TARGETS["trained"],
        )
    render(
        "Cold start: no training (rules + promotion only)",
        evaluate(args.data, sms=False, cold=True, use_cli=args.cli),
        TARGETS["cold"],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
