"""A tiny site (settings file, two articles) and a real SQLite store in tmp_path."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from moderation import cli
from moderation.models import Comment, State
from moderation.settings import Settings, load_settings
from moderation.store import Store

SETTINGS_FILE = """\
PATH = "content"
ARTICLE_PATHS = ["articles"]
PAGE_PATHS = ["pages"]
COMMENTS_PATH = "comments"
COMMENTS_RETENTION_DAYS = 30
"""

ARTICLE = """\
Title: {title}
Date: 2026-01-10 09:00+01:00
Slug: {slug}
Tags: learning, communities
Summary: A short article about {title}.

Communities of practice grow when people help each other with shared problems.
"""

ARTICLES = {"first-steps": "First steps", "second-thoughts": "Second thoughts"}


@dataclass
class Site:
    root: Path
    settings_file: Path
    content: Path
    comments_dir: Path
    db: Path

    def settings(self) -> Settings:
        return load_settings(self.settings_file, environ={})


def make_site(
    root: Path, *, settings_text: str = SETTINGS_FILE, articles: dict[str, str] = ARTICLES
) -> Site:
    """A settings file and one Markdown file per ``{slug: title}`` in ``articles``."""
    (root / "content" / "articles").mkdir(parents=True)
    (root / "content" / "pages").mkdir()
    settings_file = root / "pelicanconf.py"
    settings_file.write_text(settings_text, encoding="utf-8")
    for slug, title in articles.items():
        (root / "content" / "articles" / f"{slug}.md").write_text(
            ARTICLE.format(title=title, slug=slug), encoding="utf-8"
        )
    return Site(
        root=root,
        settings_file=settings_file,
        content=root / "content",
        comments_dir=root / "content" / "comments",
        db=root / "var" / "moderation.db",
    )


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No Akismet key, no database or settings override leaks in from the outside."""
    for name in list(os.environ):
        if name.startswith(("COMMENTS_", "PYTHON_AKISMET_", "MODERATION_")):
            monkeypatch.delenv(name)


@pytest.fixture
def site(tmp_path) -> Site:
    return make_site(tmp_path / "site")


@pytest.fixture
def settings(site) -> Settings:
    return site.settings()


@pytest.fixture
def store(site):
    with Store(site.db) as store:
        yield store


def add(
    store: Store,
    *,
    article: str = "first-steps",
    author: str = "Jane Doe",
    body: str = "A thoughtful remark about learning together.",
    email: str | None = "jane@example.org",
    status: State = State.HELD,
    reply_to: str | None = None,
    received_at: datetime | None = None,
    **extra,
) -> Comment:
    comment = Comment(
        article=article,
        author=author,
        body=body,
        email=email,
        reply_to=reply_to,
        received_at=received_at or datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
        **extra,
    )
    return store.comments.add(comment, status=status)


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def run(site, capsys):
    """``run("status", "--json")``: the CLI in-process against the tmp site."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = cli.main(["--db", str(site.db), "--settings", str(site.settings_file), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


class _AkismetHandler(BaseHTTPRequestHandler):
    """Answers like the Akismet API and keeps every form it was sent."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        self.server.calls.append((self.path, form))  # type: ignore[attr-defined]
        answers = {"/1.1/verify-key": "valid", "/1.1/comment-check": "false"}
        body = answers.get(self.path, "Thanks for making the web a better place.").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return  # keep test output quiet


@pytest.fixture
def akismet_server(monkeypatch):
    """A real local HTTP server speaking Akismet; the environment points the client at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AkismetHandler)
    server.calls = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", "test-key")
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("MODERATION_AKISMET_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    yield server
    server.shutdown()
    server.server_close()
