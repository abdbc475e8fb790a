"""The intake app over httpx (in-process ASGI): answers, errors, headers and what is stored."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup

from moderation.models import Comment, State, utcnow
from moderation.store import Store

from .helpers import SITE_ORIGIN, THREADS, form, write_threads

#: A form post lands on the intake's thank-you page, which carries the private link.
THANKS = re.compile(r"/comments/thanks/[A-Za-z0-9_.-]+")


def stored(db, **filters) -> list[Comment]:
    with Store(db) as store:
        return store.comments.list(**filters)


def good_token(client) -> str:
    """A token minted a minute ago: old enough for the time trap, young enough to count."""
    return client.service.tokens.mint(now=time.time() - 60)


# -- accepted submissions ----------------------------------------------------------------------


def test_form_post_is_stored_with_its_request_context_then_redirected(client, db):
    fields = form(token=good_token(client), url="https://jane.example")
    response = client.post(
        "/comments",
        data=fields,
        headers={
            "User-Agent": "Mozilla/5.0 (test)",
            "Referer": SITE_ORIGIN + "/2026/social-not-sales.html",
            "Accept-Language": "sv-SE,sv;q=0.9,en;q=0.8",
        },
    )
    assert response.status_code == 303
    assert THANKS.fullmatch(response.headers["location"]), response.headers["location"]
    [comment] = stored(db)
    assert (comment.article, comment.author, comment.email) == (
        "social-not-sales",
        "Jane Reader",
        "jane@example.org",
    )
    assert comment.author_url == "https://jane.example"
    assert comment.body == fields["body"]
    assert comment.status is State.RECEIVED
    assert comment.origin == "form"
    assert comment.ip == "127.0.0.1"
    assert comment.user_agent == "Mozilla/5.0 (test)"
    assert comment.referrer == SITE_ORIGIN + "/2026/social-not-sales.html"
    assert comment.language == "sv-SE"
    assert comment.intake_flags == ()
    assert abs((utcnow() - comment.received_at).total_seconds()) < 30


def test_json_post_answers_202_with_the_new_id(client, db):
    response = client.post("/comments", json=form(token=good_token(client)))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "received"
    [comment] = stored(db)
    assert body["id"] == comment.id
    assert comment.origin == "json"


def test_multipart_form_is_accepted_too(client, db):
    response = client.post("/comments", files={k: (None, v) for k, v in form().items()})
    assert response.status_code == 303
    assert len(stored(db)) == 1


def test_reply_to_a_comment_listed_in_threads_json(client, db):
    response = client.post("/comments", json=form(reply_to="c-2026-11-01-aaaaaa"))
    assert response.status_code == 202
    assert stored(db)[0].reply_to == "c-2026-11-01-aaaaaa"


def test_reply_to_a_comment_approved_in_the_store_but_not_yet_built(client, db):
    with Store(db) as store:
        parent = store.comments.add(Comment("who-owns-the-room", "Ann", "First!"))
        store.decisions.moderate(parent.id, "approve")
    response = client.post("/comments", json=form(article="who-owns-the-room", reply_to=parent.id))
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", "203.0.113.7", "203.0.113.7"),  # our reverse proxy on the same host
        ("127.0.0.1", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # right-most untrusted
        ("127.0.0.1", "203.0.113.7, 127.0.0.1", "203.0.113.7"),  # skip our own hops
        ("198.51.100.9", "203.0.113.7", "198.51.100.9"),  # anyone else's header is ignored
        ("127.0.0.1", "not-an-address", "127.0.0.1"),
        ("::1", "2001:db8::5", "2001:db8::5"),
    ],
)
def test_client_ip_believes_x_forwarded_for_only_from_trusted_proxies(
    client, db, peer, forwarded, expected
):
    response = client.post(
        "/comments",
        json=form(body=f"From {peer} via {forwarded}"),
        peer=peer,
        headers={"X-Forwarded-For": forwarded},
    )
    assert response.status_code == 202
    assert stored(db)[0].ip == expected


def test_trusted_proxies_may_be_networks(make_client, db):
    client = make_client(COMMENTS_TRUSTED_PROXIES=["10.0.0.0/8"])
    client.post(
        "/comments",
        json=form(),
        peer="10.1.2.3",
        headers={"X-Forwarded-For": "203.0.113.7, 10.9.9.9"},
    )
    assert stored(db)[0].ip == "203.0.113.7"


# -- bot defences ------------------------------------------------------------------------------


def test_filled_honeypot_is_stored_as_spam_and_answered_like_any_comment(client, db):
    human = client.post("/comments", data=form(body="A human comment"))
    bot = client.post("/comments", data=form(body="Buy now", website="http://spam.example"))
    assert bot.status_code == human.status_code == 303
    # The same page, each with its own private link.
    assert THANKS.fullmatch(bot.headers["location"]) and THANKS.fullmatch(human.headers["location"])
    bot_json = client.post("/comments", json=form(body="Buy more", website="http://spam.example"))
    assert bot_json.status_code == 202
    assert set(bot_json.json()) == {"id", "status", "edit_url"}
    assert bot_json.json()["status"] == "received"
    spam = stored(db, status=State.SPAM)
    assert {c.body for c in spam} == {"Buy now", "Buy more"}
    assert all("honeypot" in c.intake_flags for c in spam)
    with Store(db) as store:
        assert store.decisions.of(spam[0].id)[0].note == "honeypot"
    assert [c.body for c in stored(db, status=State.RECEIVED)] == ["A human comment"]


def test_the_honeypot_field_name_comes_from_the_settings(make_client, db):
    client = make_client(COMMENTS_HONEYPOT_FIELD="homepage")
    client.post("/comments", data=form(body="One", website="x"))  # an ordinary field now
    client.post("/comments", data=form(body="Two", homepage="x"))
    assert {c.body: c.status for c in stored(db)} == {"One": State.RECEIVED, "Two": State.SPAM}


@pytest.mark.parametrize(
    ("token", "flag"),
    [
        (None, "token: missing"),
        ("", "token: missing"),
        ("garbage", "token: invalid"),
        ("1795320737251.abc.forgedsignature", "token: invalid"),
        ("expired", "token: expired"),
        ("fresh", "time trap: submitted"),
    ],
)
def test_bad_or_hasty_tokens_hold_the_comment_but_never_refuse_it(client, db, token, flag):
    tokens = client.service.tokens
    if token == "expired":
        token = tokens.mint(now=time.time() - 25 * 3600)
    elif token == "fresh":
        token = tokens.mint()
    fields = form()
    if token is None:
        del fields["token"]
    else:
        fields["token"] = token
    response = client.post("/comments", data=fields)
    assert response.status_code == 303
    [comment] = stored(db)
    assert len(comment.intake_flags) == 1
    assert comment.intake_flags[0].startswith(flag)
    if flag.startswith("time trap"):
        assert re.fullmatch(
            r"time trap: submitted \d+\.\d s after the form was served", comment.intake_flags[0]
        )


def test_a_token_from_the_token_endpoint_is_accepted_once_old_enough(make_client, db):
    client = make_client(COMMENTS_MIN_SECONDS=0.3)
    token = client.get("/comments/token").json()["token"]
    time.sleep(0.35)
    client.post("/comments", data=form(token=token))
    assert stored(db)[0].intake_flags == ()


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Referer": "https://evil.example/landing"},
        {"Origin": SITE_ORIGIN, "Referer": "http://127.0.0.1:9999/other-site"},
    ],
)
def test_posts_from_another_site_are_forbidden(client, db, headers):
    response = client.post("/comments", json=form(), headers=headers)
    assert response.status_code == 403
    assert "evil.example" in response.json()["error"] or "9999" in response.json()["error"]
    assert stored(db) == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": SITE_ORIGIN},
        {"Origin": "http://localhost:8000"},
        {"Referer": SITE_ORIGIN + "/2026/social-not-sales.html"},
        {"Origin": "http://127.0.0.1:8080"},  # the service's own form page
    ],
)
def test_posts_from_the_site_or_without_origin_are_accepted(client, db, headers):
    response = client.post("/comments", json=form(), headers=headers)
    assert response.status_code == 202, response.text


def test_origin_null_is_refused_unless_the_setting_allows_it(make_client, db):
    """An "Origin: null" is what a sandboxed frame or a data: page sends; anyone can make
    a visitor's browser post from one; a reader's form post carries its page's real
    Origin (tests/browser/test_readers_in_browser.py watches Chromium send it). A site
    whose own pages send null (Referrer-Policy: no-referrer) sets the setting."""
    client = make_client()
    null = {"Origin": "null", "Referer": SITE_ORIGIN + "/2026/social-not-sales.html"}
    refused = client.post("/comments", json=form(), headers=null)
    assert refused.status_code == 403
    assert "Origin: null" in refused.json()["error"]
    page = client.post("/comments", data=form(), headers=null)
    assert page.status_code == 403 and "Origin: null" in page.text
    assert stored(db) == []
    allowing = make_client(COMMENTS_ALLOW_NULL_ORIGIN=True)
    assert allowing.post("/comments", json=form(), headers={"Origin": "null"}).status_code == 202
    evil = {"Origin": "null", "Referer": "https://evil.example/page"}
    assert allowing.post("/comments", json=form(), headers=evil).status_code == 403


def test_rate_limit_answers_429_with_retry_after_per_ip(make_client, db):
    client = make_client(COMMENTS_RATE_LIMIT=2)
    assert client.post("/comments", json=form(body="one")).status_code == 202
    assert client.post("/comments", json=form(body="two")).status_code == 202
    refused = client.post("/comments", json=form(body="three"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "too many" in refused.json()["error"]
    # Another reader is not affected.
    assert client.post("/comments", json=form(body="four"), peer="192.0.2.4").status_code == 202
    # The form gets its page back, with the text kept.
    page = client.post("/comments", data=form(body="five, typed with care"))
    assert page.status_code == 429
    assert "retry-after" in page.headers
    assert "five, typed with care" in BeautifulSoup(page.text, "lxml").find("textarea").text
    assert len(stored(db)) == 3


def test_exact_duplicate_is_409(client, db):
    assert client.post("/comments", json=form()).status_code == 202
    again = client.post("/comments", json=form(token="different token"))
    assert again.status_code == 409
    assert "already" in again.json()["error"]
    assert len(stored(db)) == 1


# -- refused submissions: 4xx naming the problem -----------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": ""}, "name", "required"),
        ({"body": "   "}, "body", "required"),
        ({"article": ""}, "article", "required"),
        ({"body": "x" * 10_001}, "body", "10,000"),
        ({"name": "n" * 101}, "name", "100"),
        ({"url": "https://example.org/" + "p" * 481}, "url", "500"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"url": "ftp://files.example.org/"}, "url", "http"),
        ({"url": "javascript:alert(1)"}, "url", "http"),
        ({"name": "Jane\x07"}, "name", "control"),
        ({"body": "Hello\x00world"}, "body", "control"),
        ({"reply_to": "../etc"}, "reply_to", "comment id"),
    ],
)
@pytest.mark.parametrize("kind", ["json", "form"])
def test_invalid_fields_are_400_naming_the_field(client, db, changes, field, words, kind):
    fields = form(**changes)
    if kind == "json":
        response = client.post("/comments", json=fields)
        assert response.status_code == 400
        body = response.json()
        assert body["field"] == field
        assert words in body["error"]
        assert body["error"].startswith(field)
    else:
        response = client.post("/comments", data=fields)
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        page = BeautifulSoup(response.text, "lxml")
        assert words in page.find(role="alert").get_text()
    assert stored(db) == []


def test_invalid_utf8_in_a_form_field_is_400_naming_it(client):
    body = b"article=social-not-sales&name=Jane&body=caf%E9+au+lait"
    response = client.post(
        "/comments",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert response.status_code == 400
    assert "body is not valid UTF-8" in response.text


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "must be an object"),
        (b'"just a string"', "must be an object"),
        (b"\xff\xfe{}", "UTF-8"),
        (json.dumps(form(name=42)).encode(), "name must be a string"),
        (b"[" * 50_000, "nested too deeply"),
        (b'{"name": ' * 5_000, "nested too deeply"),
    ],
)
def test_malformed_json_is_400(client, content, words):
    response = client.post(
        "/comments", content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_a_field_given_twice_is_400(client):
    response = client.post(
        "/comments",
        content=b"article=social-not-sales&name=A&name=B&body=hello",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "name is given more than once" in response.text


@pytest.mark.parametrize(
    ("changes", "status", "field", "words"),
    [
        ({"article": "no-such-article"}, 404, "article", "no article"),
        ({"article": "closed-thread"}, 409, "article", "closed"),
        ({"reply_to": "c-2026-01-01-ffffff"}, 404, "reply_to", "no published comment"),
    ],
)
def test_unknown_or_closed_articles_and_unknown_parents(client, db, changes, status, field, words):
    response = client.post("/comments", json=form(**changes))
    assert response.status_code == status
    assert response.json()["field"] == field
    assert words in response.json()["error"]
    assert stored(db) == []


def test_reply_to_an_unpublished_or_foreign_comment_is_refused(client, db):
    with Store(db) as store:
        held = store.comments.add(Comment("social-not-sales", "Ann", "Held one"))
        elsewhere = store.comments.add(Comment("who-owns-the-room", "Bo", "Other article"))
        store.decisions.moderate(elsewhere.id, "approve")
    for parent in (held.id, elsewhere.id):
        response = client.post("/comments", json=form(reply_to=parent, body=f"re {parent}"))
        assert response.status_code == 404, parent
        assert response.json()["field"] == "reply_to"


def test_a_form_reply_to_an_unknown_comment_keeps_the_text_and_drops_the_reply(client):
    response = client.post(
        "/comments", data=form(reply_to="c-2026-01-01-ffffff", body="My careful reply")
    )
    assert response.status_code == 404
    page = BeautifulSoup(response.text, "lxml")
    assert page.find("textarea", attrs={"name": "body"}).text == "My careful reply"
    assert page.find("input", attrs={"name": "reply_to"})["value"] == ""


def test_missing_threads_json_is_503_until_the_site_is_built(client, site, db):
    threads = site / "output" / "comments" / "threads.json"
    threads.unlink()
    client.service.index.check_interval = 0
    fresh = type(client.service.index).from_settings(client.service.settings)
    client.service.index = fresh  # as a service started before the first build
    response = client.post("/comments", json=form())
    assert response.status_code == 503
    assert "has not been built yet" in response.json()["error"]
    page = client.post("/comments", data=form(body="Kept while the site is down"))
    assert page.status_code == 503
    assert "Kept while the site is down" in page.text
    write_threads(site, THREADS)
    assert client.post("/comments", json=form()).status_code == 202
    assert len(stored(db)) == 1


def test_threads_json_is_reloaded_when_it_changes(client, site):
    client.service.index.check_interval = 0
    assert client.post("/comments", json=form(body="before")).status_code == 202
    closed = [dict(t, open=False) if t["slug"] == "social-not-sales" else t for t in THREADS]
    write_threads(site, closed)
    assert client.post("/comments", json=form(body="after")).status_code == 409
    added = [*THREADS, {"slug": "brand-new", "title": "New", "url": "n.html", "open": True}]
    write_threads(site, added)
    assert client.post("/comments", json=form(article="brand-new")).status_code == 202


def test_oversized_request_is_413_by_content_length(make_client, db):
    client = make_client(COMMENTS_MAX_REQUEST_BYTES=2048)
    response = client.post("/comments", json=form(body="x" * 3000))
    assert response.status_code == 413
    assert "2,048 bytes" in response.json()["error"]
    page = client.post("/comments", data=form(body="y" * 3000))
    assert page.status_code == 413
    assert page.headers["content-type"].startswith("text/html")
    assert stored(db) == []


def test_oversized_chunked_request_without_length_is_413(make_client, db):
    client = make_client(COMMENTS_MAX_REQUEST_BYTES=2048)
    sent = []

    async def chunks():
        for number in range(100):
            sent.append(number)
            yield b"x" * 512

    response = client.post(
        "/comments", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert len(sent) < 100  # reading stopped at the limit
    assert stored(db) == []


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/xml", "application/json; charset=latin-1"],
)
def test_wrong_content_type_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/comments", content=b"name=x", headers=headers)
    assert response.status_code == 415
    assert (
        "application/x-www-form-urlencoded" in response.json()["error"]
        or "charset" in (response.json()["error"])
    )


def test_form_errors_reshow_everything_that_was_typed(client):
    fields = form(
        name="Zoë <b>Bold</b>",
        email="zoe@@example",
        url="https://zoe.example/?a=1&b=2",
        body='Line one\nLine two with <script>alert("x")</script> & more',
    )
    response = client.post("/comments", data=fields)
    assert response.status_code == 400
    page = BeautifulSoup(response.text, "lxml")
    form_element = page.find("form", id="comment-form")
    assert form_element["method"] == "post" and form_element["action"] == "/comments"
    values = {i["name"]: i.get("value", "") for i in form_element.find_all("input")}
    assert values["name"] == fields["name"]
    assert values["email"] == fields["email"]
    assert values["url"] == fields["url"]
    assert values["article"] == "social-not-sales"
    assert values["token"]  # a fresh one, so a resend is not held for a missing token
    assert form_element.find("textarea").text == fields["body"]
    assert page.find("script") is None  # the typed markup stays text
    email = form_element.find("input", attrs={"name": "email"})
    assert email["aria-invalid"] == "true"
    assert page.find(id=email["aria-describedby"]).get_text().startswith("email")


# -- the other routes --------------------------------------------------------------------------


def test_token_endpoint_gives_a_token_with_cors_for_the_site(client):
    response = client.get("/comments/token", headers={"Origin": SITE_ORIGIN})
    assert response.status_code == 200
    token = response.json()["token"]
    assert client.service.tokens.check(token, now=time.time() + 60) is None
    assert response.headers["access-control-allow-origin"] == SITE_ORIGIN
    assert response.headers["cache-control"] == "no-store"
    assert "Origin" in response.headers["vary"]
    foreign = client.get("/comments/token", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers


def test_preflight_for_json_posts_from_the_site(client):
    response = client.request(
        "OPTIONS",
        "/comments",
        headers={
            "Origin": SITE_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SITE_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "content-type" in response.headers["access-control-allow-headers"].lower()
    foreign = client.request(
        "OPTIONS",
        "/comments",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers


def test_form_page_for_a_reply(client, db):
    with Store(db) as store:
        parent = store.comments.add(
            Comment("social-not-sales", "Ann Parent", "What I said first, at length.")
        )
        store.decisions.moderate(parent.id, "approve")
    response = client.get(
        "/comments/form", params={"article": "social-not-sales", "reply_to": parent.id}
    )
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "lxml")
    assert page.html["lang"] == "en"
    form_element = page.find("form", id="comment-form")
    hidden = {i["name"]: i["value"] for i in form_element.find_all("input", type="hidden")}
    assert hidden["reply_to"] == parent.id
    assert hidden["article"] == "social-not-sales"
    assert client.service.tokens.check(hidden["token"], now=time.time() + 60) is None
    assert "Ann Parent" in page.find(class_="replying").get_text()
    assert "What I said first" in page.find(class_="replying").get_text()
    # Every visible control has a label.
    for control in form_element.find_all(["input", "textarea"]):
        if control.get("type") == "hidden":
            continue
        assert page.find("label", attrs={"for": control["id"]}), control
    trap = form_element.find("input", attrs={"name": "website"})
    assert trap["tabindex"] == "-1" and trap["autocomplete"] == "off"
    assert "Leave this field empty" in page.find("label", attrs={"for": trap["id"]}).text
    assert page.find("a", string="Back to the article")["href"] == (
        SITE_ORIGIN + "/2026/social-not-sales.html"
    )


def test_form_page_for_a_reply_known_only_from_threads_json(client):
    response = client.get(
        "/comments/form",
        params={"article": "social-not-sales", "reply_to": "c-2026-11-01-aaaaaa"},
    )
    assert response.status_code == 200
    assert (
        "c-2026-11-01-aaaaaa"
        in BeautifulSoup(response.text, "lxml").find(class_="replying").get_text()
    )


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"article": "no-such-article"}, 404),
        ({"article": "closed-thread"}, 409),
        ({"article": "social-not-sales", "reply_to": "c-2026-01-01-ffffff"}, 404),
        ({"article": "social-not-sales", "reply_to": "<script>"}, 400),
    ],
)
def test_form_page_errors(client, params, status):
    response = client.get("/comments/form", params=params)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert BeautifulSoup(response.text, "lxml").find(role="alert")


def test_health_reports_the_database_and_the_queue(client):
    client.post("/comments", json=form())
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True and body["db"] is True and body["site_built"] is True
    assert body["counts"]["received"] == 1


def test_unknown_paths_and_methods_get_json_errors(client):
    missing = client.get("/wp-login.php")
    assert missing.status_code == 404 and missing.json()["error"]
    wrong_method = client.get("/comments")
    assert wrong_method.status_code == 405


# -- headers on every answer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url", "kwargs"),
    [
        ("POST", "/comments", {"data": form()}),
        ("POST", "/comments", {"json": form(body="json one")}),
        ("POST", "/comments", {"json": form(name="")}),
        ("POST", "/comments", {"data": form(name="")}),
        ("POST", "/comments", {"content": b"x", "headers": {"Content-Type": "text/plain"}}),
        ("GET", "/comments/token", {}),
        ("GET", "/comments/form?article=social-not-sales", {}),
        ("GET", "/comments/form", {}),
        ("GET", "/health", {}),
        ("GET", "/nothing-here", {}),
    ],
)
def test_security_headers_on_every_answer(client, method, url, kwargs):
    response = client.request(method, url, **kwargs)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cache-control"] == "no-store"
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    if headers.get("content-type", "").startswith("text/html"):
        # The inline style is allowed by its hash, and by nothing else.
        style = re.search(r"<style>(.*?)</style>", response.text, re.S).group(1)
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"style-src 'sha256-{digest}'" in csp
        assert "form-action 'self' http://127.0.0.1:8000" in csp


# -- logs --------------------------------------------------------------------------------------


def test_logs_mask_emails_and_never_contain_the_body(client, caplog):
    # The package logger itself: a CLI test in this process may have set it to WARNING.
    caplog.set_level(logging.DEBUG, logger="moderation")
    secret_body = "This sentence is private until it is approved."
    client.post("/comments", json=form(email="private.person@example.org", body=secret_body))
    client.post("/comments", json=form(email="private.person@example.org", body=secret_body))
    client.post("/comments", data=form(email="private.person@example", body=secret_body + "!"))
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "stored as received" in text  # the test sees the logs at all
    assert "refused with 400" in text and "refused with 409" in text
    assert "private.person@example" not in text
    assert "p***@example.org" in text
    assert secret_body not in text


# -- retention at start-up ---------------------------------------------------------------------


def test_retention_is_applied_when_the_service_starts(make_client, db):
    with Store(db) as store:
        old = store.comments.add(
            Comment(
                "social-not-sales",
                "Old",
                "Old comment",
                ip="198.51.100.1",
                user_agent="Old browser",
                received_at=utcnow() - timedelta(days=45),
                status=State.APPROVED,
            )
        )
    client = make_client(screen=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with Store(db) as store:
            context = store.privacy.request_context(old.id)
        if context["ip"] is None:
            break
        time.sleep(0.05)
    assert context["ip"] is None and context["ip_hash"]
    assert client.get("/health").status_code == 200


def test_a_database_that_cannot_take_the_write_is_503_with_the_text_kept(make_client, db):
    """Another process (the CLI) holds SQLite's write lock: a real one, not a fake."""
    import sqlite3

    client = make_client(busy_timeout=0.3)
    assert client.post("/comments", json=form(body="Before the lock")).status_code == 202
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.post("/comments", json=form())
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert "send it again" in response.json()["error"]
        page = client.post("/comments", data=form(body="Do not lose me"))
        assert page.status_code == 503
        assert BeautifulSoup(page.text, "lxml").find("textarea").text == "Do not lose me"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.post("/comments", json=form()).status_code == 202  # the writer lives on
    assert len(stored(db)) == 2


def test_the_reply_form_does_not_wait_behind_a_write_lock(make_client, db):
    """Another process holds SQLite's write lock and a submission waits for it in the
    writer thread: the no-JS reply page must not queue behind that submission."""
    import sqlite3
    import threading

    with Store(db) as store:
        parent = store.comments.add(
            Comment("social-not-sales", "Ann Parent", "What I said first."), status=State.APPROVED
        )
    client = make_client(busy_timeout=5)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiting = threading.Thread(target=lambda: client.post("/comments", json=form()))
    try:
        waiting.start()
        time.sleep(0.3)  # the submission is now waiting for the lock in the writer
        started = time.monotonic()
        page = client.get(
            "/comments/form", params={"article": "social-not-sales", "reply_to": parent.id}
        )
        took = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiting.join()
    assert took < 2, took
    assert page.status_code == 200
    assert "What I said first." in page.text


def test_articles_older_than_close_after_days_are_closed_between_builds(make_client, site):
    articles = site / "content" / "articles"
    articles.mkdir(parents=True)
    (articles / "old.md").write_text(
        "Title: Who owns the room?\nDate: 2020-01-01 10:00+00:00\nSlug: who-owns-the-room\n\n"
        "Text.\n",
        encoding="utf-8",
    )
    client = make_client(COMMENTS_CLOSE_AFTER_DAYS=30)
    response = client.post("/comments", json=form(article="who-owns-the-room"))
    assert response.status_code == 409
    assert "closed" in response.json()["error"]
    assert client.post("/comments", json=form()).status_code == 202  # no date known: open
