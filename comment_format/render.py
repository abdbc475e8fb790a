"""Turn a comment body into safe HTML: CommonMark through cmark, then the nh3 allowlist.

cmark (the C reference parser, through ``cmarkgfm``) is linear in its input, so no
body can make a build or a preview slow, however it nests its lists, quotes or
brackets. Raw HTML is never interpreted: every ``<`` that does not open an
autolink reaches cmark as a placeholder it cannot parse, and comes back as
``&lt;``, so ``<script>`` in a comment shows as text (inside code too) instead of
vanishing. Images become links to the image. nh3 then applies a small allowlist,
so whatever cmark emits is checked a second time.

A body must also stay within :data:`MAX_NESTING` levels of quotes and lists and
:data:`MAX_HTML_CHARS` of output: :func:`render_problem` says when it does not,
and the intake refuses it, so the plugin never meets one it could not show.
"""

from __future__ import annotations

import re
import time

import cmarkgfm
import nh3
import re2
from cmarkgfm.cmark import Options
from markupsafe import Markup, escape

from .i18n import Message

ALLOWED_TAGS = frozenset(
    {"p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

#: Quotes and lists nested deeper than this are refused: nobody writes them, and
#: a browser (or html5ever in nh3) slows down on thousands of levels.
MAX_NESTING = 16
#: Rendered HTML longer than this is refused (link references can multiply text).
MAX_HTML_CHARS = 200_000
#: A render slower than this is a problem of the body, reported like any other.
TIME_BUDGET_SECONDS = 0.5

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

# A noncharacter: comment text never holds one (comment_format.text refuses and
# strips them), so it can stand for "<" without clashing with anything typed.
_LESS_THAN = "\ufdd0"
# CommonMark autolinks, <https://example.org> and <me@example.org>: their "<" is
# kept. Neither shape can open raw HTML (a tag name has no ":" or "@").
_AUTOLINK = re2.compile(
    r"<[A-Za-z][A-Za-z0-9.+-]{1,31}:[^\s<>]*>"
    r"|<[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*>"
)
# cmark's own output for an image; its attribute values are escaped, never hold '"'.
_IMAGE = re2.compile(r'<img src="([^"]*)" alt="([^"]*)"( title="[^"]*")? />')
_NESTING_TAG = re2.compile(r"<(/?)(?:blockquote|ul|ol)\b")
_OPTIONS = Options.CMARK_OPT_DEFAULT | Options.CMARK_OPT_VALIDATE_UTF8


class RenderProblem(ValueError):
    """A body that cannot be shown; the message says why, for the person who wrote it."""


def _guard_less_than(text: str) -> str:
    if "<" not in text:
        return text
    pieces, last = [], 0
    for match in _AUTOLINK.finditer(text):
        pieces.append(text[last : match.start()].replace("<", _LESS_THAN))
        pieces.append(match.group(0))
        last = match.end()
    pieces.append(text[last:].replace("<", _LESS_THAN))
    return "".join(pieces)


def _deepest_nesting(html: str) -> int:
    opened = html.count("<blockquote") + html.count("<ul") + html.count("<ol")
    if opened <= MAX_NESTING:
        return opened  # cannot be deeper than the number of containers (the usual case)
    depth = deepest = 0
    for match in _NESTING_TAG.finditer(html):
        if match.group(1):
            depth -= 1
        else:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def markdown_html(text: str) -> str:
    """cmark's HTML for ``text``, before the allowlist (raw HTML escaped, images as links)."""
    html = cmarkgfm.markdown_to_html(_guard_less_than(text), _OPTIONS)
    if _LESS_THAN in html:
        html = html.replace(_LESS_THAN, "&lt;")
    if "<img " in html:
        html = _IMAGE.sub(r'<a href="\1"\3>\2</a>', html)
    return html


def _shows_something(html: str) -> bool:
    """Whether cmark's ``html`` has any text or a rule to show.

    cmark escapes every ``<`` of the text, so whatever follows a ``>`` up to the
    next ``<`` is text; nh3 keeps the text of the tags it removes, so this is what
    its output would show too, without running it.
    """
    return "<hr" in html or any(part.partition(">")[2].strip() for part in html.split("<"))


def _checked_html(text: str, started: float) -> str:
    """cmark's HTML for ``text``, or :class:`RenderProblem` naming the limit it breaks."""
    html = markdown_html(text)
    if len(html) > MAX_HTML_CHARS:
        raise RenderProblem(
            Message(
                "renders to {length} characters of HTML; the limit is {limit}",
                length=len(html),
                limit=MAX_HTML_CHARS,
            )
        )
    if (depth := _deepest_nesting(html)) > MAX_NESTING:
        raise RenderProblem(
            Message(
                "nests quotes or lists {depth} levels deep; the limit is {limit}",
                depth=depth,
                limit=MAX_NESTING,
            )
        )
    if not _shows_something(html):
        # Only link reference definitions, say: a comment that would show nothing.
        raise RenderProblem(Message("shows nothing once rendered as Markdown"))
    _check_time(started)
    return html


def _check_time(started: float) -> None:
    elapsed = time.perf_counter() - started
    if elapsed > TIME_BUDGET_SECONDS:
        seconds, limit = f"{elapsed:.2f}", f"{TIME_BUDGET_SECONDS:g}"
        raise RenderProblem(
            Message(
                "took {seconds} s to render; the limit is {limit} s", seconds=seconds, limit=limit
            )
        )


def render_body(text: str) -> str:
    """Markdown → HTML → nh3: HTML safe to insert into a page.

    Raises :class:`RenderProblem` when the body is nested too deeply, renders too
    long, shows nothing or takes too long; nothing of it is shown then.
    """
    started = time.perf_counter()
    clean = sanitise(_checked_html(text, started))
    _check_time(started)
    return clean.rstrip("\n")


def render_problem(text: str) -> str | None:
    """Why ``text`` cannot be rendered, or ``None`` when it can.

    The same checks as :func:`render_body`, without the sanitiser: it only removes
    markup, so it never changes whether a body breaks a limit.
    """
    try:
        _checked_html(text, time.perf_counter())
    except RenderProblem as problem:
        return problem.args[0]  # the Message itself, which str() would flatten
    return None


def sanitise(html: str) -> str:
    """Apply the comment allowlist to an HTML fragment.

    :func:`render_body` applies it to cmark's output, which never holds raw HTML;
    the guard tests hand it raw HTML directly, so the allowlist is tested on its own.
    """
    return _CLEANER.clean(html)


_SAFE_URL = re.compile(r"^https?://[^\s\"'<>`\\]+$", re.IGNORECASE)


def safe_author_url(url: str | None) -> str | None:
    """Keep an author's URL only when it is an absolute http(s) URL with a host and
    nothing that could break out of an attribute."""
    if not url:
        return None
    url = url.strip()
    if not _SAFE_URL.match(url):
        return None
    host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if not host or host.startswith("@") or host.endswith("@"):
        return None
    return url


def escape_author(name: str) -> Markup:
    """An author name as escaped markup, ready for a template."""
    return escape(name)
