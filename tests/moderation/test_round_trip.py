"""THE ROUND TRIP: import → screen → approve → publish → a real Pelican build.

Everything runs for real: the CLI in-process on a SQLite file, the project's
settings, theme and comments plugin, and Pelican writing HTML into tmp_path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pelican import Pelican
from pelican.settings import read_settings

from moderation import cli
from moderation.store import Store

ROOT = Path(__file__).resolve().parents[2]
PROJECT_SETTINGS = ROOT / "pelicanconf.py"

pytestmark = pytest.mark.slow

ARTICLE = """\
Title: Learning in public
Date: 2026-03-01 09:00+01:00
Category: Practice
Tags: learning, communities
Slug: learning-in-public
Author: Mara Lindqvist
Summary: Why sharing half-finished notes helps a community learn.

Sharing what you are still working out invites others to think with you.
"""

HOSTILE_BODY = (
    "Interesting point about sharing notes.\n\n"
    '<script>document.title = "pwned"</script>\n\n'
    "See [my notes](javascript:alert(document.cookie)) and *this* for more."
)


def make_site(root: Path) -> tuple[Path, Path]:
    content = root / "content"
    (content / "articles").mkdir(parents=True)
    (content / "pages").mkdir()
    (content / "articles" / "learning-in-public.md").write_text(ARTICLE, encoding="utf-8")
    # Moderation reads the project's settings with only PATH pointing at the tmp content.
    settings_file = root / "pelicanconf.py"
    settings_file.write_text(
        "import runpy\n"
        f"globals().update(runpy.run_path({str(PROJECT_SETTINGS)!r}))\n"
        f"PATH = {str(content)!r}\n",
        encoding="utf-8",
    )
    return content, settings_file


def build(content: Path, output: Path) -> None:
    settings = read_settings(
        str(PROJECT_SETTINGS),
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "CACHE_CONTENT": False,
            "LOAD_CONTENT_CACHE": False,
            "CACHE_PATH": str(output.parent / "cache"),
            "COMMENTS_THREADS": str(output / "comments" / "threads.json"),
        },
    )
    Pelican(settings).run()


def test_import_screen_approve_publish_build(tmp_path, capsys):
    content, settings_file = make_site(tmp_path / "site")
    db = tmp_path / "moderation.db"
    inbox = tmp_path / "inbox.jsonl"
    lines = [
        {
            "ref": "first",
            "article": "learning-in-public",
            "name": "Jane Doe",
            "email": "jane@example.org",
            "url": "https://jane.example",
            "body": "I started a public notebook last year and **loved** it.",
            "ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0 Firefox/140",
            "received_at": "2026-03-02T10:00:00+00:00",
        },
        {
            "article": "learning-in-public",
            "name": "Mallory <b>M</b>",
            "body": HOSTILE_BODY,
            "reply_to": "first",
            "received_at": "2026-03-02T11:00:00+00:00",
        },
    ]
    inbox.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")

    def moderation(*args: str) -> str:
        code = cli.main(["--db", str(db), "--settings", str(settings_file), *args])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return captured.out

    moderation("import", str(inbox))
    moderation("screen")
    assert json.loads(moderation("status", "--json"))["received"] == 0
    with Store(db) as store:
        ids = [c.id for c in store.comments.list()]
        unapproved = [c.id for c in store.comments.list() if str(c.status) != "approved"]
    if unapproved:
        moderation("approve", *unapproved)
    published = moderation("publish")
    assert "2 written" in published

    output = tmp_path / "output"
    build(content, output)
    html = (output / "2026" / "learning-in-public.html").read_text(encoding="utf-8")
    page = BeautifulSoup(html, "lxml")
    first, reply = (page.find(id=f"comment-{comment_id}") for comment_id in ids)
    assert first is not None and reply is not None, "both comments are on the page"
    assert "loved" in first.get_text()
    assert first.find("strong") is not None  # Markdown rendered
    assert "Interesting point about sharing notes." in reply.get_text()
    assert reply.find_parent(id=f"comment-{ids[0]}") is first, "threaded under its parent"

    # Sanitised: no script survives, no javascript: link, no author HTML.
    assert reply.find("script") is None
    assert all(
        not script.get_text().strip().startswith("document.title")
        for script in page.find_all("script")
    )
    for link in page.find_all("a", href=True):
        assert not link["href"].strip().lower().startswith("javascript:"), link
    notes = reply.find("a", string="my notes")
    assert notes is None or "href" not in notes.attrs
    assert reply.find("b") is None
    assert "Mallory <b>M</b>" in reply.get_text()
    assert "jane@example.org" not in html

    threads = json.loads((output / "comments" / "threads.json").read_text(encoding="utf-8"))
    (thread,) = [t for t in threads if t["slug"] == "learning-in-public"]
    assert sorted(thread["comments"]) == sorted(ids)
