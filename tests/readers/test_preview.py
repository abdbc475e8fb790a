"""Preview (issue 13): the button named ``preview`` with value ``1`` in the form that posts
to ``/comments``; 200 text/html with the rendered preview and every field kept; nothing
stored; the HTML byte for byte what the plugin publishes."""

from __future__ import annotations

from comment_format.render import render_body
from moderation.models import Comment
from moderation.store import Store

from .conftest import ARTICLE, ORIGIN, parse

BODY = """Thanks for this. Two **points**, one *smaller*:

1. Asking in public [helps others](https://example.org/a "later readers");
2. `code` stays code, and <script>alert(1)</script> stays text.

> Quoted, with <https://example.org/auto> and an ![image](https://example.org/i.png).
"""


def fields(**changes: str) -> dict[str, str]:
    base = {
        "article": ARTICLE,
        "reply_to": "",
        "token": "",
        "name": "Pia Preview",
        "email": "pia@example.org",
        "url": "https://pia.example",
        "body": BODY,
        "website": "",
        "preview": "1",
    }
    base.update(changes)
    return base


def content_html(html: str, after: str) -> str:
    """The inner HTML of the first comment body after ``after``, exactly as sent."""
    marker = '<div class="comment__content">'
    start = html.index(marker, html.index(after)) + len(marker)
    return html[start : html.index("</div>", start)]


def test_preview_answers_200_html_with_the_rendering_and_every_field_kept(reader_site):
    client = reader_site.client()
    answer = client.post("/comments", data=fields(), headers=ORIGIN)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    page = parse_html(answer.text)
    preview = page.select_one("#preview")
    assert preview is not None
    assert preview.select_one(".comment__author").get_text() == "Pia Preview"
    assert preview.select_one(".comment__content strong").get_text() == "points"
    assert "<script>" not in str(preview) and "&lt;script&gt;" in str(preview)
    form = page.select_one("form#comment-form")
    assert form["action"] == "/comments" and form["method"] == "post"
    kept = {field["name"]: field.get("value", "") for field in form.find_all("input")}
    assert kept["name"] == "Pia Preview"
    assert kept["email"] == "pia@example.org"
    assert kept["url"] == "https://pia.example"
    assert kept["article"] == ARTICLE
    assert kept["token"], "a form that had no token gets one"
    assert form.find("textarea", attrs={"name": "body"}).get_text() == BODY.replace("\r\n", "\n")
    # The same two buttons: send, and preview again.
    buttons = form.find_all("button")
    assert [(b.get("name"), b.get("value")) for b in buttons] == [(None, None), ("preview", "1")]
    with Store(reader_site.db) as store:
        assert store.comments.count() == 0, "a preview stores nothing"


def test_preview_keeps_a_reply_and_a_good_token(reader_site):
    client = reader_site.client()
    token = client.get("/comments/token").json()["token"]
    answer = client.post(
        "/comments",
        data=fields(reply_to="c-2026-07-14-aa01", token=token, body="Short *reply*."),
        headers=ORIGIN,
    )
    assert answer.status_code == 200
    form = parse_html(answer.text).select_one("form#comment-form")
    assert form.find("input", attrs={"name": "reply_to"})["value"] == "c-2026-07-14-aa01"
    assert form.find("input", attrs={"name": "token"})["value"] == token


def test_a_preview_of_a_bad_comment_says_what_is_wrong_and_keeps_the_text(reader_site):
    client = reader_site.client()
    answer = client.post("/comments", data=fields(name="", body="Words kept."), headers=ORIGIN)
    assert answer.status_code == 400
    page = parse_html(answer.text)
    assert "name is required" in page.select_one(".problem").get_text()
    assert page.find("textarea", attrs={"name": "body"}).get_text() == "Words kept."
    assert page.select_one("#preview") is None


def test_json_preview_for_the_inline_script(reader_site):
    client = reader_site.client()
    answer = client.post("/comments", json=fields(), headers=ORIGIN)
    assert answer.status_code == 200
    preview = answer.json()["preview"]
    assert preview["author"] == "Pia Preview"
    assert preview["html"] == render_body(BODY)
    assert preview["avatar"].startswith('<svg class="identicon"')
    refused = client.post("/comments", json=fields(body=""), headers=ORIGIN)
    assert refused.status_code == 400 and refused.json()["error"] == "body is required"


def test_preview_and_the_published_page_are_the_same_html_byte_for_byte(reader_site):
    client = reader_site.client()
    previewed = content_html(
        client.post("/comments", data=fields(), headers=ORIGIN).text, 'id="preview"'
    )
    with Store(reader_site.db) as store:
        comment = store.comments.add(
            Comment(article=ARTICLE, author="Pia Preview", body=BODY, email="pia@example.org")
        )
        store.decisions.moderate(comment.id, "approve")
    reader_site.publish()
    reader_site.build()
    published_page = (reader_site.output / "2026/open-thread.html").read_text(encoding="utf-8")
    published = content_html(published_page, f'id="comment-{comment.id}"')
    assert previewed == published == render_body(BODY)
    # The identicon too: the preview draws the face the page will show.
    page = parse(reader_site.output / "2026/open-thread.html")
    face = page.find("article", id=f"comment-{comment.id}").select_one(".avatar svg")
    preview_page = parse_html(client.post("/comments", data=fields(), headers=ORIGIN).text)
    assert str(preview_page.select_one("#preview .avatar svg")) == str(face)


def parse_html(text: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(text, "lxml")
