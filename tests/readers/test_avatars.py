"""Avatars (issue 13): an identicon drawn locally from the keyed hash, and the opt-in
Libravatar/Gravatar picture over it, for commenters who asked, and only them."""

from __future__ import annotations

import hashlib

from lxml import etree

from comment_format.avatars import identicon_svg, service_url
from moderation.store import Store

from .conftest import ARTICLE, ORIGIN


def test_identicons_are_stable_distinct_and_plain_svg():
    face = identicon_svg("5d41402abc4b2a76")
    assert face == identicon_svg("5d41402abc4b2a76"), "the same on every build"
    others = {identicon_svg(f"{n:016x}") for n in range(50)}
    assert len(others) == 50, "different commenters, different faces"
    svg = etree.fromstring(face.encode())
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    names = {element.tag.split("}")[1] for element in svg.iter()}
    assert names == {"svg", "rect", "path"}, "nothing that could run or load"
    assert "href" not in face and "url(" not in face


def test_hosted_picture_urls():
    digest = hashlib.sha256(b"ann@example.org").hexdigest()
    assert service_url("libravatar", digest) == (
        f"https://seccdn.libravatar.org/avatar/{digest}?s=80&d=404"
    )
    assert service_url("gravatar", digest).startswith(f"https://gravatar.com/avatar/{digest}?")
    assert service_url("identicon", digest) is None
    assert service_url("libravatar", "not-a-hash") is None


def _post(client, name: str, email: str, **extra: str) -> None:
    answer = client.post(
        "/comments",
        data={
            "article": ARTICLE,
            "name": name,
            "email": email,
            "url": "",
            "token": "",
            "body": f"A comment by {name}.",
            **extra,
        },
        headers=ORIGIN,
    )
    assert answer.status_code == 303, answer.text


def test_only_commenters_who_opt_in_get_a_hosted_picture(reader_site, approve):
    reader_site.build(COMMENTS_AVATARS="libravatar")
    box = reader_site.page().find("input", attrs={"name": "avatar"})
    assert box is not None and box["type"] == "checkbox" and not box.has_attr("checked")
    client = reader_site.client(COMMENTS_AVATARS="libravatar")
    _post(client, "Opted In", "Opted.In@Example.org ", avatar="1")
    _post(client, "Stayed Out", "out@example.org")
    with Store(reader_site.db) as store:
        comments = {c.author: c for c in store.comments.list()}
        for comment in comments.values():
            approve(store, comment.id)
    reader_site.publish(COMMENTS_AVATARS="libravatar")
    folder = reader_site.content / "comments" / ARTICLE
    opted = (folder / f"{comments['Opted In'].id}.md").read_text()
    out = (folder / f"{comments['Stayed Out'].id}.md").read_text()
    digest = hashlib.sha256(b"opted.in@example.org").hexdigest()
    assert f"email_hash: {digest}\n" in opted
    assert "email_hash" not in out and "out@example.org" not in out
    reader_site.build(COMMENTS_AVATARS="libravatar")
    page = reader_site.page()
    face = page.find("article", id=f"comment-{comments['Opted In'].id}").select_one(".avatar")
    image = face.find("img")
    assert image["src"] == f"https://seccdn.libravatar.org/avatar/{digest}?s=80&d=404"
    assert image["referrerpolicy"] == "no-referrer" and image["alt"] == ""
    assert face.find("svg") is not None, "the identicon stays underneath"
    other = page.find("article", id=f"comment-{comments['Stayed Out'].id}").select_one(".avatar")
    assert other.find("img") is None and other.find("svg") is not None
    # The owner turns the service off: the next publish takes the hash out again.
    reader_site.publish()
    assert "email_hash" not in (folder / f"{comments['Opted In'].id}.md").read_text()
    reader_site.build()
    assert not reader_site.page().select("section#comments img")
    assert reader_site.page().find("input", attrs={"name": "avatar"}) is None
