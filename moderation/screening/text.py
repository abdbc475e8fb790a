"""Text helpers shared by the content signals: links, hosts and words."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar
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


_T = TypeVar("_T")
#: What the signals screening one batch found out about its texts (see shared_for_batch).
_BATCH: ContextVar[dict[tuple[str, str], Any] | None] = ContextVar("batch_texts", default=None)


@contextmanager
def shared_for_batch() -> Iterator[None]:
    """While one batch is screened, the signals share what they work out about its texts.

    Each signal reads the whole batch before the next starts, so the small caches
    below miss on any batch larger than they are; this lives as long as the batch.
    """
    token = _BATCH.set({})
    try:
        yield
    finally:
        _BATCH.reset(token)


def _shared(kind: str, text: str, work: Callable[[str], _T]) -> _T:
    memo = _BATCH.get()
    if memo is None:
        return work(text)
    key = (kind, text)
    if key not in memo:
        memo[key] = work(text)
    return memo[key]


def find_links(text: str) -> tuple[str, ...]:
    """Every distinct link in ``text`` (an HTML anchor showing its own URL counts once).

    Shared: the rules, commercial, promotion and blocklist signals all ask about the
    same comment.
    """
    return _shared("links", text, _find_links)


@functools.lru_cache(maxsize=1024)
def _find_links(text: str) -> tuple[str, ...]:
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


# Code is what a comment quotes from a terminal or an editor, not the writer's own
# words: fenced blocks, indented lines and inline spans. Found with string splits,
# which stay linear however many backticks a comment holds.
_FENCES = ("```", "~~~")
_INDENT = ("    ", "\t")


def _split_code(text: str) -> tuple[str, list[str]]:
    """(the prose, the kinds of code found) of ``text``."""
    kinds = []
    # Only what holds something counts as code: blank fences or indentation quote nothing.
    for fence in _FENCES:
        if fence in text:
            pieces = text.split(fence)
            text = " ".join(pieces[0::2])  # odd pieces are inside a fence (or left open)
            if any(piece.strip() for piece in pieces[1::2]):
                kinds.append("code block")
    if "\n    " in text or "\n\t" in text or text.startswith(_INDENT):
        lines = text.split("\n")
        kept = [line for line in lines if not line.startswith(_INDENT)]
        if len(kept) < len(lines):
            if any(line.strip() for line in lines if line.startswith(_INDENT)):
                kinds.append("code block")
            text = "\n".join(kept)
    if "`" in text:
        prose_parts = []
        for line in text.split("\n"):
            pieces = line.split("`")
            if len(pieces) >= 3:
                # Inline code spans: the pieces between pairs of backticks on one line.
                closed = len(pieces) - (len(pieces) % 2 == 0)
                prose_parts.append(" ".join([*pieces[0:closed:2], *pieces[closed:]]))
                if any(piece.strip() for piece in pieces[1:closed:2]):
                    kinds.append("inline code")
            else:
                prose_parts.append(line)
        text = "\n".join(prose_parts)
    return text, list(dict.fromkeys(kinds))


def prose(text: str) -> str:
    """``text`` without code: fenced blocks, indented lines and inline spans.

    Shared: several signals ask about the same comment.
    """
    return _shared("code", text, _split_code_cached)[0]


def code_in(text: str) -> list[str]:
    """What kinds of code ``text`` quotes: 'code block', 'inline code'."""
    return list(_shared("code", text, _split_code_cached)[1])


@functools.lru_cache(maxsize=256)
def _split_code_cached(text: str) -> tuple[str, tuple[str, ...]]:
    kept, kinds = _split_code(text)
    return kept, tuple(kinds)
