"""Hostile submissions and requests: refused with a reason, never a crash, never stored half."""

from __future__ import annotations

import time

import httpx
import pytest

from comment_format.render import MAX_NESTING
from moderation.intake import client_ip, parse_networks
from moderation.store import Store

from .helpers import ServiceProcess, form


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("\u202eevil\u202c Jane", "reverse the direction"),
        ("Jane\u2066 Reader", "reverse the direction"),
        ("\u200b\u200b\u2060", "at least one visible character"),
        ("\u3164\u3164", "at least one visible character"),
        ("Jane\r\nBcc: all@example.org", "control characters or line breaks"),
    ],
)
def test_names_that_could_mislead_or_vanish_are_refused_naming_the_field(client, db, name, problem):
    response = client.post("/comments", json=form(name=name))
    assert response.status_code == 400
    assert response.json()["field"] == "name"
    assert problem in response.json()["error"]
    with Store(db) as store:
        assert store.comments.list() == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("\ufdd0\ufffe\U0010ffff", "noncharacters"),
        ("\u200b \u2060\n\u3164", "at least one visible character"),
        (">" * (MAX_NESTING + 4) + " deep", "nests quotes or lists"),
        ("- " * (MAX_NESTING + 4) + "deep", "nests quotes or lists"),
        ("[notes]: https://example.org/notes", "shows nothing once rendered"),
    ],
)
def test_bodies_the_site_could_not_show_are_refused_naming_the_field(client, db, body, problem):
    response = client.post("/comments", json=form(body=body))
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "body"
    assert problem in response.json()["error"]
    with Store(db) as store:
        assert store.comments.list() == []


def test_several_forwarded_for_lines_are_one_list(client, db):
    """A proxy that adds its own X-Forwarded-For line must not let a client forge its
    address: the lines are joined in order (RFC 9110) before the hops are walked."""
    trusted = parse_networks(["127.0.0.1"])
    assert client_ip("127.0.0.1", "198.51.100.9, 203.0.113.5", trusted) == "203.0.113.5"
    response = client.post(
        "/comments",
        json=form(),
        headers=[("X-Forwarded-For", "198.51.100.9"), ("X-Forwarded-For", "203.0.113.5")],
    )
    assert response.status_code == 202
    with Store(db) as store:
        (comment,) = store.comments.list()
    assert comment.ip == "203.0.113.5"


def test_a_screening_worker_that_keeps_failing_makes_health_say_so(make_client, monkeypatch):
    from moderation.web import worker as worker_module

    client = make_client(screen=True)
    service = client.app.state.service
    for _ in range(worker_module.FAILING_AFTER):
        try:
            raise RuntimeError("Akismet client blew up")
        except RuntimeError:
            service.worker._failed("screening a batch failed")
    health = client.get("/health")
    assert health.status_code == 503
    body = health.json()
    assert body["ok"] is False and body["screening"]["failing"] is True
    assert body["screening"]["last_error"] == "screening a batch failed"
    service.worker._succeeded()
    assert client.get("/health").status_code == 200


@pytest.mark.slow
def test_request_heads_are_capped_and_memory_does_not_grow(site, db):
    """Long header lines are refused by the real server before the app sees them, and
    nothing keeps them: RSS stays flat across many such requests."""
    service = ServiceProcess(site, db).start()
    try:
        # The screening worker builds its model as it starts: measure after that.
        deadline = time.monotonic() + 60
        while not httpx.get(f"{service.url}/health").json()["screening"]["started"]:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        huge = {"X-Forwarded-For": "1." * 500_000, "Origin": "https://" + "o" * 500_000}
        before = service.rss_kib()
        refused = 0
        for _ in range(30):
            try:
                answer = httpx.get(f"{service.url}/health", headers=huge, timeout=10)
                assert answer.status_code in (400, 431), answer.status_code
                refused += 1
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                refused += 1  # the server may close the connection instead of answering
        after = service.rss_kib()
        assert refused == 30
        assert httpx.get(f"{service.url}/health", timeout=5).status_code == 200
    finally:
        service.stop()
    assert after - before < 20_000, (before, after)


def test_bodies_no_route_can_read_get_413_or_415_not_500(site, db):
    """Over the real socket: a body over the size limit on the private link's page, and
    a multipart form in a charset Starlette cannot decode, are refused naming what was
    wrong; nothing crashes (the service logs no unexpected error) and nothing is stored."""
    env = {"COMMENTS_MAX_REQUEST_BYTES": "4096", "COMMENTS_MIN_SECONDS": "0"}
    service = ServiceProcess(site, db, env=env).start()
    origin = {"Origin": "http://127.0.0.1:8000"}
    try:
        posted = httpx.post(f"{service.url}/comments", data=form(), headers=origin)
        assert posted.status_code == 303
        edit = "/comments/edit/" + posted.headers["location"].rsplit("/", 1)[1]
        too_large = httpx.post(
            service.url + edit, data={"action": "save", "body": "x" * 5000}, headers=origin
        )
        assert too_large.status_code == 413, too_large.text
        assert "Your changes were not saved" in too_large.text
        assert "4,096 bytes" in too_large.text
        mention = httpx.post(
            f"{service.url}/webmention", data={"source": "https://a.example/" + "p" * 5000}
        )
        assert mention.status_code == 413 and "4,096 bytes" in mention.text
        for charset in ("undefined", "idna"):
            answer = httpx.post(
                f"{service.url}/comments",
                content=(
                    b'--B\r\nContent-Disposition: form-data; name="body"\r\n\r\n'
                    b"hello\xff\r\n--B--\r\n"
                ),
                headers={
                    **origin,
                    "Content-Type": f"multipart/form-data; boundary=B; charset={charset}",
                },
            )
            assert answer.status_code == 415, answer.text
            assert f"unsupported charset &#39;{charset}&#39;" in answer.text
        with Store(db) as store:
            [comment] = store.comments.list()
            assert comment.body == form()["body"], "the oversized edit changed nothing"
    finally:
        service.stop()
    assert "unexpected error" not in service.log.read_text()
