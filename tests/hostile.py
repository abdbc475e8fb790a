"""Hostile input of the maximum size, shared by the tests and benchmarks/worst_case.py.

Comment bodies, each built to make a backtracking engine or a naive parser work hard:
long runs of characters that almost match a pattern, and nesting past the renderer's
limit. Webmention sources: pages of the most the fetcher reads, built to make an HTML
parser or mf2py work hard, and charsets a decoder could choke on.
"""

from __future__ import annotations

import random

from comment_format.render import MAX_NESTING
from comment_format.text import MAX_BODY
from moderation.webmention import MAX_BYTES, MAX_DEPTH

_RANDOM = random.Random(7)


def _fill(unit: str) -> str:
    return (unit * (MAX_BODY // len(unit) + 1))[:MAX_BODY]


ADVERSARIAL = {
    "digits and spaces": _fill("1 "),
    "digit groups": _fill("555-"),
    "thousands": _fill("1,"),
    "letter o": _fill("8O"),
    "dots": _fill("a."),
    "domain labels": _fill("a-b."),
    "url starts": _fill("http://"),
    "www": _fill("www."),
    "angle autolinks": _fill("<a:"),
    "brackets": _fill("[x]("),
    "anchors": _fill("<a href="),
    "one letter": "a" * MAX_BODY,
    "words": _fill("check out my "),
    "phrases": _fill("please please "),
    "question": _fill("how do "),
    "currency": _fill("$1"),
    "backticks": _fill("`a"),
    "newlines": _fill("\n    x"),
    "unicode": _fill("é "),
    "mixed": "".join(_RANDOM.choice("aA1 .-/:<[(`$@") for _ in range(MAX_BODY)),
}

NESTED = {
    "quotes": ">" * (MAX_NESTING + 5) + " deep",
    "lists": "".join("  " * depth + "- item\n" for depth in range(MAX_NESTING + 5)),
    "ordered": "".join("   " * depth + "1. item\n" for depth in range(MAX_NESTING + 5)),
    "mixed": "> - " * (MAX_NESTING + 5) + "deep",
}


def hostile_sources(size: int = MAX_BYTES) -> dict[str, bytes]:
    """Hostile Webmention sources of ``size`` bytes (about), by shape. "deep" ones nest
    past MAX_DEPTH (refused unread); the others stay under it, each making html5lib
    walk its open elements, or the tag's attributes, again for every tag."""

    def page(unit: str, before: str = "", after: str = "") -> bytes:
        room = size - len(before) - len(after)
        return (before + unit * (room // len(unit)) + after).encode("ascii")

    under_the_limit = "<div>" * (MAX_DEPTH - 10)
    different_bs = "".join(f"<b id={n}>" for n in range(MAX_DEPTH - 10))
    attributes = " ".join(f"a{n}" for n in range(size // 8))
    return {
        "deep: divs": page("<div>"),
        "deep: h-entries": page('<div class="h-entry">'),
        "deep: formatting, each different": page("<b id=1><i class=x>"),
        "deep: tables": page("<table><td>"),
        "deep: lists": page("<ul><li>"),
        "deep: svg": page("<g>", before="<svg>"),
        "paragraphs under 190 divs": page("<p>", before=under_the_limit),
        "paragraph ends under 190 divs": page("</p>", before=under_the_limit),
        "list items under 190 divs": page("<li>", before=under_the_limit),
        "reopened formatting": page("</p>x", before="<p>" + different_bs),
        "one tag, one attribute again and again": page(" a", before="<div", after=">"),
        "one tag, different attributes": f"<div {attributes}>".encode("ascii"),
        "flat paragraphs": page("<p class=p-name>x</p>"),
        "flat h-entries": page(
            '<div class="h-entry"><a class="u-in-reply-to" href="/x">x</a></div>'
        ),
    }


#: Webmention sources of the most the fetcher reads (1 MB).
SOURCES = hostile_sources()

#: Content-Type charsets that are Python codecs but no web page's (or nobody's).
SOURCE_CHARSETS = ("idna", "undefined", "punycode", "utf-7", "rot13", "no-such-charset")
