"""The review server's door (issue 10): login, sessions, CSRF, limits, headers."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from moderation import accounts
from moderation.models import State
from moderation.store import Store
from moderation.web.review_app import create_review_app

from .helpers import (
    BASE_URL,
    MODERATOR,
    PASSWORD,
    ReviewClient,
    add_held,
    add_moderator,
    csrf_of,
)

#: Every route of the app but the login page, with a request that would use it.
PAGES = ["/", "/actions", "/blocklist", "/stats", "/deploy", "/comments/c-2026-11-20-aaaaaa"]
POSTS = ["/moderate", "/undo", "/blocklist", "/blocklist/remove", "/publish", "/deploy", "/logout"]


@pytest.fixture
def seeded(site):
    """A moderator and one held comment (not screened: these tests are about the door)."""
    add_moderator(site)
    return {"Held Hannah": add_held(site, author="Held Hannah")}


@pytest.fixture
def app(site, seeded):
    return create_review_app(site.settings(), site.db)


def login_form(client: ReviewClient) -> tuple[BeautifulSoup, str]:
    page = client.get("/login")
    assert page.status_code == 200
    return BeautifulSoup(page.text, "lxml"), csrf_of(page.text)


def test_the_login_form_and_a_successful_login(app):
    with ReviewClient(app) as client:
        soup, token = login_form(client)
        form = soup.find("form")
        assert form["method"] == "post" and form["action"] == "/login"
        assert {i["name"] for i in form.find_all("input")} == {"csrf_token", "username", "password"}
        assert soup.find("input", {"name": "csrf_token"})["type"] == "hidden"

        answer = client.post(
            "/login", data={"username": MODERATOR, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = next(
            c for c in answer.headers.get_list("set-cookie") if c.startswith("moderation_session=")
        )
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "samesite", "max-age", "path"} <= attributes
        assert "samesite=strict" in cookie.lower()
        assert "secure" not in attributes  # plain http on loopback
        assert client.get("/").status_code == 200


def test_the_cookie_is_secure_behind_a_trusted_proxy_that_says_https(site, seeded):
    for proxies, secure in ((["127.0.0.1"], True), (["192.0.2.1"], False)):
        app = create_review_app(site.settings(), site.db, trusted_proxies=proxies)
        with ReviewClient(app) as client:
            _soup, token = login_form(client)
            answer = client.post(
                "/login",
                data={"username": MODERATOR, "password": PASSWORD, "csrf_token": token},
                headers={"origin": BASE_URL, "x-forwarded-proto": "https"},
            )
            cookie = answer.headers.get_list("set-cookie")[0].lower()
            assert ("; secure" in cookie) is secure, proxies


def test_a_wrong_name_and_a_wrong_password_get_the_same_answer(app):
    with ReviewClient(app) as client:
        _soup, token = login_form(client)
        answers = [
            client.post(
                "/login", data={"username": name, "password": password, "csrf_token": token}
            )
            for name, password in ((MODERATOR, "not the password"), ("nobody", PASSWORD))
        ]
    for answer in answers:
        assert answer.status_code == 401
        assert "moderation_session" not in answer.headers.get("set-cookie", "")
    errors = [BeautifulSoup(a.text, "lxml").select_one(".error").get_text() for a in answers]
    assert errors == ["Wrong name or password."] * 2


def test_the_login_limit_per_name_answers_429_with_retry_after(app):
    with ReviewClient(app) as client:
        _soup, token = login_form(client)
        for n in range(accounts.MAX_FAILURES_PER_NAME):
            wrong = {"username": MODERATOR, "password": f"guess {n}", "csrf_token": token}
            assert client.post("/login", data=wrong).status_code == 401
        right = {"username": MODERATOR, "password": PASSWORD, "csrf_token": token}
        answer = client.post("/login", data=right)
    assert answer.status_code == 429
    assert 14 * 60 < int(answer.headers["retry-after"]) <= 15 * 60 + 1
    assert "Too many failed logins for this name" in answer.text


def test_the_login_limit_per_address(app):
    with ReviewClient(app) as client:
        _soup, token = login_form(client)
        for n in range(accounts.MAX_FAILURES_PER_ADDRESS):
            client.post(
                "/login", data={"username": f"n{n}", "password": "x" * 9, "csrf_token": token}
            )
        right = {"username": MODERATOR, "password": PASSWORD, "csrf_token": token}
        answer = client.post("/login", data=right)
    assert answer.status_code == 429 and "from this address" in answer.text
    assert int(answer.headers["retry-after"]) > 0


def test_login_needs_its_csrf_token(app):
    with ReviewClient(app) as client:
        login_form(client)
        for token in ("", "forged"):
            answer = client.post(
                "/login", data={"username": MODERATOR, "password": PASSWORD, "csrf_token": token}
            )
            assert answer.status_code == 403
    with ReviewClient(app) as other:  # a token of another browser's form
        _soup, token = login_form(other)
    with ReviewClient(app) as client:
        answer = client.post(
            "/login", data={"username": MODERATOR, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 403


def test_a_refused_login_page_offers_no_logout_to_someone_not_signed_in(app):
    with ReviewClient(app) as client:
        _soup, token = login_form(client)
        answer = client.post(
            "/login",
            data={"username": MODERATOR, "password": PASSWORD, "csrf_token": token},
            headers={},  # neither Origin nor Referer
        )
        assert answer.status_code == 403 and "neither where it comes from" in answer.text
        assert "Signed in as" not in answer.text and 'action="/logout"' not in answer.text
        client.login()
        assert "Signed in as" in client.get("/").text  # a signed-in page still has it
        missing = client.get("/comments/no-such-comment")
        assert missing.status_code == 404  # an error page keeps the way out too
        assert "Signed in as" in missing.text and 'action="/logout"' in missing.text


@pytest.mark.parametrize("path", PAGES)
def test_every_page_refuses_without_a_session(app, path):
    with ReviewClient(app) as client:
        page = client.get(path)
        assert page.status_code == 303 and page.headers["location"] == "/login"
        as_json = client.get(path, headers={"accept": "application/json"})
        assert as_json.status_code == 401 and as_json.json()["error"] == "not logged in"
        assert client.get("/static/review.js").status_code == 303


@pytest.mark.parametrize("path", POSTS)
def test_every_post_refuses_without_a_session(app, path):
    with ReviewClient(app) as client:
        answer = client.post(path, data={"csrf_token": "x"})
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        answer = client.post(
            path, data={}, headers={"origin": BASE_URL, "accept": "application/json"}
        )
        assert answer.status_code == 401


@pytest.mark.parametrize("path", POSTS)
def test_every_post_refuses_without_the_csrf_token(site, app, seeded, path):
    hannah = seeded["Held Hannah"]
    with ReviewClient(app) as client:
        client.login()
        data = {"one": f"approve {hannah.id}", "kind": "email", "value": "x@spam.example"}
        for token in (None, "forged"):
            answer = client.post(path, data=data | ({"csrf_token": token} if token else {}))
            assert answer.status_code == 403, (path, token)
        assert client.get("/").status_code == 200  # still logged in: logout was refused too
    with Store(site.db) as store:
        assert store.comments.get(hannah.id).status is State.HELD
        assert store.blocklist.all() == []


def test_a_stale_session_is_refused_and_logout_ends_it(site, app):
    with ReviewClient(app) as client:
        client.login()
        token = csrf_of(client.get("/").text)
        answer = client.post("/logout", data={"csrf_token": token})
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        assert client.get("/").status_code == 303
    with Store(site.db) as store:
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0


def test_removing_an_account_ends_its_sessions(site, app):
    with ReviewClient(app) as client:
        client.login()
        assert client.get("/").status_code == 200
        with Store(site.db) as store:
            accounts.remove_moderator(store, MODERATOR)
        assert client.get("/").status_code == 303


def test_frames_are_refused_everywhere(app):
    with ReviewClient(app) as client:
        for answer in (client.get("/login"), client.get("/")):
            assert answer.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]
        client.login()
        page = client.get("/")
        assert page.headers["x-frame-options"] == "DENY"


def test_the_login_page_style_is_allowed_by_its_hash_only(app):
    import base64
    import hashlib

    with ReviewClient(app) as client:
        page = client.get("/login")
    style = BeautifulSoup(page.text, "lxml").find("style").string
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = page.headers["content-security-policy"]
    assert f"style-src 'sha256-{digest}'" in csp and "unsafe-inline" not in csp


def test_only_known_host_names_are_answered(app):
    with ReviewClient(app) as client:
        assert client.get("/login", headers={"host": "attacker.example:8081"}).status_code == 400
        assert client.get("/login", headers={"host": "localhost:8081"}).status_code == 200


@pytest.mark.parametrize("charset", ["undefined"])
def test_a_form_in_a_charset_nobody_reads_is_a_400_not_a_500(app, charset):
    with ReviewClient(app) as client:
        _soup, token = login_form(client)
        parts = {"csrf_token": token.encode(), "username": b"moder\xffator", "password": b"x"}
        answer = client.post(
            "/login",
            content=b"".join(
                b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n'
                % (name.encode(), value)
                for name, value in parts.items()
            )
            + b"--B--\r\n",
            headers={
                "Origin": BASE_URL,
                "Content-Type": f"multipart/form-data; boundary=B; charset={charset}",
            },
        )
    assert answer.status_code == 400, answer.text
    assert "the form cannot be read" in answer.text
