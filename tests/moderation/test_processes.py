"""Real processes: ``python -m moderation``, concurrent writers, a locked database, serve."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from moderation.models import State
from moderation.store import Store
from tests.moderation.conftest import add

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def environment() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMMENTS_", "PYTHON_AKISMET_", "MODERATION_"))
    }
    env["PYTHONPATH"] = str(ROOT)
    return env


def moderation(site, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "moderation", "--db", str(site.db), "--settings",
         str(site.settings_file), *args],
        capture_output=True,
        text=True,
        cwd=site.root,
        env=environment(),
        timeout=120,
        **kwargs,
    )  # fmt: skip


def test_python_m_moderation_end_to_end(site, tmp_path):
    inbox = tmp_path / "inbox.jsonl"
    inbox.write_text(
        json.dumps({"article": "first-steps", "name": "Jane", "body": "Hello there."})
        + "\nnot json at all\n",
        encoding="utf-8",
    )
    result = moderation(site, "import", str(inbox))
    assert result.returncode == 1
    assert f"error: {inbox}:line 2: not valid JSON" in result.stderr
    assert "imported 1 comment " in result.stdout

    status = moderation(site, "status", "--json")
    assert status.returncode == 0
    assert json.loads(status.stdout)["received"] == 1

    unknown = moderation(site, "approve", "c-does-not-exist")
    assert unknown.returncode == 1
    assert unknown.stderr == "error: unknown comment id 'c-does-not-exist'\n"

    assert moderation(site, "--help").returncode == 0


def test_the_db_path_comes_from_the_environment(site):
    env = environment() | {"MODERATION_DB": str(site.root / "elsewhere.db")}
    result = subprocess.run(
        [sys.executable, "-m", "moderation", "status", "--json"],
        capture_output=True,
        text=True,
        cwd=site.root,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (site.root / "elsewhere.db").exists()


def test_the_installed_console_script(site):
    script = Path(sys.executable).parent / "moderation"
    if not script.exists():
        pytest.skip(f"no console script at {script} (package not installed)")
    # From another folder, so the script cannot lean on the current directory.
    result = subprocess.run(
        [str(script), "--db", str(site.db), "status", "--json"],
        capture_output=True,
        text=True,
        cwd=site.root,
        env=environment() | {"PYTHONPATH": ""},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["held"] == 0


WRITER = textwrap.dedent(
    """
    import sys
    from moderation.models import Comment
    from moderation.store import Store

    db, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with Store(db) as store:
        for n in range(count):
            comment = store.comments.add(
                Comment(article="first-steps", author=name, body=f"{name} says {n}")
            )
            store.decisions.moderate(comment.id, "reject", actor=name)
    """
)


def test_processes_writing_at_once_lose_nothing(site, tmp_path):
    Store(site.db).close()  # created and migrated before the race starts
    count = 150
    inbox = tmp_path / "inbox.jsonl"
    inbox.write_text(
        "".join(
            json.dumps({"article": "second-thoughts", "name": "Gus", "body": f"Line {n}."}) + "\n"
            for n in range(count)
        ),
        encoding="utf-8",
    )
    importer = subprocess.Popen(
        [sys.executable, "-m", "moderation", "--db", str(site.db), "--settings",
         str(site.settings_file), "import", str(inbox)],
        cwd=site.root,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(site.db), name, str(count)],
            env=environment(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    for process in [*writers, importer]:
        _out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    with Store(site.db) as store:
        written = store.comments.list(article="first-steps")
        assert len(written) == 2 * count
        assert {c.status for c in written} == {State.REJECTED}
        assert all(len(store.decisions.of(c.id)) == 2 for c in written)
        assert len(store.comments.list(article="second-thoughts")) == count
        assert store.integrity_check() == "ok"


def test_a_locked_database_makes_the_command_wait(site):
    with Store(site.db) as store:
        comment = add(store)
    blocker = sqlite3.connect(site.db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    command = subprocess.Popen(
        [sys.executable, "-m", "moderation", "--db", str(site.db), "--settings",
         str(site.settings_file), "reject", comment.id],
        cwd=site.root,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(1.0)
    assert command.poll() is None, "the command should be waiting for the lock"
    blocker.execute("COMMIT")
    blocker.close()
    out, err = command.communicate(timeout=60)
    assert command.returncode == 0, err
    assert time.monotonic() - started >= 1.0
    assert f"rejected {comment.id}" in out
    with Store(site.db) as store:
        assert store.comments.get(comment.id).status is State.REJECTED
        assert store.integrity_check() == "ok"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_the_intake_service_and_applies_retention(site):
    with Store(site.db) as store:
        old = add(store, ip="203.0.113.7", received_at=datetime(2025, 1, 1, tzinfo=UTC))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moderation", "--db", str(site.db), "--settings",
         str(site.settings_file), "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=site.root,
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["ok"] is True and response.json()["db"] is True
        # The service's screening worker applies retention as it starts, beside the
        # requests: give it a moment.
        deadline = time.monotonic() + 15
        with Store(site.db) as store:
            while store.privacy.request_context(old.id)["ip"] is not None:
                assert time.monotonic() < deadline, "retention was not applied at start"
                time.sleep(0.1)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
