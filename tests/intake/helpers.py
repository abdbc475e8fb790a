"""Shared helpers for the intake tests: a tiny site, settings, and two ways to talk to the app.

- :class:`AppClient` drives the ASGI app in-process with httpx (lifespan included),
  from ordinary synchronous tests.
- :class:`ServiceProcess` runs the real ``python -m moderation serve`` on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx

from moderation.settings import Settings, load_settings
from tests.fakes.akismet import FakeAkismetServer

ROOT = Path(__file__).resolve().parents[2]
SITE_ORIGIN = "http://127.0.0.1:8000"

#: The articles of the test site, as the plugin would list them in threads.json.
THREADS = [
    {
        "slug": "social-not-sales",
        "title": "Social, not sales",
        "url": "2026/social-not-sales.html",
        "open": True,
        "comments": ["c-2026-11-01-aaaaaa"],
    },
    {
        "slug": "who-owns-the-room",
        "title": "Who owns the room?",
        "url": "2026/who-owns-the-room.html",
        "open": True,
        "comments": [],
    },
    {
        "slug": "closed-thread",
        "title": "An old, closed thread",
        "url": "2020/closed-thread.html",
        "open": False,
        "comments": [],
    },
]


def write_site(folder: Path, threads: Iterable[Mapping[str, Any]] = THREADS) -> Path:
    """A settings file and ``output/comments/threads.json`` in ``folder``."""
    (folder / "pelicanconf.py").write_text(
        'SITENAME = "Test blog"\nPATH = "content"\nCOMMENTS_SITE_URL = "http://127.0.0.1:8000"\n',
        encoding="utf-8",
    )
    return write_threads(folder, threads)


def write_threads(folder: Path, threads: Iterable[Mapping[str, Any]]) -> Path:
    path = folder / "output" / "comments" / "threads.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(list(threads)), encoding="utf-8")
    os.replace(temporary, path)
    return path


def make_settings(folder: Path, **overrides: Any) -> Settings:
    settings = load_settings(folder / "pelicanconf.py", environ={})
    return settings.with_overrides(**{"COMMENTS_RATE_LIMIT": 0, **overrides})


def form(**fields: str) -> dict[str, str]:
    """A valid submission of the theme's form, with ``fields`` changed."""
    base = {
        "article": "social-not-sales",
        "reply_to": "",
        "name": "Jane Reader",
        "email": "jane@example.org",
        "url": "",
        "body": "Communities grow when people feel heard rather than sold to.",
        "token": "",
        "website": "",
    }
    base.update(fields)
    return base


class AppClient:
    """Synchronous httpx access to the ASGI app, its lifespan running around it."""

    def __init__(self, app: Any, peer: str = "127.0.0.1") -> None:
        self.app = app
        self.peer = peer
        self._clients: dict[str, httpx.AsyncClient] = {}

    def __enter__(self) -> AppClient:
        self._stack = contextlib.ExitStack()
        self.portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())
        self._stack.enter_context(
            self.portal.wrap_async_context_manager(self.app.router.lifespan_context(self.app))
        )
        self._stack.callback(self._close_clients)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def _close_clients(self) -> None:
        for client in self._clients.values():
            self.portal.call(client.aclose)

    def _client(self, peer: str) -> httpx.AsyncClient:
        if peer not in self._clients:
            transport = httpx.ASGITransport(app=self.app, client=(peer, 50000))
            self._clients[peer] = httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1:8080"
            )
        return self._clients[peer]

    def request(
        self, method: str, url: str, *, peer: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        client = self._client(peer or self.peer)
        return self.portal.call(functools.partial(client.request, method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    @property
    def service(self) -> Any:
        return self.app.state.service


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServiceProcess:
    """``python -m moderation --db DB serve`` on a free loopback port."""

    def __init__(self, folder: Path, db: Path, env: Mapping[str, str] | None = None) -> None:
        self.folder = folder
        self.db = db
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("COMMENTS_", "PYTHON_AKISMET_", "MODERATION_"))
        }
        self.env.update({"PYTHONPATH": str(ROOT), "COMMENTS_RATE_LIMIT": "0", **(env or {})})
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.log = folder / "service.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServiceProcess:
        self.port = free_port()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "moderation", "--db", str(self.db)),
                    *("--settings", str(self.folder / "pelicanconf.py")),
                    *("serve", "--host", "127.0.0.1", "--port", str(self.port)),
                ],
                cwd=self.folder,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the service exited: {self.log.read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            time.sleep(0.05)
        raise AssertionError(f"the service did not answer in {timeout} s: {self.log.read_text()}")

    def kill(self) -> None:
        """``kill -9``: no shutdown handler runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def rss_kib(self) -> int:
        """The service's resident memory, from /proc."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        return int(
            next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1]
        )


def akismet_environment(server: FakeAkismetServer) -> dict[str, str]:
    """What a service process needs to send its Akismet calls to ``server``."""
    return {
        "PYTHON_AKISMET_API_KEY": server.fake.key,
        "PYTHON_AKISMET_BLOG_URL": SITE_ORIGIN,
        "MODERATION_AKISMET_ENDPOINT": server.url,
    }
