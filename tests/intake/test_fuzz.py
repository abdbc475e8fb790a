"""A bounded fuzz run: random fields, content types and sizes never produce a 5xx."""

from __future__ import annotations

import json
from urllib.parse import quote_from_bytes

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.store import Store
from moderation.web import create_app

from .helpers import AppClient, make_settings

FIELD_NAMES = ["article", "reply_to", "name", "email", "url", "body", "token", "website"]
EXPECTED = {202, 303, 400, 403, 404, 409, 413, 415, 429}

any_text = st.text(st.characters(codec="utf-8"), max_size=40) | st.text(max_size=3000)
field_values = st.one_of(
    any_text,
    st.sampled_from(["social-not-sales", "closed-thread", "c-2026-11-01-aaaaaa", "a@b.co"]),
    st.sampled_from(["https://example.org/", "javascript:x", "", " ", "\x00", "\ud800"]),
)
field_maps = st.dictionaries(
    st.sampled_from(FIELD_NAMES) | st.text(max_size=10), field_values, max_size=10
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | field_values,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=5,
)
content_types = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=UTF-8",
        "application/json",
        "application/json; charset=iso-8859-1",
        "multipart/form-data",
        "multipart/form-data; boundary=xyz",
        "text/plain",
        "",
        "application/x-www-form-urlencoded; charset",
        ";;;",
    ]
)


def encode_form(fields: dict[str, str]) -> bytes:
    return b"&".join(
        quote_from_bytes(k.encode("utf-8", "surrogatepass")).encode()
        + b"="
        + quote_from_bytes(v.encode("utf-8", "surrogatepass")).encode()
        for k, v in fields.items()
    )


@st.composite
def requests(draw):
    shape = draw(st.sampled_from(["form", "json", "json-any", "bytes", "multipart", "huge"]))
    # Mostly the type that fits the body (to get past the first check), sometimes any.
    fitting = {"json": "application/json", "json-any": "application/json"}.get(
        shape,
        "multipart/form-data; boundary=xyz"
        if shape == "multipart"
        else "application/x-www-form-urlencoded",
    )
    content_type = draw(st.just(fitting) | st.just(fitting) | content_types)
    fields = {"article": "social-not-sales", "name": "Fuzz", "body": draw(st.uuids()).hex}
    fields.update(draw(field_maps))
    if shape == "form":
        body = encode_form(fields)
    elif shape == "json":
        body = json.dumps(fields).encode()
    elif shape == "json-any":
        body = json.dumps(draw(json_values)).encode()
    elif shape == "multipart":
        body = (
            b'--xyz\r\nContent-Disposition: form-data; name="'
            + draw(st.binary(max_size=20))
            + b'"\r\n\r\n'
            + draw(st.binary(max_size=200))
            + b"\r\n--xyz--\r\n"
        )
    elif shape == "huge":
        body = b"body=" + b"x" * draw(st.integers(9_000, 200_000))
    else:
        body = draw(st.binary(max_size=2000))
    headers = {"Content-Type": content_type} if content_type else {}
    extra = draw(
        st.dictionaries(
            st.sampled_from(["Origin", "Referer", "X-Forwarded-For", "Accept-Language", "Accept"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
            max_size=3,
        )
    )
    headers.update(extra)
    return body, headers


def test_random_requests_never_produce_a_server_error(site, db):
    app = create_app(
        make_settings(site, COMMENTS_MAX_REQUEST_BYTES=64 * 1024),
        db,
        screen_in_background=False,
    )
    seen: dict[int, int] = {}
    with AppClient(app) as client:

        @settings(
            max_examples=200,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            derandomize=True,
        )
        @given(requests())
        def check(request):
            body, headers = request
            response = client.post("/comments", content=body, headers=headers)
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code in EXPECTED, (response.status_code, response.text)
            if response.status_code >= 400:
                if response.headers["content-type"].startswith("application/json"):
                    assert response.json()["error"]
                else:
                    assert "<h1>" in response.text

        check()
        assert client.get("/health").json()["ok"] is True
    # The run reached past validation, into storing, and into the refusals.
    assert seen.get(202, 0) + seen.get(303, 0) > 0, seen
    assert {400, 415} <= set(seen), seen
    with Store(db) as store:
        assert store.integrity_check() == "ok"
