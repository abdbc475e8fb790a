"""Benchmark: a publish after 10 newly approved comments, against a cold publish.

Generates a site of N articles (the project's theme, plugins, settings and pages)
with M approved comments each, stored in a moderation database and published as
files, in a temporary folder. Then, for each round:

- **cold**: ``publish_site`` with no cache and an empty target folder (the first
  publish of this site);
- **warm**: 10 more comments are approved, on 10 articles, and ``publish_site``
  runs again into the same folder (what an owner does every day).

Both are the real thing: preflight with ``invoke check``, screening, publishing,
a Pelican build in a child process, and a deploy to a local folder. Prints a
table; ratios compare runs of the same round, because the machine is shared.

    .venv/bin/python benchmarks/publish.py                 # 1000 articles x 10 comments
    .venv/bin/python benchmarks/publish.py --quick         # 100 x 3, a smoke run
    .venv/bin/python benchmarks/publish.py --check         # exit 1 when the target is missed

Target: warm <= 0.5 x cold.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderation.deploy import publish_site  # noqa: E402
from moderation.models import Comment, State  # noqa: E402
from moderation.publish import publish  # noqa: E402
from moderation.settings import load_settings  # noqa: E402
from moderation.store import Store  # noqa: E402

TARGET_RATIO = 0.5
NEW_COMMENTS = 10
SITEURL = "https://publish-benchmark.test.invalid"


def _text_helpers() -> Any:
    """benchmarks/build.py's sentence and comment generators (one source of fake text)."""
    spec = importlib.util.spec_from_file_location("build_benchmark", ROOT / "benchmarks/build.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


TEXT = _text_helpers()


def _article(rng: random.Random, index: int) -> str:
    paragraphs = [
        " ".join(TEXT._sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(3, 6)))
        for _ in range(5)
    ]
    paragraphs[1] = f"Some *emphasis* and a [link](https://example.org/{index}). " + paragraphs[1]
    date = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=7 * index)
    # Tag names that no paginated tag page can collide with ("theme-1" page 12 would).
    return (
        f"Title: Article number {index}\nDate: {date:%Y-%m-%d %H:%M+00:00}\n"
        f"Category: Topic {chr(65 + index % 8)}\n"
        f"Tags: theme {chr(97 + index % 13)}, level {chr(97 + index % 7)}\n"
        f"Slug: article-{index}\nSummary: {TEXT._sentence(rng, 12)}\n\n"
        + "\n\n".join(paragraphs)
        + "\n"
    )


def generate(root: Path, articles: int, comments: int, seed: int = 11) -> Path:
    """The project around ``root``; returns its database, every comment approved and published."""
    rng = random.Random(seed)
    for name in ("theme", "plugins"):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pelicanconf.py", "publishconf.py"):
        shutil.copy2(ROOT / name, root / name)
    for name in ("pages", "images"):
        shutil.copytree(ROOT / "content" / name, root / "content" / name)
    # A page linking to the project's own articles would fail the preflight check here.
    for page in (root / "content" / "pages").glob("*.md"):
        if "{filename}" in page.read_text(encoding="utf-8"):
            page.unlink()
    folder = root / "content" / "articles"
    folder.mkdir(parents=True)
    for index in range(articles):
        (folder / f"article-{index}.md").write_text(_article(rng, index), encoding="utf-8")
    db = root / "var" / "moderation.db"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with Store(db) as store:
        batch = [
            Comment(
                article=f"article-{index}",
                author=f"Reader {rng.randint(1, 5000)}",
                email=f"reader{rng.randint(1, 5000)}@mail.test",
                body=TEXT._comment_body(rng, index, number),
                received_at=start + timedelta(minutes=index * 97 + number * 13),
            )
            for index in range(articles)
            for number in range(comments)
        ]
        store.comments.add_many(batch, status=State.APPROVED)
        publish(store, load_settings(root / "pelicanconf.py", environ={}))
    return db


def approve_new(db: Path, articles: int, round_number: int) -> None:
    """Ten new comments, approved by a moderator, on ten articles."""
    with Store(db) as store:
        for n in range(NEW_COMMENTS):
            comment = Comment(
                article=f"article-{(n * 97 + round_number * 13) % articles}",
                author=f"New reader {round_number}-{n}",
                body=f"A new thought, number {n} of round {round_number}, on this article.",
                received_at=datetime.now(UTC),
            )
            stored = store.comments.add(comment, status=State.HELD)
            store.decisions.moderate(stored.id, "approve", actor="benchmark")


def timed_publish(root: Path, db: Path, target: Path) -> dict[str, Any]:
    before_self = resource.getrusage(resource.RUSAGE_SELF)
    before_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    report = publish_site(root, target=str(target), db_path=db)
    seconds = time.perf_counter() - started
    after_self = resource.getrusage(resource.RUSAGE_SELF)
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = sum(
        getattr(after, field) - getattr(before, field)
        for after, before in ((after_self, before_self), (after_children, before_children))
        for field in ("ru_utime", "ru_stime")
    )
    return {
        "seconds": seconds,
        "cpu": cpu,
        "steps": dict(report.step_seconds),
        "pages": report.pages_written,
        "rendered": report.pages_written - (report.build.pages_kept if report.build else 0),
        "published": report.published,
        "changed": report.changes.count,
        "reused": bool(report.build and report.build.search_reused),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=10, help="comments per article")
    parser.add_argument("--rounds", type=int, default=2, help="cold + warm pairs (fastest kept)")
    parser.add_argument("--quick", action="store_true", help="100 articles x 3 comments")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when warm/cold > {TARGET_RATIO}"
    )
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    if args.quick:
        args.articles, args.comments = 100, 3

    os.environ["SITEURL"] = SITEURL
    for name in list(os.environ):
        if name.startswith(("COMMENTS_", "MODERATION_", "PYTHON_AKISMET_", "DEPLOY_")):
            del os.environ[name]
    root = args.keep or Path(tempfile.mkdtemp(prefix="publish-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[dict[str, Any]]] = {"cold": [], "warm": []}
    try:
        started = time.perf_counter()
        db = generate(root, args.articles, args.comments)
        print(
            f"generated {args.articles} articles with {args.articles * args.comments} "
            f"comments in {time.perf_counter() - started:.1f} s under {root}",
            file=sys.stderr,
        )
        for number in range(1, args.rounds + 1):
            target = root / "www"
            shutil.rmtree(target, ignore_errors=True)
            shutil.rmtree(root / "var" / "publish", ignore_errors=True)
            runs["cold"].append(timed_publish(root, db, target))
            approve_new(db, args.articles, number)
            runs["warm"].append(timed_publish(root, db, target))
            cold, warm = runs["cold"][-1]["seconds"], runs["warm"][-1]["seconds"]
            print(f"round {number}: cold {cold:.2f} s, warm {warm:.2f} s", file=sys.stderr)
        ratio = print_table(args, runs)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.check and ratio > TARGET_RATIO:
        print(f"target missed: warm/cold {ratio:.2f} > {TARGET_RATIO}", file=sys.stderr)
        return 1
    return 0


def print_table(args: argparse.Namespace, runs: dict[str, list[dict[str, Any]]]) -> float:
    cold = min(runs["cold"], key=lambda run: run["seconds"])
    warm = min(runs["warm"], key=lambda run: run["seconds"])
    ratio = warm["seconds"] / cold["seconds"]
    cpu_ratio = warm["cpu"] / cold["cpu"]
    print()
    print(
        f"{args.articles} articles, {args.articles * args.comments} comments, "
        f"{NEW_COMMENTS} newly approved; fastest of {args.rounds} rounds"
    )
    print()
    print(
        "| publish | seconds | CPU s | comment files | pages | rendered | files changed on target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, run in (("cold (first)", cold), ("warm (10 new)", warm)):
        print(
            f"| {name} | {run['seconds']:.2f} | {run['cpu']:.2f} | {run['published']} "
            f"| {run['pages']:,} | {run['rendered']:,} | {run['changed']:,} |"
        )
    print(f"| **warm/cold** (≤ {TARGET_RATIO}) | **{ratio:.2f}** | {cpu_ratio:.2f} | | | | |")
    print()
    print("| step | cold s | warm s |")
    print("|---|---:|---:|")
    for step in cold["steps"]:
        print(f"| {step} | {cold['steps'][step]:.2f} | {warm['steps'].get(step, 0):.2f} |")
    ratios = [w["seconds"] / c["seconds"] for c, w in zip(runs["cold"], runs["warm"], strict=True)]
    print()
    print(
        f"per-round warm/cold: {', '.join(f'{r:.2f}' for r in ratios)} "
        f"(median {statistics.median(ratios):.2f}); search index reused when warm: "
        f"{all(run['reused'] for run in runs['warm'])}"
    )
    return ratio


if __name__ == "__main__":
    sys.exit(main())
