"""`invoke demo` (what `make serve` runs), end to end in a throwaway copy of the project."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from .sitebuild import ROOT

pytestmark = pytest.mark.slow

COPIED = ["content", "demo", "moderation", "plugins", "theme"]
COPIED_FILES = ["pelicanconf.py", "publishconf.py", "tasks.py", "pyproject.toml"]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


@pytest.fixture
def project_copy(tmp_path):
    missing = [name for name in (*COPIED, *COPIED_FILES) if not (ROOT / name).exists()]
    if missing or not (ROOT / "demo" / "inbox.jsonl").is_file():
        pytest.skip(f"the project is not complete yet (missing: {missing or 'demo/inbox.jsonl'})")
    if not (port_is_free(8000) and port_is_free(8080)):
        pytest.skip("ports 8000 and 8080 are taken (is a demo already running?)")
    copy = tmp_path / "project"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in COPIED:
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    # The demo publishes its own comments; start from none, like a fresh clone.
    shutil.rmtree(copy / "content" / "comments", ignore_errors=True)
    (copy / "content" / "comments").mkdir()
    for name in COPIED_FILES:
        shutil.copy2(ROOT / name, copy / name)
    return copy


def test_demo_moderates_builds_and_serves_both_services(project_copy):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MODERATION_DB", None)
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "invoke"), "demo"],
        cwd=project_copy,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    transcript = []
    try:
        deadline = time.monotonic() + 180
        for line in process.stdout:
            transcript.append(line)
            if "Ctrl-C stops both" in line or time.monotonic() > deadline:
                break
        assert any("Ctrl-C stops both" in line for line in transcript), "".join(transcript)
        text = "".join(transcript)
        assert "http://127.0.0.1:8000/" in text
        assert "MODERATION_DB=var/demo.db .venv/bin/moderation list" in text
        assert (project_copy / "var" / "demo.db").is_file()
        published = list((project_copy / "content" / "comments").rglob("*.md"))
        assert published, "the demo published no approved comments"
        threads = project_copy / "output" / "comments" / "threads.json"
        assert threads.is_file()

        for _ in range(50):  # the intake process may still be starting
            try:
                status, body = fetch("http://127.0.0.1:8080/comments/token")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200 and '"token"' in body
        slug = published[0].parent.name
        status, index = fetch("http://127.0.0.1:8000/")
        assert status == 200 and "Recent comments" in index
        article = next((project_copy / "output").rglob(f"{slug}.html"))
        relative = article.relative_to(project_copy / "output").as_posix()
        status, page = fetch(f"http://127.0.0.1:8000/{relative}")
        assert status == 200
        assert f'id="comment-{published[0].stem}"' in page
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert port_is_free(8000) and port_is_free(8080), "Ctrl-C must stop both servers"
