"""Retention in the running service: applied at start, then hourly, whatever screening does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from moderation import web
from moderation.models import Comment, State, utcnow
from moderation.store import Store
from moderation.store.privacy import Privacy
from moderation.web.worker import RETENTION_SECONDS, ScreeningWorker

from .helpers import AppClient, make_settings


@pytest.fixture(autouse=True)
def akismet_not_configured(monkeypatch):
    for name in ("PYTHON_AKISMET_API_KEY", "PYTHON_AKISMET_BLOG_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def retention_runs(monkeypatch) -> list[int]:
    """Counts every ``store.privacy.apply_retention`` call (the real one still runs)."""
    runs: list[int] = []
    real = Privacy.apply_retention

    def counted(self, days, now=None):
        runs.append(days)
        return real(self, days, now)

    monkeypatch.setattr(Privacy, "apply_retention", counted)
    return runs


@pytest.fixture
def start_worker(site: Path, db: Path) -> Iterator[Callable[..., ScreeningWorker]]:
    workers: list[ScreeningWorker] = []

    def start(**options) -> ScreeningWorker:
        worker = ScreeningWorker(make_settings(site), db, **options)
        worker.start()
        workers.append(worker)
        assert worker.started.wait(20), "the worker did not start"
        return worker

    yield start
    for worker in workers:
        worker.stop()


def add_old_comment(db: Path, ip: str) -> Comment:
    with Store(db) as store:
        return store.comments.add(
            Comment(
                "social-not-sales",
                "Old",
                f"An old comment from {ip}",
                ip=ip,
                user_agent="Old browser",
                received_at=utcnow() - timedelta(days=45),
                status=State.APPROVED,
            )
        )


def ip_of(db: Path, comment: Comment) -> str | None:
    with Store(db) as store:
        return store.privacy.request_context(comment.id)["ip"]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_retention_keeps_being_applied_while_the_service_runs(start_worker, db):
    before = add_old_comment(db, "198.51.100.1")
    start_worker(sweep_seconds=0.05, retention_seconds=0.2)
    assert ip_of(db, before) is None  # at start
    during = add_old_comment(db, "198.51.100.2")
    assert wait_until(lambda: ip_of(db, during) is None), "retention was not applied again"
    with Store(db) as store:
        assert store.privacy.request_context(during.id)["ip_hash"]


def test_retention_is_applied_at_most_once_per_interval(start_worker, db, retention_runs):
    worker = start_worker(sweep_seconds=0.02)
    assert worker.retention_seconds == RETENTION_SECONDS == 3600
    time.sleep(0.5)  # some twenty sweeps
    assert retention_runs == [30]
    later = add_old_comment(db, "198.51.100.3")
    time.sleep(0.2)
    assert ip_of(db, later) == "198.51.100.3"  # waits for the next hour


def test_retention_does_not_wait_for_screening_to_work(start_worker, db, monkeypatch):
    from moderation.screening import Screener

    def broken(*args, **kwargs):
        raise RuntimeError("the model cannot be loaded")

    monkeypatch.setattr(Screener, "from_settings", broken)
    before = add_old_comment(db, "198.51.100.4")
    worker = start_worker(sweep_seconds=0.05, retention_seconds=0.2)
    assert not worker.available
    assert ip_of(db, before) is None
    during = add_old_comment(db, "198.51.100.5")
    assert wait_until(lambda: ip_of(db, during) is None)


def test_serve_applies_retention_once_at_start(site, db, monkeypatch, retention_runs, cli_main):
    add_old_comment(db, "198.51.100.6")
    served = []

    def serve_until_started(settings, db_path, host, port):
        # The real app and its lifespan in place of uvicorn; return once started.
        with AppClient(web.create_app(settings, db_path)) as client:
            assert client.service.worker.started.wait(20)
            served.append(client.get("/health").json()["screening"]["started"])

    monkeypatch.setattr(web, "serve", serve_until_started)
    code = cli_main(["--db", str(db), "--settings", str(site / "pelicanconf.py"), "serve"])
    assert code == 0 and served == [True]
    assert retention_runs == [30]
