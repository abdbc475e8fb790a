"""Text helpers shared by the content signals: links, hosts and words."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from .patterns import linear, runs

# A link is anything a reader could follow: a URL with a scheme, a www. address,
# or a bare domain with a common top-level domain ("example.com/offer").
_TLDS = (
    "com|net|org|info|biz|io|co|us|uk|de|ru|cn|xyz|top|online|site|shop|store|ly|me|tv|gl|gd"
    "|to|in|es|fr|se|nl|it|br|pl|app|dev|club|live|link|click|ws|cc|su|pw|tk|ml|ga|cf|gq|at|ch"
)
LINK = linear(
    "link",
    r"(?i)(?:https?://|www\.)[^\s<>()\"'\]\[]+"
    rf"|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^\s<>()\"']*)?",
)
WORD = runs("word", r"[^\W\d_]", 3)


@functools.lru_cache(maxsize=1024)
def find_links(text: str) -> tuple[str, ...]:
    """Every distinct link in ``text`` (an HTML anchor showing its own URL counts once).

    Cached: the rules and the promotion signal both ask about the same comment.
    """
    links: list[str] = []
    for match in LINK.finditer(text):
        link = match.group(0).rstrip(".,;:!?")
        if link not in links:
            links.append(link)
    return tuple(links)


def without_links(text: str) -> str:
    return LINK.sub(" ", text)


def host_of(link: str) -> str:
    """The lower-cased host of a link, without ``www.`` (links may lack a scheme)."""
    if "://" not in link:
        link = "http://" + link
    try:
        host = urlsplit(link).hostname or ""
    except ValueError:  # e.g. a malformed IPv6 literal
        return ""
    return host.removeprefix("www.")


def host_matches(host: str, domain: str) -> bool:
    """``host`` is ``domain`` or one of its subdomains."""
    return host == domain or host.endswith("." + domain)


# Fenced code blocks, indented code lines and inline code spans, which a comment
# quotes from a terminal or an editor: not the writer's own words.
_FENCED = linear("fenced code", r"(?s)```.*?(?:```|$)|~~~.*?(?:~~~|$)")
_INLINE_CODE = linear("inline code", r"`[^`\n]{1,500}`")
_INDENTED = linear("indented code", r"(?m)^(?: {4}|\t)[^\n]*$")


def prose(text: str) -> str:
    """``text`` without code: fenced blocks, indented lines and inline spans."""
    if "`" not in text and "~~~" not in text and "    " not in text and "\t" not in text:
        return text
    for pattern in (_FENCED, _INDENTED, _INLINE_CODE):
        text = pattern.sub(" ", text)
    return text


def code_in(text: str) -> list[str]:
    """What kinds of code ``text`` quotes: 'code block', 'inline code'."""
    kinds = []
    if _FENCED.search(text) or _INDENTED.search(text):
        kinds.append("code block")
    if _INLINE_CODE.search(text):
        kinds.append("inline code")
    return kinds
