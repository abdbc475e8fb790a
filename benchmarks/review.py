"""The review queue under a real load: the real server, driven over loopback (issue 10).

Builds a database in a temporary folder, starts ``python -m moderation
review-server`` on a free loopback port (uvicorn, as a moderator runs it), logs in
like a browser and times two things:

(a) the first queue page with 10,000 held comments, each with a screening run
    (the page shows 100, and counts every tab);
(b) an approve, from the queue, with 10,000 labelled decisions in the log and a
    model trained on them. The model learns in the background: the answer must not
    wait for it. For comparison, the synchronous retrain it no longer waits for is
    timed too.

    .venv/bin/python benchmarks/review.py              # the table
    .venv/bin/python benchmarks/review.py --check      # exit 1 when a target is missed
    .venv/bin/python benchmarks/review.py --held 2000 --decisions 2000   # smaller
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from moderation import accounts  # noqa: E402
from moderation.models import (  # noqa: E402
    Comment,
    Decision,
    SignalResult,
    State,
    Verdict,
)
from moderation.store import Store  # noqa: E402

TARGET_MS = 300.0
MODERATOR, PASSWORD = "bench", "benchmark password"
ARTICLES = ["social-not-sales", "communities-of-practice", "who-owns-the-room"]
SETTINGS = """\
SITENAME = "Review benchmark"
PATH = "content"
ARTICLE_PATHS = ["articles"]
COMMENTS_PATH = "comments"
"""
ARTICLE = "Title: {title}\nDate: 2026-01-10 09:00+01:00\nSlug: {slug}\n\nA short article.\n"
WORDS = [
    "community",
    "practice",
    "learning",
    "lurking",
    "trust",
    "sharing",
    "question",
    "answer",
    "forum",
    "mentor",
    "newcomer",
    "habit",
    "reading",
    "writing",
    "notes",
    "summary",
    "weekly",
    "team",
    "remote",
    "open",
]


def _body(number: int) -> str:
    words = [WORDS[(number * 7 + k * 3) % len(WORDS)] for k in range(24)]
    return f"Comment {number}: " + " ".join(words) + "."


def _verdict(number: int) -> Verdict:
    signals = (
        SignalResult("akismet", None, "akismet: not configured"),
        SignalResult(
            "rules",
            0.5,
            "rules: moderation keyword word: 'webinar'",
            floor=Decision.HOLD,
            findings=("moderation keyword word: 'webinar'",),
            weight=1.0,
        ),
        SignalResult("promotion", 0.1, "promotion: nothing found"),
    )
    return Verdict(
        Decision.HOLD, 0.5 + (number % 10) / 100, ("moderation keyword word: 'webinar'",), signals
    )


def build_site(root: Path) -> Path:
    (root / "content" / "articles").mkdir(parents=True)
    for slug in ARTICLES:
        (root / "content" / "articles" / f"{slug}.md").write_text(
            ARTICLE.format(title=slug.replace("-", " ").capitalize(), slug=slug), encoding="utf-8"
        )
    settings = root / "pelicanconf.py"
    settings.write_text(SETTINGS, encoding="utf-8")
    return settings


def fill(db: Path, held: int, decided: int) -> dict[str, Any]:
    """``held`` held comments with a screening run each; ``decided`` comments decided by a
    moderator (a labelled line each); a model trained on them. Returns facts and timings."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    facts: dict[str, Any] = {}
    with Store(db) as store:
        accounts.add_moderator(store, MODERATOR, PASSWORD)
        began = time.perf_counter()
        with store.transaction():
            comments = store.comments.add_many(
                [
                    Comment(
                        article=ARTICLES[n % len(ARTICLES)],
                        author=f"Reader {n % 500}",
                        email=f"reader{n % 500}@example.org",
                        body=_body(n) + (" see https://bit.ly/x" if n % 9 == 0 else ""),
                        ip=f"192.0.2.{n % 250}",
                        received_at=start + timedelta(minutes=n),
                    )
                    for n in range(held + decided)
                ],
                status=State.RECEIVED,
            )
            for number, comment in enumerate(comments):
                assert comment.id is not None
                store.screenings.record(
                    comment.id,
                    _verdict(number),
                    version=comment.version,
                    now=comment.received_at,
                )
            for number, comment in enumerate(comments[held:]):
                assert comment.id is not None
                action = ("approve", "spam", "promo")[number % 3]  # each one a label
                store.decisions.moderate(comment.id, action, actor=f"mod{number % 3}")
        facts["fill_seconds"] = time.perf_counter() - began
        facts["held"] = store.comments.count(status=State.HELD)
        facts["decisions"] = store.conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
        facts["labelled"] = store.decisions.count_labelled()
        from moderation.screening import learned

        began = time.perf_counter()
        learned.retrain(store)
        facts["retrain_seconds"] = time.perf_counter() - began
        facts["held_ids"] = [c.id for c in comments[:held]]
    return facts


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def review_server(root: Path, settings: Path, db: Path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMMENTS_", "MODERATION_", "PYTHON_AKISMET_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    log = (root / "server.log").open("wb")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "moderation", "--db", str(db), "--settings", str(settings)),
            *("review-server", "--host", "127.0.0.1", "--port", str(port)),
        ],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the review server exited: {(root / 'server.log').read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the review server did not answer within 60 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def log_in(client: httpx.Client) -> None:
    token = _token(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": MODERATOR, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text


def timed(call) -> tuple[float, httpx.Response]:
    began = time.perf_counter()
    answer = call()
    return (time.perf_counter() - began) * 1000, answer


def measure(base: str, held_ids: list[str], approvals: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers={"origin": base}, timeout=30) as client:
        log_in(client)
        first, page = timed(lambda: client.get("/"))
        assert page.status_code == 200 and page.text.count('data-id="') == 100, page.status_code
        results["first_page_ms"] = first
        results["page_ms"] = [timed(lambda: client.get("/"))[0] for _ in range(10)]
        token = _token(page.text)
        approve_ms = []
        for comment_id in held_ids[:approvals]:
            ms, answer = timed(
                lambda cid=comment_id: client.post(
                    "/moderate",
                    data={"csrf_token": token, "one": f"approve {cid}", "next": "/"},
                )
            )
            assert answer.status_code == 303, answer.text
            approve_ms.append(ms)
        results["approve_ms"] = approve_ms
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--held", type=int, default=10_000, help="held comments (default 10,000)")
    parser.add_argument(
        "--decisions", type=int, default=10_000, help="labelled decisions (default 10,000)"
    )
    parser.add_argument("--approvals", type=int, default=20, help="approves timed (default 20)")
    parser.add_argument("--check", action="store_true", help=f"exit 1 over {TARGET_MS:.0f} ms")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)

    root = args.keep or Path(tempfile.mkdtemp(prefix="review-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        settings = build_site(root)
        db = root / "var" / "moderation.db"
        facts = fill(db, args.held, args.decisions)
        print(
            f"filled {facts['held']:,} held comments and {facts['decisions']:,} decision lines "
            f"({facts['labelled']:,} labelled) in {facts['fill_seconds']:.1f} s",
            file=sys.stderr,
        )
        with review_server(root, settings, db) as base:
            results = measure(base, facts["held_ids"], args.approvals)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    page_median = statistics.median(results["page_ms"])
    approve = sorted(results["approve_ms"])
    approve_p95 = approve[max(0, round(0.95 * len(approve)) - 1)]
    rows = [
        (
            "first queue page, 10,000 held"
            if args.held == 10_000
            else f"first page, {args.held:,} held",
            results["first_page_ms"],
            TARGET_MS,
        ),
        ("queue page, median of 10", page_median, TARGET_MS),
        (f"approve, p95 of {len(approve)}, {facts['labelled']:,} labelled", approve_p95, TARGET_MS),
        ("approve, slowest", approve[-1], None),
        ("retrain it no longer waits for", facts["retrain_seconds"] * 1000, None),
    ]
    print(f"{'measure':<44} {'ms':>9} {'target':>8}")
    missed = []
    for name, value, target in rows:
        mark = "" if target is None else (" ok" if value <= target else " MISSED")
        shown = f"≤ {target:.0f}" if target else ""
        print(f"{name:<44} {value:>9.1f} {shown:>8}{mark}")
        if target is not None and value > target:
            missed.append(name)
    if args.check and missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
