"""`moderation list`: newest first, the newest 50 by default, `--limit N` (0: all)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.store import Store
from tests.moderation.conftest import add


def listed_ids(out: str) -> list[str]:
    return [line.split("│")[1].strip() for line in out.splitlines() if "│ c-" in line]


def test_list_is_newest_first_and_limited(site, run):
    start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with Store(site.db) as store:
        ids = [
            add(
                store,
                body=f"Remark number {n} on learning.",
                received_at=start + timedelta(hours=n),
            ).id
            for n in range(60)
        ]
    newest_first = list(reversed(ids))

    default = run("list")
    assert default.code == 0
    assert listed_ids(default.out) == newest_first[:50]
    assert "newest 50 of 60 comments (--limit 0 lists all)" in default.out

    three = run("list", "--limit", "3")
    assert listed_ids(three.out) == newest_first[:3]
    assert "newest 3 of 60 comments" in three.out

    everything = run("list", "--limit", "0")
    assert listed_ids(everything.out) == newest_first
    assert everything.out.rstrip().endswith("60 comments")
