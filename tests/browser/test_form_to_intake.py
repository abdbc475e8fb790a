"""The theme's form posting into the real intake service (python -m moderation serve)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.site.sitebuild import FIXTURE_CONTENT, ROOT, build_site

pytestmark = pytest.mark.slow

ARTICLE_PATH = "2026/open-thread.html"
PARENT_ID = "c-2026-07-14-aa01"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"intake exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"intake did not answer on {url}")


@dataclass
class LiveSite:
    """A fixture site built into the served folder, with a real intake process."""

    url: str  # the site's address
    env: dict[str, str]  # what `moderation` commands need to reach the same database
    content: Path
    output: Path
    intake_url: str

    def rebuild(self) -> None:
        build_site(self.content, self.output, COMMENTS_INTAKE_URL=self.intake_url)


@contextlib.contextmanager
def live_site(served_root, tmp_path, name: str) -> Iterator[LiveSite]:
    """Copy the fixture content, build it for an intake on a free port, and run that
    intake (``python -m moderation serve``) until the block ends."""
    root, site_base = served_root
    intake_port = free_port()
    intake_url = f"http://127.0.0.1:{intake_port}/comments"
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    output = root / name
    build_site(content, output, COMMENTS_INTAKE_URL=intake_url)
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("COMMENTS_")},
        "MODERATION_DB": str(tmp_path / "moderation.db"),
        # moderation reads COMMENTS_* variables as JSON.
        "COMMENTS_INTAKE_URL": json.dumps(intake_url),
        "COMMENTS_SITE_URL": json.dumps(f"{site_base}/{name}"),
        "COMMENTS_THREADS": json.dumps(str(output / "comments" / "threads.json")),
        "COMMENTS_ALLOWED_ORIGINS": json.dumps([site_base]),
        "COMMENTS_MIN_SECONDS": "0",
        "COMMENTS_RATE_LIMIT": "0",
    }
    command = [sys.executable, "-m", "moderation", "serve"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(intake_port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_up(f"{intake_url}/token", process)
        yield LiveSite(f"{site_base}/{name}", env, content, output, intake_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def site_with_intake(served_root, tmp_path):
    with live_site(served_root, tmp_path, "to-intake") as site:
        yield site.url, site.env


def moderation(env, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "moderation", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_reply_posted_from_the_article_reaches_the_queue(page, site_with_intake):
    site, env = site_with_intake
    page.goto(f"{site}/{ARTICLE_PATH}")
    token = page.locator('#comment-form [name="token"]')
    page.wait_for_function("el => el.value !== ''", arg=token.element_handle())
    page.locator(f"#comment-{PARENT_ID} > .comment__actions a.comment-reply").click()
    page.fill("#comment-name", "Form Tester")
    page.fill("#comment-body", "Writing the question down really was half of the work for me.")
    with page.expect_navigation():
        page.click('#comment-form button[type="submit"]')
    # The intake's thank-you page, with the private link to change the comment.
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/comments/thanks/[\w.-]+", page.url), page.url
    assert page.locator("h1").inner_text() == "Thank you for your comment"

    listing = moderation(env, "list", "--article", "open-thread")
    ids = re.findall(r"c-\d{4}-\d\d-\d\d-[0-9a-f]+", listing)
    assert len(ids) == 1, listing
    shown = moderation(env, "show", ids[0])
    assert "Form Tester" in shown
    assert re.search(rf"reply to\s+{PARENT_ID}", shown), shown
