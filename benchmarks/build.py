"""Benchmark: how much the comments plugin adds to a Pelican build.

Generates N articles with M comments each (distinct text, some replies, some
Markdown and links) in a temporary folder, then builds it in fresh interpreters:
without the plugin (cold), with it (cold: fresh cache) and again with it using
Pelican's content cache (warm). Prints one table; ratios compare builds of the
same run, because the machine is shared and noisy.

    .venv/bin/python benchmarks/build.py                  # 1000 articles x 20 comments
    .venv/bin/python benchmarks/build.py --quick          # 100 x 5, a smoke run
    .venv/bin/python benchmarks/build.py --articles 200 --comments 10 --repeat 3
    .venv/bin/python benchmarks/build.py --check          # exit 1 when a target is missed
    .venv/bin/python benchmarks/build.py --inline         # also cold with no forked helper

``--inline`` adds a fourth build a round: cold, with the plugin's reading and
feed writing kept in the build process (``plugins/comments/background.py``
told it cannot fork), which is what that module has to beat to stay.

Targets: cold build with comments <= 1.50 x the bare build; warm <= 0.6 x cold.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
COLD_RATIO_TARGET = 1.50
WARM_RATIO_TARGET = 0.60
PLUGINS = ROOT / "plugins"
DEFAULT_THEME = ROOT / "tests" / "plugin" / "test_data" / "theme"

WORDS = (
    "learning",
    "community",
    "practice",
    "mentor",
    "feedback",
    "curiosity",
    "habit",
    "reflection",
    "workplace",
    "course",
    "online",
    "peer",
    "growth",
    "knowledge",
    "network",
    "conversation",
    "question",
    "answer",
    "story",
    "experiment",
    "notebook",
    "attention",
    "trust",
    "craft",
    "apprentice",
    "guide",
    "forum",
    "thread",
    "reply",
    "idea",
    "skill",
    "teacher",
    "student",
    "draft",
    "revision",
    "summary",
    "lesson",
    "pattern",
    "context",
    "signal",
)


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + rng.choice(".?!")


def _article(rng: random.Random, index: int) -> str:
    paragraphs = [
        " ".join(_sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(3, 6)))
        for _ in range(5)
    ]
    paragraphs[1] = f"Some *emphasis* and a [link](https://example.org/{index}). " + paragraphs[1]
    date = datetime(2024, 1, 1) + timedelta(hours=7 * index)
    return (
        f"Title: Article number {index}\nDate: {date:%Y-%m-%d %H:%M}\n"
        f"Category: topic-{index % 8}\nTags: theme-{index % 13}, level-{index % 7}\n"
        f"Slug: article-{index}\nSummary: {_sentence(rng, 12)}\n\n" + "\n\n".join(paragraphs) + "\n"
    )


def _comment_body(rng: random.Random, article: int, number: int) -> str:
    """A comment with every Markdown feature readers use: each one has emphasis, a
    link, a quote and inline code; some add lists, strong text or a code block."""
    unique = f"(note {article}-{number})"
    word = rng.choice(WORDS)
    parts = [
        f"> {_sentence(rng, rng.randint(6, 14))}",
        f"I *really* liked the part on {word} {unique}; see "
        f"[my notes](https://blog.example/{article}/{number}) and try `{word}()` first. "
        + _sentence(rng, rng.randint(8, 20)),
    ]
    kind = rng.random()
    if kind < 0.3:
        parts.append(f"- {_sentence(rng, 6)}\n- **{_sentence(rng, 5)}**\n- {_sentence(rng, 4)}")
    elif kind < 0.45:
        parts.append(f"```python\nfor {word} in range(3):\n    print({word})\n```")
    elif kind < 0.6:
        parts.append(f"1. {_sentence(rng, 5)}\n2. {_sentence(rng, 7)}")
    parts.append(_sentence(rng, rng.randint(10, 30)))
    return "\n\n".join(parts)


def generate_site(root: Path, articles: int, comments: int, seed: int = 7) -> int:
    """Write the content tree; returns the number of comment files."""
    rng = random.Random(seed)
    shutil.rmtree(root / "content", ignore_errors=True)
    article_dir = root / "content" / "articles"
    comment_dir = root / "content" / "comments"
    article_dir.mkdir(parents=True)
    total = 0
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for index in range(articles):
        (article_dir / f"article-{index}.md").write_text(_article(rng, index), encoding="utf-8")
        folder = comment_dir / f"article-{index}"
        folder.mkdir(parents=True)
        ids: list[str] = []
        for number in range(comments):
            comment_id = f"c-{index}-{number}"
            date = start + timedelta(minutes=index * 97 + number * 13)
            lines = [
                f"id: {comment_id}",
                f"author: Reader {rng.randint(1, 5000)}",
                f"date: {date.isoformat()}",
            ]
            # About a third are replies, to a random earlier comment.
            if ids and rng.random() < 0.35:
                lines.append(f"reply_to: {rng.choice(ids)}")
            if rng.random() < 0.3:
                lines.append(f"author_url: https://reader{number}.example/")
            lines.append(f"avatar: {rng.getrandbits(64):016x}")
            lines.append("status: approved")
            body = _comment_body(rng, index, number)
            (folder / f"{comment_id}.md").write_text(
                "\n".join(lines) + "\n\n" + body + "\n", encoding="utf-8"
            )
            ids.append(comment_id)
            total += 1
    return total


def prepare_site(root: Path, articles: int, comments: int) -> int:
    """Generate the site, or reuse the one a previous ``--keep`` run left there."""
    marker = root / "content" / "params.json"
    wanted = {"articles": articles, "comments": comments}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"reusing the site under {root}", file=sys.stderr)
        return articles * comments
    started = time.perf_counter()
    total = generate_site(root, articles, comments)
    marker.write_text(json.dumps(wanted))
    print(
        f"generated {articles} articles, {total} comments in "
        f"{time.perf_counter() - started:.1f}s under {root}",
        file=sys.stderr,
    )
    return total


def _build_settings(root: Path, theme: Path, plugin: bool, cache: str, output: str) -> dict:
    return {
        "PATH": str(root / "content"),
        "OUTPUT_PATH": str(root / output),
        "CACHE_PATH": str(root / cache),
        "THEME": str(theme),
        "SITENAME": "Benchmark",
        "SITEURL": "https://bench.example",
        "TIMEZONE": "UTC",
        "ARTICLE_PATHS": ["articles"],
        "ARTICLE_EXCLUDES": ["comments"],
        "PAGE_EXCLUDES": ["comments"],
        "PLUGIN_PATHS": [str(PLUGINS)],
        "PLUGINS": ["comments"] if plugin else [],
        "CACHE_CONTENT": True,
        "FEED_ALL_ATOM": "feeds/all.atom.xml",
        "CATEGORY_FEED_ATOM": None,
        "TRANSLATION_FEED_ATOM": None,
        "AUTHOR_FEED_ATOM": None,
        "AUTHOR_FEED_RSS": None,
    }


def run_one(config: dict[str, Any]) -> dict[str, Any]:
    """Child mode: one build in this fresh interpreter; returns timings."""
    import logging

    from pelican import Pelican
    from pelican.generators import ArticlesGenerator
    from pelican.plugins import signals
    from pelican.settings import read_settings

    logging.getLogger("pelican").setLevel(logging.ERROR)
    overrides = dict(config["settings"])
    overrides["LOAD_CONTENT_CACHE"] = config["warm"]
    if config.get("inline"):
        sys.path.insert(0, str(PLUGINS))
        import comments.background

        comments.background.can_fork = lambda: False
    marks: dict[str, float] = {}
    article_pages = 0.0
    original = ArticlesGenerator.generate_articles

    def timed_generate_articles(self: Any, write: Any) -> None:
        nonlocal article_pages
        started = time.perf_counter()
        original(self, write)
        article_pages += time.perf_counter() - started

    ArticlesGenerator.generate_articles = timed_generate_articles  # type: ignore[method-assign]

    def mark_finalized(_: Any) -> None:
        marks["context"] = time.perf_counter()

    signals.all_generators_finalized.connect(mark_finalized)
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    settings = read_settings(override=overrides)
    Pelican(settings).run()
    total = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    result: dict[str, Any] = {
        "total": total,
        # CPU seconds: steadier than wall time on a shared machine.
        "cpu_main": (cpu_after.ru_utime + cpu_after.ru_stime)
        - (cpu_before.ru_utime + cpu_before.ru_stime),
        "context": marks["context"] - started,
        "writing": started + total - marks["context"],
        "article_pages": article_pages,
    }
    if config["plugin"]:
        comments = sys.modules["comments"]
        result["timers"] = dict(comments.TIMERS.seconds)
        result["counts"] = dict(comments.TIMERS.counts)
    return result


def _child(settings: dict, plugin: bool, warm: bool, inline: bool = False) -> dict[str, Any]:
    config = json.dumps({"settings": settings, "plugin": plugin, "warm": warm, "inline": inline})
    completed = subprocess.run(
        [sys.executable, __file__, "--run-one", config],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"build failed:\n{completed.stdout}\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=20, help="comments per article")
    parser.add_argument("--quick", action="store_true", help="100 articles x 5 comments")
    parser.add_argument("--repeat", type=int, default=1, help="builds of each kind (fastest kept)")
    parser.add_argument("--theme", type=Path, default=DEFAULT_THEME)
    parser.add_argument(
        "--keep", type=Path, help="build in this folder and keep it (a later run reuses it)"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when a ratio misses its target"
    )
    parser.add_argument(
        "--inline", action="store_true", help="also a cold build without the forked helper"
    )
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.run_one:
        print(json.dumps(run_one(json.loads(args.run_one))))
        return 0
    if args.quick:
        args.articles, args.comments = 100, 5

    root = args.keep or Path(tempfile.mkdtemp(prefix="comments-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        total_comments = prepare_site(root, args.articles, args.comments)
        runs: dict[str, list[dict[str, Any]]] = {"bare": [], "cold": [], "warm": [], "inline": []}
        for attempt in range(args.repeat):
            for name in ("cache-bare", "cache-comments", "out-bare", "out-comments"):
                shutil.rmtree(root / name, ignore_errors=True)
            bare = _build_settings(root, args.theme, False, "cache-bare", "out-bare")
            with_comments = _build_settings(
                root, args.theme, True, "cache-comments", "out-comments"
            )
            runs["bare"].append(_child(bare, plugin=False, warm=False))
            runs["cold"].append(_child(with_comments, plugin=True, warm=False))
            runs["warm"].append(_child(with_comments, plugin=True, warm=True))
            if args.inline:
                shutil.rmtree(root / "cache-comments", ignore_errors=True)
                runs["inline"].append(_child(with_comments, plugin=True, warm=False, inline=True))
            print(f"round {attempt + 1}/{args.repeat} done", file=sys.stderr)
        print_table(args.articles, total_comments, runs)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return check_targets(runs) if args.check else 0


def check_targets(runs: dict[str, list[dict[str, Any]]]) -> int:
    """1 (and a line on stderr per miss) when a ratio misses its target."""
    cold_ratio = _best(runs["cold"], "total") / _best(runs["bare"], "total")
    warm_ratio = _best(runs["warm"], "total") / _best(runs["cold"], "total")
    misses = []
    if cold_ratio > COLD_RATIO_TARGET:
        misses.append(f"cold ratio {cold_ratio:.2f} > {COLD_RATIO_TARGET}")
    if warm_ratio > WARM_RATIO_TARGET:
        misses.append(f"warm/cold {warm_ratio:.2f} > {WARM_RATIO_TARGET}")
    for miss in misses:
        print(f"target missed: {miss}", file=sys.stderr)
    return 1 if misses else 0


def _best(runs: list[dict[str, Any]], key: str) -> float:
    return min(run[key] for run in runs)


def print_table(articles: int, comments: int, runs: dict[str, list[dict[str, Any]]]) -> None:
    bare = _best(runs["bare"], "total")
    cold = _best(runs["cold"], "total")
    warm = _best(runs["warm"], "total")
    print()
    print("| articles | comments | bare s | with comments s | ratio | warm s | warm/cold |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {articles} | {comments} | {bare:.2f} | {cold:.2f} | {cold / bare:.2f} "
        f"| {warm:.2f} | {warm / cold:.2f} |"
    )
    print()
    print("Where the time goes (seconds, fastest of the runs, as the machine is shared):")
    print("| step | bare | cold | warm |")
    print("|---|---:|---:|---:|")
    for key, label in (
        ("context", "reading + context (until all_generators_finalized)"),
        ("writing", "writing (templates, feeds, static)"),
        ("article_pages", "article pages (templates)"),
        ("cpu_main", "CPU seconds, build process"),
    ):
        print(
            f"| {label} | {_best(runs['bare'], key):.2f} | {_best(runs['cold'], key):.2f} "
            f"| {_best(runs['warm'], key):.2f} |"
        )
    extra_templates_cold = _best(runs["cold"], "article_pages") - _best(
        runs["bare"], "article_pages"
    )
    extra_templates_warm = _best(runs["warm"], "article_pages") - _best(
        runs["bare"], "article_pages"
    )
    print(
        f"| templates: extra article-page time vs bare | | {extra_templates_cold:.2f} "
        f"| {extra_templates_warm:.2f} |"
    )
    steps = runs["cold"][0]["timers"].keys()
    notes = {
        "reading": "read the files",
        "rendering": "parse, cmark and nh3",
        "cache": "look up and save Pelican's file-stamp cache",
    }
    for step in steps:
        cold_value = min(run["timers"][step] for run in runs["cold"])
        warm_value = min(run["timers"][step] for run in runs["warm"])
        label = f"plugin: {step}" + (f" ({notes[step]})" if step in notes else "")
        print(f"| {label} | | {cold_value:.2f} | {warm_value:.2f} |")
    if runs["inline"]:
        inline = _best(runs["inline"], "total")
        print(
            f"\ncold, everything in the build process: {inline:.2f} s, ratio {inline / bare:.2f} "
            f"(with the forked helper: {cold / bare:.2f}); "
            f"CPU s of the build process {_best(runs['inline'], 'cpu_main'):.2f}"
        )
    counts = runs["warm"][0].get("counts", {})
    if counts:
        cached, files = counts.get("from_cache", 0), counts.get("files", 0)
        print(f"\nwarm build: {cached} of {files} comment files came from the cache")


if __name__ == "__main__":
    sys.exit(main())
