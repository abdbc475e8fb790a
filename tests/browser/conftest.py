"""Real headless Chromium (Debian's /usr/bin/chromium) against real builds served on loopback.

Never runs ``playwright install``: the browser is the system one. Without it every
test here is skipped with the reason, except in CI (``CI=true``), where they run and
fail: a green CI means they ran (tests/prerequisites.py).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.prerequisites import needs_chromium

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
TOKEN = "token-from-the-test-intake"
# Keep Chromium on loopback: no lookups of Google hosts or anything else.
LOOPBACK_ONLY = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE not in Path(str(item.fspath)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        item.add_marker(needs_chromium)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [LOOPBACK_ONLY],
    }


class SiteAndIntakeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a built site, plus the intake's token endpoint the form script calls."""

    def do_GET(self):
        if self.path.split("?")[0] == "/comments/token":
            body = json.dumps({"token": TOKEN}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, format, *args):
        """Quiet: pytest shows failures, not every request."""


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yield the base URL."""
    handler = functools.partial(SiteAndIntakeHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def served_root(tmp_path_factory):
    """An empty folder already being served, so builds can know their own URL."""
    root = tmp_path_factory.mktemp("served")
    with serve(root) as base_url:
        yield root, base_url
