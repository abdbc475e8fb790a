"""HTML from other blog engines, as the Markdown this blog is written in.

markdownify does the conversion. Three things are added around it, each for a
habit of the exports we read:

- WordPress stores posts and comments with its "auto-paragraphs": a blank line
  means a new paragraph and a line break is a ``<br>``, added only when the page
  is shown. :func:`auto_paragraphs` makes those ``<p>`` and ``<br>`` explicit
  (outside ``<pre>``), or markdownify would run the paragraphs together.
- ``[caption ...]<img ...> Text[/caption]`` shortcodes become a ``<figure>``, and
  a figure becomes an image alone in its paragraph whose title is the caption:
  the form this blog's build turns into ``<figure>`` with ``<figcaption>``.
- A ``|`` inside a table cell is escaped, so it cannot split the Markdown row.

:func:`summary_text` makes a post's ``Summary:`` line: the excerpt, or for a post
without one (most of them) its first paragraph, as plain text cut at a word.

Patterns that read the export run in linear time (google-re2): an export file
is untrusted input.
"""

from __future__ import annotations

import re2
from bs4 import BeautifulSoup
from markdownify import ATX, MarkdownConverter

_PRE = re2.compile(r"(?is)(<pre\b.*?</pre>)")
_PARAGRAPH_BREAK = re2.compile(r"\n[ \t]*\n")
_BLOCK_START = re2.compile(
    r"(?i)^\s*<(?:p|div|h[1-6]|ul|ol|li|dl|table|thead|tbody|tr|td|th|blockquote|pre|figure|"
    r"hr|section|article|aside|header|footer|address|form|fieldset|iframe|video|audio)\b"
)
_CAPTION = re2.compile(r"(?is)\[caption\b[^\]]*\](.*?)\[/caption\]")
_IMAGE = re2.compile(r"(?is)^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$")
_BLANK_LINES = re2.compile(r"\n{3,}")
_LEADING_MARK = re2.compile(r"^(\s*)(\d{1,9}[.)]|[#>+-])")
#: A summary derived from a post's text is cut at a word to at most this many characters.
SUMMARY_LENGTH = 200
#: Blocks whose text is no summary: a summary is the post's own prose.
_NOT_PROSE = ("figure", "figcaption", "pre", "table", "blockquote", "script", "style")


def _captions(html: str) -> str:
    def figure(match: re2._Match) -> str:
        inner = match.group(1)
        parts = _IMAGE.match(inner)
        if parts is None:
            return inner
        return f"<figure>{parts.group(1)}<figcaption>{parts.group(2).strip()}</figcaption></figure>"

    return _CAPTION.sub(figure, html)


def auto_paragraphs(html: str) -> str:
    """WordPress's auto-paragraphs made explicit: blank lines → ``<p>``, newlines → ``<br>``."""
    pieces = _PRE.split(html)
    out = []
    for index, piece in enumerate(pieces):
        if index % 2 == 1:  # a <pre> block keeps its lines as they are
            out.append(piece)
            continue
        for chunk in _PARAGRAPH_BREAK.split(piece.replace("\r\n", "\n")):
            chunk = chunk.strip()
            if not chunk:
                continue
            if _BLOCK_START.search(chunk):
                out.append(chunk)
            else:
                out.append("<p>" + chunk.replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


class _Converter(MarkdownConverter):
    """markdownify with table pipes escaped and captioned figures as titled images."""

    def convert_td(self, el, text, parent_tags):
        return super().convert_td(el, text.replace("|", r"\|"), parent_tags)

    def convert_th(self, el, text, parent_tags):
        return super().convert_th(el, text.replace("|", r"\|"), parent_tags)

    def convert_figure(self, el, text, parent_tags):
        image, caption = el.find("img"), el.find("figcaption")
        if image is None or caption is None:
            return text
        title = " ".join(caption.get_text(" ").split()).replace('"', r"\"")
        alt = " ".join((image.get("alt") or "").split()).replace("]", r"\]")
        source = (image.get("src") or "").replace(" ", "%20")
        return f'\n\n![{alt}]({source} "{title}")\n\n'


_CONVERTER = _Converter(heading_style=ATX, bullets="-", escape_underscores=False)


def html_to_markdown(html: str, *, paragraphs: bool = True) -> str:
    """Markdown for ``html``; ``paragraphs`` applies WordPress's auto-paragraphs first."""
    html = _captions(html or "")
    if paragraphs:
        html = auto_paragraphs(html)
    soup = BeautifulSoup(html, "html.parser")
    for unwanted in soup.find_all(["script", "style"]):
        unwanted.decompose()
    markdown = _CONVERTER.convert_soup(soup)
    return _BLANK_LINES.sub("\n\n", markdown).strip()


def html_to_text(html: str) -> str:
    """The text of ``html`` on one line (for a summary)."""
    return " ".join(BeautifulSoup(html or "", "html.parser").get_text(" ").split())


def _markdown_safe(text: str) -> str:
    """Plain ``text`` that Pelican's Markdown reader of a ``Summary:`` shows as it is."""
    text = text.replace("\\", "\\\\").replace("&", "&amp;").replace("<", "&lt;")
    for char in "`*_[]":
        text = text.replace(char, "\\" + char)
    # What starts a block when it starts the text: a heading, a quote, a list, a rule.
    if mark := _LEADING_MARK.match(text):
        spaces, sign = mark.groups()
        text = f"{spaces}{sign[:-1]}\\{sign[-1]}{text[mark.end() :]}"
    return text


def _shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "\u2026"


def summary_text(excerpt: str, html: str, limit: int = SUMMARY_LENGTH) -> str:
    """A post's summary, one line of Markdown that reads as plain text: its
    ``excerpt`` when it has one, else the first paragraph of its ``html`` (prose, not
    a caption, table, code or quotation), cut at a word to ``limit`` characters with
    an ellipsis. Empty only for a post without any text."""
    text = html_to_text(excerpt)
    if not text:
        soup = BeautifulSoup(auto_paragraphs(_captions(html or "")), "html.parser")
        for unwanted in soup.find_all(_NOT_PROSE):
            unwanted.decompose()
        paragraphs = (" ".join(p.get_text(" ").split()) for p in soup.find_all("p"))
        text = next((p for p in paragraphs if p), "") or " ".join(soup.get_text(" ").split())
        text = _shortened(text, limit)
    return _markdown_safe(text)
