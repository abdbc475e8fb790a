"""Validation shared by the intake service, import, train and classify."""

import pytest

from moderation.errors import ValidationError
from moderation.submission import MAX_BODY, parse_submission


def submit(**fields):
    return parse_submission({"article": "a-post", "name": "Reader", "body": "Hello", **fields})


def test_a_body_of_the_limit_sent_with_browser_line_endings_fits():
    # 100 lines of 99 characters plus a newline: 10,000 characters, 10,099 with CRLF.
    lines = ["x" * 99] * 100
    comment = submit(body="\r\n".join(lines))
    assert "\r" not in comment.body
    assert (
        len(submit(body="\r\n".join(lines) + "\r\n" + "y" * (MAX_BODY - 9999 - 1)).body) <= MAX_BODY
    )


def test_a_body_over_the_limit_names_the_field_and_both_lengths():
    with pytest.raises(ValidationError) as caught:
        submit(body="x" * (MAX_BODY + 1))
    assert caught.value.field == "body"
    assert "10,001" in str(caught.value) and "10,000" in str(caught.value)


@pytest.mark.parametrize(
    "url", ['https://e.example/a"b', "https://e.example/<x>", "https://e.example/`"]
)
def test_an_author_url_the_plugin_would_drop_is_refused(url):
    with pytest.raises(ValidationError) as caught:
        submit(url=url)
    assert caught.value.field == "url"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://e.example/", "http://@/", "https:///x"]
)
def test_only_http_and_https_urls_with_a_host(url):
    with pytest.raises(ValidationError, match="http:// or https://"):
        submit(url=url)


def test_a_plain_url_is_kept():
    assert submit(url="https://reader.example/about?x=1#top").author_url == (
        "https://reader.example/about?x=1#top"
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"body": "tab\tand newline\nare fine but bell \x07 is not"}, "body"),
        ({"email": "not-an-email"}, "email"),
        ({"reply_to": "c-1/../x"}, "reply_to"),
        ({"article": ""}, "article"),
        ({"name": 42}, "name"),
    ],
)
def test_each_bad_field_is_named(fields, field):
    with pytest.raises(ValidationError) as caught:
        submit(**fields)
    assert caught.value.field == field
