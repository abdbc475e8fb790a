"""Worst cases: the largest comment and Webmention source of every hostile shape.

    .venv/bin/python benchmarks/worst_case.py [--check]

Each comment shape (``tests/hostile.py``) is a body of the maximum size (10,000
characters) built to make a backtracking pattern or a naive parser work hard.
For each: rendering it as the build does (``comment_format.render.render_body``;
a refusal counts, it is what the build does with it), screening it with every
signal and the policy (no Akismet, no database), and the slowest single pattern
of ``moderation.screening.patterns.REGISTRY`` on it. Times are CPU seconds of
this process, fastest of three, so the shared machine's other work does not count.

Each source shape is a page of the most the Webmention fetcher reads (1 MB), built
to make an HTML parser or mf2py work hard (nesting, tags that walk the open
elements, attributes), and each charset one a decoder could choke on; the time is
``moderation.webmention.read_source`` on it, as the mention thread reads a fetched
source (a refusal counts), CPU seconds of one run.

Targets: rendering at most 100 ms, screening at most 50 ms (issue 7); reading a
source at most the fetch's own 10 s. ``--check`` exits 1 when a shape misses one.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from comment_format.render import RenderProblem, render_body  # noqa: E402
from moderation.models import Comment  # noqa: E402
from moderation.screening import Screener  # noqa: E402
from moderation.screening.patterns import REGISTRY  # noqa: E402
from moderation.settings import load_settings  # noqa: E402
from moderation.webmention import (  # noqa: E402
    MAX_BYTES,
    TIMEOUT_SECONDS,
    Fetched,
    SourceUnreadable,
    read_source,
)
from tests.hostile import ADVERSARIAL, NESTED, SOURCE_CHARSETS, SOURCES  # noqa: E402

RENDER_TARGET = 0.100
SCREENING_TARGET = 0.050
#: Reading a fetched source costs no more than fetching it may take.
SOURCE_TARGET = TIMEOUT_SECONDS
TARGET = "https://blog.example/2026/an-article.html"


def cpu_seconds(function: Callable[..., Any], *args: Any, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        function(*args)
        best = min(best, time.process_time() - started)
    return best


def render(body: str) -> None:
    with contextlib.suppress(RenderProblem):
        render_body(body)


def slowest_pattern(body: str) -> tuple[float, str]:
    def run(pattern: Any) -> None:
        if hasattr(pattern, "finditer"):
            for _ in pattern.finditer(body):
                pass
        else:  # an RE2 set
            pattern.Match(body)

    return max((cpu_seconds(run, pattern, repeat=1), name) for name, pattern in REGISTRY.items())


def read(body: bytes, content_type: str) -> str:
    """What the mention thread makes of ``body``, fetched with ``content_type``."""
    try:
        source = read_source(
            Fetched("https://source.example/post", 200, content_type, body, False), TARGET
        )
    except SourceUnreadable as refused:
        return f"refused: {refused}"
    return "links" if source.links else "read, no link"


def sources_table(missed: list[str]) -> Any:
    from rich.table import Table

    # A page that links, with a byte no charset decodes alike: 1 MB, what is read.
    page = SOURCES["flat h-entries"].replace(b"/x", TARGET.encode())[: MAX_BYTES - 2] + "é".encode()
    shapes = {name: (body, "text/html") for name, body in SOURCES.items()}
    shapes |= {
        f"charset={label}": (page, f"text/html; charset={label}") for label in SOURCE_CHARSETS
    }
    table = Table(title=f"Worst cases: {len(shapes)} hostile Webmention sources")
    for column in ("shape", "bytes", "read s", "outcome"):
        table.add_column(column, justify="left" if column in ("shape", "outcome") else "right")
    worst = 0.0
    for name, (body, content_type) in shapes.items():
        started = time.process_time()
        outcome = read(body, content_type)
        seconds = time.process_time() - started
        worst = max(worst, seconds)
        if seconds > SOURCE_TARGET:
            missed.append(f"source {name}: {seconds:.1f} s")
        table.add_row(name, f"{len(body):,}", f"{seconds:.2f}", outcome)
    table.caption = f"worst: {worst:.2f} s (≤ {SOURCE_TARGET:g}); CPU time, one run"
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    from rich.console import Console
    from rich.table import Table

    settings = load_settings(ROOT / "pelicanconf.py", environ={})
    screener = Screener(settings, None, articles={})
    screener.screen_many([Comment("a", "warm up", "warm up")])  # model and patterns loaded
    shapes = {**ADVERSARIAL, **{f"nested {name}": body for name, body in NESTED.items()}}
    table = Table(title=f"Worst cases: {len(shapes)} hostile shapes, {len(REGISTRY)} patterns")
    for column in ("shape", "chars", "render ms", "screen ms", "slowest pattern"):
        table.add_column(column, justify="left" if column == "shape" else "right")
    missed = []
    worst_render = worst_screen = 0.0
    for name, body in shapes.items():
        comment = Comment("a", "Reader", body, author_url="https://a-b-c.example")
        rendered = cpu_seconds(render, body)
        screened = cpu_seconds(screener.screen_many, [comment])
        pattern_time, pattern = slowest_pattern(body)
        worst_render, worst_screen = max(worst_render, rendered), max(worst_screen, screened)
        if rendered > RENDER_TARGET:
            missed.append(f"{name}: render {rendered * 1000:.1f} ms")
        if screened > SCREENING_TARGET:
            missed.append(f"{name}: screening {screened * 1000:.1f} ms")
        table.add_row(
            name,
            f"{len(body):,}",
            f"{rendered * 1000:.1f}",
            f"{screened * 1000:.1f}",
            f"{pattern} {pattern_time * 1000:.2f} ms",
        )
    table.caption = (
        f"worst: render {worst_render * 1000:.1f} ms (≤ {RENDER_TARGET * 1000:.0f}), "
        f"screening {worst_screen * 1000:.1f} ms (≤ {SCREENING_TARGET * 1000:.0f}); "
        "CPU time, fastest of 3"
    )
    Console(width=120).print(table)
    Console(width=120).print(sources_table(missed))
    for miss in missed:
        print(f"missed target: {miss}")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
