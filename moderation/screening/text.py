"""Text helpers shared by the content signals: links, hosts and words."""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

# A link is anything a reader could follow: a URL with a scheme, a www. address,
# or a bare domain with a common top-level domain ("example.com/offer").
_TLDS = (
    "com|net|org|info|biz|io|co|us|uk|de|ru|cn|xyz|top|online|site|shop|store|ly|me|tv|gl|gd"
    "|to|in|es|fr|se|nl|it|br|pl|app|dev|club|live|link|click|ws|cc|su|pw|tk|ml|ga|cf|gq|at|ch"
)
LINK = re.compile(
    r"(?:https?://|www\.)[^\s<>()\"'\]\[]+"
    rf"|\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:{_TLDS})\b(?:/[^\s<>()\"']*)?",
    re.IGNORECASE,
)
WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


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
