"""Comment bodies: Markdown with raw HTML escaped, then the nh3 allowlist."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from comment_format.render import RenderProblem, render_body

from .xss_corpus import XSS_CORPUS

ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
FORBIDDEN_RAW = re.compile(
    r"<\s*/?\s*(script|img|svg|math|iframe|object|embed|style|form|input|meta|link|base|"
    r"video|audio|source|body|details|table|marquee|button|isindex|xss|div|b|i|title|textarea)\b",
    re.IGNORECASE,
)
REL = "nofollow ugc noopener"


def assert_safe(html: str) -> None:
    assert not FORBIDDEN_RAW.search(html), html
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(True):
        assert element.name in ALLOWED_TAGS, (element.name, html)
        allowed = {"href", "title", "rel"} if element.name == "a" else set()
        assert set(element.attrs) <= allowed, (element.attrs, html)
        for name in element.attrs:
            assert not name.lower().startswith("on"), html
        if element.name == "a":
            assert element.get("rel") == REL.split(), html
            href = element.get("href")
            if href is not None:
                scheme = urlsplit(href.strip()).scheme.lower()
                assert scheme in {"http", "https", "mailto"}, (href, html)
                assert "javascript" not in href.lower(), html
    # lxml too: a second, independent parser must agree there is nothing active.
    fragment = etree.fromstring(f"<div>{html}</div>", etree.HTMLParser())
    for element in fragment.iter():
        if isinstance(element.tag, str) and element.tag not in {"html", "body", "div"}:
            assert element.tag in ALLOWED_TAGS, (element.tag, html)
            assert not any(k.lower().startswith("on") for k in element.attrib), html


def test_corpus_is_big_enough():
    assert len(XSS_CORPUS) >= 60
    assert len({label for label, _ in XSS_CORPUS}) == len(XSS_CORPUS)


@pytest.mark.parametrize(("label", "body"), XSS_CORPUS, ids=[label for label, _ in XSS_CORPUS])
def test_corpus_renders_harmless(label, body):
    html = render_body(body)
    assert_safe(html)


def test_raw_html_is_escaped_not_dropped():
    html = render_body("Look: <script>alert(1)</script> <b>bold</b>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    text = BeautifulSoup(html, "html.parser").get_text()
    assert "<script>alert(1)</script>" in text


def test_allowed_markup_survives():
    body = (
        "Some **strong** and *em* and `code`.\n"
        "Line one  \nline two\n\n"
        "> quoted\n\n"
        "- one\n- two\n\n"
        "Between the lists.\n\n"
        "1. first\n2. second\n\n"
        "After the lists.\n\n"
        "    code block\n\n"
        '[site](https://example.org/a?b=1&c=2 "Title") '
        "[mail](mailto:me@example.org) <https://auto.example/x>"
    )
    soup = BeautifulSoup(render_body(body), "html.parser")
    assert soup.find("strong").get_text() == "strong"
    assert soup.find("em").get_text() == "em"
    assert soup.find("code").get_text() == "code"
    assert soup.find("br") is not None
    assert soup.find("blockquote").get_text(strip=True) == "quoted"
    assert [li.get_text() for li in soup.select("ul > li")] == ["one", "two"]
    assert [li.get_text() for li in soup.select("ol > li")] == ["first", "second"]
    assert soup.select_one("pre > code").get_text() == "code block\n"
    links = {a.get_text(): a for a in soup.find_all("a")}
    assert links["site"]["href"] == "https://example.org/a?b=1&c=2"
    assert links["site"]["title"] == "Title"
    assert links["mail"]["href"] == "mailto:me@example.org"
    assert links["https://auto.example/x"]["href"] == "https://auto.example/x"
    for link in links.values():
        assert link["rel"] == REL.split()


def test_images_become_links_not_img():
    soup = BeautifulSoup(render_body("![a chart](https://example.org/c.png)"), "html.parser")
    assert soup.find("img") is None
    link = soup.find("a")
    assert link.get_text() == "a chart"
    assert link["href"] == "https://example.org/c.png"


def test_corpus_through_a_real_build(site):
    """The whole corpus in one site: article page and feed stay harmless."""
    site.article("target")
    for number, (_, body) in enumerate(XSS_CORPUS):
        site.raw_comment(
            "target",
            f"x{number}.md",
            f"id: x{number}\nauthor: <script>alert({number})</script>\n"
            f"date: 2026-02-01T10:{number % 60:02d}:00+00:00\n"
            f"author_url: javascript:alert({number})\nstatus: approved\n\n{body}\n",
        )
    out = site.build(SITEURL="https://blog.example")
    soup = site.article_html("target")
    bodies = soup.select(".comment-body")
    assert len(bodies) == len(XSS_CORPUS)
    for body in bodies:
        assert_safe(body.decode_contents())
    for author in soup.select(".comment-author"):
        assert author.name == "span"  # the javascript: author URL was dropped
        assert author.find(True) is None
    feed = etree.parse(str(out / "feeds/comments/target.atom.xml"))
    contents = feed.getroot().iter("{http://www.w3.org/2005/Atom}content")
    for content in contents:
        assert_safe(content.text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_renders_safe(text):
    try:
        html = render_body(text)
    except RenderProblem as problem:  # refused: nothing of it reaches a page
        assert "shows nothing" in str(problem)
        return
    assert_safe(html)
