"""Turn a comment's Markdown body into sanitised HTML.

Markdown runs with raw HTML disabled, so ``<script>`` in a comment shows up as
text instead of vanishing; images become plain links. nh3 then applies a small
allowlist, so whatever Markdown lets through is checked a second time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

import markdown
import nh3
from markdown.inlinepatterns import (
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)
from markupsafe import Markup, escape

ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    url_schemes=set(ALLOWED_URL_SCHEMES),
    link_rel=LINK_REL,
    # A relative href has no scheme to check; comments have no business linking
    # into the site's own tree, so such links lose their href.
    url_relative="deny",
    strip_comments=True,
)

# Which characters an inline pattern needs before it can match anything. A body
# without them gets a Markdown instance that skips those patterns, which is the
# bulk of Markdown's time on short texts; the output is the same.
_INLINE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "reference": ("[",),
    "link": ("[",),
    "image_link": ("[",),
    "image_reference": ("[",),
    "short_reference": ("[",),
    "short_image_ref": ("[",),
    "autolink": ("<",),
    "automail": ("<",),
    # Tabs expand to spaces and \r becomes \n before inline parsing.
    "linebreak": (" \n", "\t\n", " \r", "\t\r"),
    "entity": ("&",),
    "em_strong": ("*", "_"),
}
_TRIGGER_GROUPS: tuple[tuple[str, ...], ...] = tuple(
    sorted({triggers for triggers in _INLINE_TRIGGERS.values()})
)


def _build_markdown(present: frozenset[tuple[str, ...]] | None = None) -> markdown.Markdown:
    """A Markdown instance with raw HTML off and images turned into links.

    ``present`` lists the trigger groups found in the text; inline patterns whose
    triggers are absent are left out. ``None`` keeps every pattern.
    """
    md = markdown.Markdown(extensions=[], output_format="html")
    # Raw HTML is escaped, never passed through (and never silently dropped).
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    # An image becomes a link to the image, its alt text the link text.
    md.inlinePatterns.register(LinkInlineProcessor(IMAGE_LINK_RE, md), "image_link", 150)
    md.inlinePatterns.register(
        ReferenceInlineProcessor(IMAGE_REFERENCE_RE, md), "image_reference", 140
    )
    md.inlinePatterns.register(
        ShortReferenceInlineProcessor(IMAGE_REFERENCE_RE, md), "short_image_ref", 125
    )
    if present is not None:
        for name, triggers in _INLINE_TRIGGERS.items():
            if triggers not in present and name in md.inlinePatterns:
                md.inlinePatterns.deregister(name)
    return md


class BodyRenderer:
    """Renders comment bodies, reusing Markdown instances (``md.reset()``) and one
    prebuilt nh3 cleaner; it adds the time spent in each step to its timers."""

    def __init__(self) -> None:
        self._instances: dict[frozenset[tuple[str, ...]], markdown.Markdown] = {}
        self.markdown_seconds = 0.0
        self.sanitise_seconds = 0.0

    def _markdown_for(self, text: str) -> markdown.Markdown:
        present = frozenset(group for group in _TRIGGER_GROUPS if any(t in text for t in group))
        md = self._instances.get(present)
        if md is None:
            md = self._instances[present] = _build_markdown(present)
        return md

    def to_html(self, text: str) -> str:
        """Markdown → HTML → nh3; the result is safe to insert into a page."""
        started = time.perf_counter()
        html = plain_paragraphs(text)
        if html is None:
            html = self._markdown_for(text).reset().convert(text)
        converted = time.perf_counter()
        clean = sanitise(html)
        self.markdown_seconds += converted - started
        self.sanitise_seconds += time.perf_counter() - converted
        return clean


# Text free of these characters, of line starts that could open a block, and of
# trailing spaces is just paragraphs to Markdown. Whitespace other than space and
# newline is excluded because Markdown expands or strips it.
_NOT_PLAIN_CHARS_RE = re.compile(
    "[\x00-\x09\x0b-\x1f`\\\\\\[\\]<>&*_\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)
_BLOCK_START_RE = re.compile(r"\n[ #>\-+=\d]")
_BLOCK_START_CHARS = frozenset(" #>-+=0123456789")
_BLANK_LINES_RE = re.compile(r"\n{2,}")


def plain_paragraphs(text: str) -> str | None:
    """What Markdown makes of plain prose, without running Markdown; ``None`` when
    the text may hold any Markdown syntax (tests check the two agree)."""
    if (
        _NOT_PLAIN_CHARS_RE.search(text)
        or text[:1] in _BLOCK_START_CHARS
        or _BLOCK_START_RE.search(text)
        or " \n" in text
        or text.endswith(" ")
    ):
        return None
    text = text.strip("\n")
    if "\n\n\n" in text:
        text = _BLANK_LINES_RE.sub("\n\n", text)
    return "<p>" + text.replace("\n\n", "</p>\n<p>") + "</p>" if text else ""


def sanitise(html: str) -> str:
    """Apply the comment allowlist to an HTML fragment."""
    return _CLEANER.clean(html)


_SAFE_URL_RE = re.compile(r"^https?://[^\s\"'<>`\\]+$", re.IGNORECASE)


def safe_author_url(url: str | None) -> str | None:
    """Keep an author's URL only when it is an absolute http(s) URL with a host and
    nothing that could break out of an attribute."""
    if not url:
        return None
    url = url.strip()
    if not _SAFE_URL_RE.match(url):
        return None
    host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if not host or host.startswith("@") or host.endswith("@"):
        return None
    return url


def escape_author(name: str) -> Markup:
    """An author name as escaped markup, ready for a template without autoescape."""
    return escape(name)


def render_many(texts: Iterable[str]) -> list[str]:
    """Render several bodies with one renderer (handy in tests and tools)."""
    renderer = BodyRenderer()
    return [renderer.to_html(text) for text in texts]
