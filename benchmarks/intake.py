"""Intake throughput and latency: the real service, driven over loopback.

Starts ``python -m moderation serve`` as a subprocess (its own temporary
database and threads.json, ``COMMENTS_RATE_LIMIT=0``), then a separate load
process: an asyncio client on keep-alive connections posting the theme's
urlencoded form, each submission unique. Two cases, measured in one run:

(a) Akismet off: only the local signals screen in the background;
(b) Akismet on, answered by a local fake server after 200 ms.

Reported: accepted submissions per second (303 answers), p50/p99 latency, and
whether the database holds exactly as many comments as were accepted.

    .venv/bin/python benchmarks/intake.py                # both cases, defaults
    .venv/bin/python benchmarks/intake.py --count 5000 --connections 16
    .venv/bin/python benchmarks/intake.py --check        # exit 1 below target

Target: at least 1,000 accepted submissions a second with p99 at most 50 ms.
A mismatch between accepted answers and database rows always fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ["social-not-sales", "communities-of-practice", "who-owns-the-room"]
TARGET_RATE = 1000.0
TARGET_P99_MS = 50.0


def _host_port(port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port)]


# -- the load process -------------------------------------------------------------------


def _request(host: str, port: int, token: str, number: int, run: str) -> bytes:
    body = urlencode(
        {
            "article": ARTICLES[number % len(ARTICLES)],
            "reply_to": "",
            "name": f"Reader {number % 97}",
            "email": f"reader{number % 97}@example.org",
            "url": "",
            "body": (
                f"Comment {number} of run {run}: what stayed with me is how a community "
                "changes once the people in it start to feel sold to rather than heard."
            ),
            "token": token,
            "website": "",
        }
    ).encode()
    head = (
        f"POST /comments HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Origin: http://127.0.0.1:8000\r\nReferer: http://127.0.0.1:8000/2026/a.html\r\n"
        "User-Agent: intake-benchmark/1.0\r\nAccept-Language: en-GB,en;q=0.8\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    host: str,
    port: int,
    token: str,
    numbers: list[int],
    run: str,
    deadline: float,
    latencies: list[float],
    statuses: dict[int, int],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for number in numbers:
            if time.perf_counter() > deadline:
                break
            payload = _request(host, port, token, number, run)
            started = time.perf_counter()
            writer.write(payload)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            match = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            if match and int(match.group(1)):
                await reader.readexactly(int(match.group(1)))
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def _load(args: argparse.Namespace) -> dict[str, object]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    connections = args.connections
    plan = [list(range(i, args.count, connections)) for i in range(connections)]
    started = time.perf_counter()
    deadline = started + args.duration
    await asyncio.gather(
        *(
            _connection(
                args.host, args.port, args.token, numbers, args.run, deadline, latencies, statuses
            )
            for numbers in plan
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "sent": len(latencies),
        "statuses": statuses,
        "accepted": statuses.get(303, 0),
        "elapsed": elapsed,
        "p50_ms": quantiles[49] * 1000,
        "p99_ms": quantiles[98] * 1000,
        "max_ms": (latencies[-1] if latencies else 0.0) * 1000,
    }


def load_main(args: argparse.Namespace) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(json.dumps(asyncio.run(_load(args))))


# -- the emulated Akismet ---------------------------------------------------------------


def _fake_akismet(delay: float) -> Any:
    """The tests' emulated Akismet as a real HTTP server on 127.0.0.1."""
    sys.path.insert(0, str(ROOT))
    from tests.fakes.akismet import FakeAkismet, FakeAkismetServer
    from tests.intake.helpers import akismet_environment

    server = FakeAkismetServer(FakeAkismet(delay=delay)).start()
    return server, akismet_environment(server)


# -- the orchestration -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _write_site(folder: Path) -> Path:
    threads = folder / "output" / "comments" / "threads.json"
    threads.parent.mkdir(parents=True)
    threads.write_text(
        json.dumps(
            [
                {
                    "slug": slug,
                    "title": slug,
                    "url": f"2026/{slug}.html",
                    "open": True,
                    "comments": [],
                }
                for slug in ARTICLES
            ]
        ),
        encoding="utf-8",
    )
    return threads


def _get_json(port: int, path: str) -> dict[str, object]:
    import httpx

    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=5).json()


def run_case(name: str, args: argparse.Namespace, akismet_delay: float | None) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    threads = _write_site(folder)
    db = folder / "moderation.db"
    port = _free_port()
    env = {
        **os.environ,
        "COMMENTS_RATE_LIMIT": "0",
        "COMMENTS_THREADS": json.dumps(str(threads)),
        "PYTHONPATH": str(ROOT),
    }
    for key in ("PYTHON_AKISMET_API_KEY", "PYTHON_AKISMET_BLOG_URL", "MODERATION_AKISMET_ENDPOINT"):
        env.pop(key, None)
    fake = None
    if akismet_delay is not None:
        fake, akismet_env = _fake_akismet(akismet_delay)
        env.update(akismet_env)
    log = (folder / "service.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "moderation", "--db", str(db), "serve", *_host_port(port)],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(200):
            try:
                if _get_json(port, "/health").get("ok"):
                    break
            except Exception:
                time.sleep(0.05)
        else:
            raise SystemExit(f"the service did not start; see {folder / 'service.log'}")
        token = str(_get_json(port, "/comments/token")["token"])
        time.sleep(3.1)  # a token younger than COMMENTS_MIN_SECONDS would flag every comment
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        load = subprocess.run(
            [
                *(sys.executable, __file__, "--load", "--port", str(port), "--token", token),
                *("--count", str(args.count), "--connections", str(args.connections)),
                *("--duration", str(args.duration), "--run", name),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        result = json.loads(load.stdout)
        # How busy the load process was: near 100 % would make it the bottleneck.
        client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        result["client_cpu"] = client_cpu / result["elapsed"]
        health = _get_json(port, "/health")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if fake is not None:
            fake.stop()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT count(*) FROM comments").fetchone()[0]
        screened = conn.execute("SELECT count(DISTINCT comment_id) FROM screenings").fetchone()[0]
    result.update(case=name, rows=rows, screened=screened, health=health, folder=str(folder))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000, help="submissions per case")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    parser.add_argument("--duration", type=float, default=30.0, help="at most this long per case")
    parser.add_argument("--akismet-delay", type=float, default=0.2)
    parser.add_argument("--cases", default="off,akismet", help="off, akismet or both")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--token", default="", help=argparse.SUPPRESS)
    parser.add_argument("--run", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load:
        load_main(args)
        return
    results = []
    for case in args.cases.split(","):
        delay = args.akismet_delay if case == "akismet" else None
        label = "Akismet off" if delay is None else f"Akismet after {delay * 1000:.0f} ms"
        result = run_case(case, args, delay)
        result["label"] = label
        results.append(result)
    print(
        f"\n{args.count} submissions max, {args.connections} connections, "
        f"{args.duration:.0f} s max per case, {os.cpu_count()} CPUs\n"
    )
    columns = ["accepted/s", "p50 ms", "p99 ms", "max ms", "accepted", "other", "DB rows"]
    columns.append("screened")
    print(f"| {'case':<24} | " + " | ".join(columns) + " |")
    print(f"|{'-' * 26}|" + "|".join("-" * (len(c) + 1) + ":" for c in columns) + "|")
    failed = False
    for r in results:
        rate = r["accepted"] / r["elapsed"]
        other = r["sent"] - r["accepted"]
        cells = [f"{rate:.0f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['max_ms']:.1f}"]
        cells += [str(r[k]) for k in ("accepted",)] + [str(other), str(r["rows"])]
        cells.append(str(r["screened"]))
        print(
            f"| {r['label']:<24} | "
            + " | ".join(cell.rjust(len(c)) for cell, c in zip(cells, columns, strict=True))
            + " |"
        )
        if r["rows"] != r["accepted"]:
            print(f"  MISMATCH: {r['accepted']} accepted but {r['rows']} rows in the database")
            failed = True
        if rate < TARGET_RATE or r["p99_ms"] > TARGET_P99_MS:
            print(f"  below target ({TARGET_RATE:.0f}/s, p99 <= {TARGET_P99_MS:.0f} ms)")
            failed = failed or args.check
        if other:
            print(f"  statuses: {r['statuses']}")
        print(f"  load client CPU: {r['client_cpu']:.0%} of one core")
    if len(results) == 2:
        a, b = results
        ratio = (b["accepted"] / b["elapsed"]) / (a["accepted"] / a["elapsed"])
        print(
            f"\nthroughput with slow Akismet / without: {ratio:.2f}; "
            f"p99 ratio: {b['p99_ms'] / a['p99_ms']:.2f}"
        )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
