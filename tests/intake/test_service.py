"""The real service: ``python -m moderation serve`` as a process on 127.0.0.1."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from moderation.models import State
from moderation.store import Store
from tests.fakes.akismet import FakeAkismet, FakeAkismetServer

from .helpers import ServiceProcess, akismet_environment, form

pytestmark = pytest.mark.slow


def counts(db: Path) -> dict[str, int]:
    with Store(db) as store:
        return store.comments.counts()


def wait_for(condition, timeout: float = 30.0, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{message} not met in {timeout} s")


def test_form_post_is_committed_then_redirected(site, db):
    service = ServiceProcess(site, db).start()
    try:
        response = httpx.post(
            service.url + "/comments",
            data=form(body="Posted over a real socket."),
            headers={"Origin": "http://127.0.0.1:8000", "User-Agent": "RealBrowser/1.0"},
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/comments/thanks/")
        assert "server" not in response.headers
        with Store(db) as store:
            [comment] = store.comments.list()
        assert comment.body == "Posted over a real socket."
        assert comment.ip == "127.0.0.1"
        assert comment.user_agent == "RealBrowser/1.0"
    finally:
        service.stop()


def test_chunked_body_over_the_limit_is_refused_while_reading(site, db):
    service = ServiceProcess(site, db, env={"COMMENTS_MAX_REQUEST_BYTES": "4096"}).start()
    try:
        with socket.create_connection(("127.0.0.1", service.port), timeout=10) as sock:
            sock.sendall(
                b"POST /comments HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            chunk = b"x" * 1024
            try:
                for _ in range(64):
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server answered and closed: exactly what we want to see
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert httpx.get(service.url + "/health").json()["ok"] is True
        assert counts(db)["received"] == 0
    finally:
        service.stop()


def test_background_screening_with_akismet_over_http(site, db):
    with FakeAkismetServer() as akismet:
        service = ServiceProcess(site, db, env=akismet_environment(akismet)).start()
        try:
            spam = httpx.post(
                service.url + "/comments",
                json=form(name="viagra-test-123", body="Nothing special here."),
            ).json()["id"]
            wait_for(lambda: counts(db)["received"] == 0, message="screening")
            with Store(db) as store:
                assert store.comments.get(spam).status is State.SPAM
                record = store.screenings.latest(spam)
            assert "akismet" in {s.signal for s in record.signals}
            [check] = akismet.fake.sent("comment-check")
            assert check["user_ip"] == "127.0.0.1"
        finally:
            service.stop()


def test_durability_across_kill_9(site, db):
    """Everything answered 2xx/3xx survives a kill -9; what was unscreened is screened later."""
    run = uuid.uuid4().hex[:8]
    acknowledged_ids: list[str] = []
    acknowledged_bodies: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def send(worker: int, url: str) -> None:
        with httpx.Client(timeout=5) as http:
            number = 0
            while not stop.is_set():
                number += 1
                body = f"Durability {run} worker {worker} number {number}"
                as_json = number % 2 == 0
                try:
                    if as_json:
                        response = http.post(url, json=form(body=body))
                    else:
                        response = http.post(url, data=form(body=body))
                except httpx.HTTPError:
                    return  # the service is gone
                if 200 <= response.status_code < 400:
                    with lock:
                        if as_json:
                            acknowledged_ids.append(response.json()["id"])
                        else:
                            acknowledged_bodies.append(body)

    # A slow Akismet keeps a backlog of unscreened comments at the moment of the kill.
    with FakeAkismetServer(FakeAkismet(delay=0.5)) as slow:
        env = {**akismet_environment(slow), "COMMENTS_AKISMET_CONCURRENCY": "2"}
        service = ServiceProcess(site, db, env=env).start()
        senders = [
            threading.Thread(target=send, args=(n, service.url + "/comments")) for n in range(4)
        ]
        for sender in senders:
            sender.start()
        wait_for(lambda: len(acknowledged_ids) + len(acknowledged_bodies) >= 200, message="load")
        service.kill()
        stop.set()
        for sender in senders:
            sender.join(10)

    acknowledged = len(acknowledged_ids) + len(acknowledged_bodies)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = {row[0] for row in conn.execute("SELECT id FROM comments")}
        bodies = {row[0] for row in conn.execute("SELECT body FROM comments")}
        unscreened = conn.execute(
            "SELECT count(*) FROM comments WHERE status = 'received'"
        ).fetchone()[0]
    missing = [i for i in acknowledged_ids if i not in ids]
    missing += [b for b in acknowledged_bodies if b not in bodies]
    assert not missing, f"{len(missing)} of {acknowledged} acknowledged submissions were lost"
    assert len(ids) >= acknowledged
    assert unscreened > 0, "the kill should have left some comments unscreened"

    with FakeAkismetServer() as fast:
        service = ServiceProcess(site, db, env=akismet_environment(fast)).start()
        try:
            wait_for(lambda: counts(db)["received"] == 0, timeout=60, message="catch-up")
            assert fast.fake.sent("comment-check"), "the leftovers were screened with Akismet"
            assert httpx.get(service.url + "/health").json()["counts"]["received"] == 0
        finally:
            service.stop()
    with Store(db) as store:
        assert store.integrity_check() == "ok"
