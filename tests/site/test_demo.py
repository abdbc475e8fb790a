"""`make serve` (`invoke demo`), `invoke intake` and `make clean`, end to end in a throwaway
copy of the project, on free ports, with real processes and real signals."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from .sitebuild import ROOT

pytestmark = pytest.mark.slow

COPIED = ["content", "demo", "moderation", "comment_format", "plugins", "theme"]
COPIED_FILES = [
    "pelicanconf.py",
    "publishconf.py",
    "tasks.py",
    "pyproject.toml",
    "Makefile",
    ".gitignore",
]
# `make -o` treats the virtualenv as made: the copy uses the project's own .venv.
MAKE = ["make", "--no-print-directory", "-o", ".venv/.installed"]


def free_ports(count: int) -> list[int]:
    """Ports nothing listens on now (the kernel's choice, so parallel runs do not clash)."""
    sockets = []
    for _ in range(count):
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        sockets.append(probe)
    ports = [probe.getsockname()[1] for probe in sockets]
    for probe in sockets:
        probe.close()
    return ports


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_until_free(*ports: int, seconds: float = 30) -> list[int]:
    """The ports still listening after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        busy = [port for port in ports if listening(port)]
        if not busy:
            return []
        time.sleep(0.2)
    return [port for port in ports if listening(port)]


def fetch(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read().decode("utf-8")


class Running:
    """A started command whose output is read on a thread (a test can wait with a deadline)."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.transcript: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str, seconds: float = 180) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            self.transcript.append(line)
            if text in line:
                return "".join(self.transcript)
        raise AssertionError(f"{text!r} never came; output:\n" + "".join(self.transcript))

    def rest(self, seconds: float = 30) -> str:
        self.process.wait(timeout=seconds)
        while (line := self.lines.get(timeout=5)) is not None:
            self.transcript.append(line)
        return "".join(self.transcript)

    def kill_leftovers(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


@pytest.fixture
def project_copy(tmp_path):
    copy = tmp_path / "project"
    copy.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "demo-comments")
    for name in COPIED:
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    # A fresh clone has no published comments; the author's folder starts empty.
    shutil.rmtree(copy / "content" / "comments", ignore_errors=True)
    for name in COPIED_FILES:
        shutil.copy2(ROOT / name, copy / name)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    subprocess.run(["git", "init", "--quiet", str(copy)], check=True)
    return copy


def environment() -> dict[str, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for name in list(env):
        if name.startswith(("COMMENTS_", "MODERATION_", "MAKEFLAGS", "MFLAGS")):
            env.pop(name)
    return env


def ignored_by_git(project: Path, path: str) -> bool:
    result = subprocess.run(["git", "-C", str(project), "check-ignore", "-q", path], check=False)
    return result.returncode == 0


def review_login(port: int, name: str, password: str) -> int:
    """Log in to the demo's review queue as a browser would; the answer's status."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, headers={"origin": base}, timeout=10) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        answer = client.post(
            "/login", data={"username": name, "password": password, "csrf_token": token}
        )
        return answer.status_code


def test_make_serve_on_chosen_ports_and_sigterm_to_make_stops_everything(project_copy):
    port, intake_port, review_port = free_ports(3)
    demo = Running(
        [
            *MAKE,
            "serve",
            f"PORT={port}",
            f"INTAKE_PORT={intake_port}",
            f"REVIEW_PORT={review_port}",
        ],
        project_copy,
        environment(),
    )
    try:
        text = demo.wait_for("Ctrl-C stops both")
        assert f"Blog:           http://127.0.0.1:{port}/" in text
        # Issue 10: the review queue, with a fresh password for the demo moderator.
        review = re.search(
            rf"Review queue:   http://127\.0\.0\.1:{review_port}/ "
            r"\(log in as demo, password (\S+)\)",
            text,
        )
        assert review, text
        assert review_login(review_port, "demo", review.group(1)) == 303
        assert f"Comment intake: http://127.0.0.1:{intake_port}/comments" in text
        assert ". demo/env.sh && .venv/bin/moderation list" in text
        assert listening(port) and listening(intake_port), "both listen once the banner shows"

        # The demo's comments live in its own folder, which git ignores.
        published = sorted((project_copy / "content" / "demo-comments").rglob("*.md"))
        assert published, "the demo published no approved comments"
        assert not (project_copy / "content" / "comments").exists()
        demo_file = published[0].relative_to(project_copy).as_posix()
        assert ignored_by_git(project_copy, demo_file)
        assert not ignored_by_git(project_copy, "content/comments/an-article/c-2026-01-01-abc.md")

        status, body = fetch(f"http://127.0.0.1:{intake_port}/comments/token")
        assert status == 200 and '"token"' in body
        slug = published[0].parent.name
        article = next((project_copy / "output").rglob(f"{slug}.html"))
        relative = article.relative_to(project_copy / "output").as_posix()
        status, page = fetch(f"http://127.0.0.1:{port}/{relative}")
        assert status == 200
        assert f'id="comment-{published[0].stem}"' in page
        # The form posts to the intake on its chosen port.
        assert f'action="http://127.0.0.1:{intake_port}/comments"' in page

        os.kill(demo.process.pid, signal.SIGTERM)  # make alone, as `kill PID` would
        demo.process.wait(timeout=30)
        assert wait_until_free(port, intake_port, review_port) == [], (
            "SIGTERM to make left a server up"
        )
    finally:
        demo.kill_leftovers()


def test_ctrl_c_stops_the_demo_and_a_busy_port_is_reported_first(project_copy):
    port, intake_port, review_port = free_ports(3)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", intake_port))
        taken.listen()
        busy = Running(
            [
                str(ROOT / ".venv" / "bin" / "invoke"),
                "demo",
                "--port",
                str(port),
                "--intake-port",
                str(intake_port),
                "--review-port",
                str(review_port),
            ],
            project_copy,
            environment(),
        )
        try:
            text = busy.rest()
        finally:
            busy.kill_leftovers()
    assert busy.process.returncode == 1
    assert f"port {intake_port} for the comment intake is not free" in text
    assert "make serve INTAKE_PORT=" in text
    suggested = int(text.split("make serve INTAKE_PORT=", 1)[1].split()[0])
    assert suggested not in (port, intake_port, review_port)
    assert "Blog:" not in text, "the problem is reported before the banner"
    assert not (project_copy / "var" / "demo.db").exists(), "nothing was prepared"

    demo = Running(
        [
            str(ROOT / ".venv" / "bin" / "invoke"),
            "demo",
            "--port",
            str(port),
            "--intake-port",
            str(intake_port),
            "--review-port",
            str(review_port),
        ],
        project_copy,
        environment(),
    )
    try:
        demo.wait_for("Ctrl-C stops both")
        os.killpg(demo.process.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends
        assert "Stopping the demo." in demo.rest()
        assert wait_until_free(port, intake_port, review_port) == []
    finally:
        demo.kill_leftovers()


def test_sigterm_to_invoke_intake_leaves_nothing_listening(project_copy):
    (port,) = free_ports(1)
    env = {**environment(), "SITEURL": "https://intake.test.invalid"}
    intake = Running(
        [str(ROOT / ".venv" / "bin" / "invoke"), "intake", "--port", str(port)],
        project_copy,
        env,
    )
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert intake.process.poll() is None, "".join(intake.transcript)
            assert time.monotonic() < deadline, "the intake service never listened"
            time.sleep(0.2)
        os.kill(intake.process.pid, signal.SIGTERM)
        intake.process.wait(timeout=30)
        assert wait_until_free(port) == []
    finally:
        intake.kill_leftovers()


def test_make_clean_removes_the_demo_data_and_keeps_the_authors_comments(project_copy):
    demo_comment = project_copy / "content" / "demo-comments" / "an-article" / "c-1.md"
    own_comment = project_copy / "content" / "comments" / "an-article" / "c-2.md"
    for path in (demo_comment, own_comment):
        path.parent.mkdir(parents=True)
        path.write_text("id: x\n", encoding="utf-8")
    (project_copy / "var").mkdir()
    (project_copy / "var" / "demo.db").write_bytes(b"")
    subprocess.run([*MAKE, "clean"], cwd=project_copy, check=True, capture_output=True)
    assert not (project_copy / "content" / "demo-comments").exists()
    assert not (project_copy / "var" / "demo.db").exists()
    assert own_comment.read_text(encoding="utf-8") == "id: x\n"


def test_make_clean_removes_caches_and_locks_but_never_the_owners_database(project_copy):
    var = project_copy / "var"
    made = [
        project_copy / "output" / "index.html",
        project_copy / "cache" / "pelican-cache",
        var / "publish" / "cache" / "site" / "index.html",
        var / "publish" / "checked",
        var / "publish.lock",
        var / "demo.db",
        var / "demo.db-wal",
        var / "demo.db-shm",
        var / "demo.db.notify.lock",
    ]
    owners = [
        var / "moderation.db",
        var / "moderation.db-wal",
        var / "moderation.db-shm",
        var / "moderation.db.notify.lock",
    ]
    for path in made + owners:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"data")
    subprocess.run(["git", "add", "-A"], cwd=project_copy, check=True)
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=project_copy, check=True, capture_output=True, text=True
    ).stdout.split()
    assert "Makefile" in tracked and not any(name.startswith("var/") for name in tracked)

    subprocess.run([*MAKE, "clean"], cwd=project_copy, check=True, capture_output=True)

    assert [path for path in made if path.exists()] == []
    assert not (var / "publish").exists()
    assert [path.read_bytes() for path in owners] == [b"data"] * len(owners)
    for name in tracked:
        assert (project_copy / name).exists(), f"make clean removed the tracked {name}"


def test_the_readme_counts_the_demo_inbox_right():
    inbox = (ROOT / "demo" / "inbox.jsonl").read_text(encoding="utf-8")
    count = sum(1 for line in inbox.splitlines() if line.strip())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = re.search(r"`demo/inbox\.jsonl` \| (\d+) ", readme)
    assert stated is not None, "README's table names the demo inbox with its size"
    assert int(stated.group(1)) == count
