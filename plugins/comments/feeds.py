"""Atom feeds of comments: one per article and one for the whole site.

Over a thousand small feeds are written per build, so this is a direct
serialiser rather than feedgenerator; the tests parse every feed as XML.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from markupsafe import Markup

from .threads import Comment

ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 forbids; a comment may still contain them.
_XML_ILLEGAL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return escape(_XML_ILLEGAL_RE.sub("", value))


def _attr(value: str) -> str:
    return quoteattr(_XML_ILLEGAL_RE.sub("", value))


def plain_title(title: Any) -> str:
    """An article title (which may hold markup or entities) as plain text."""
    return Markup(str(title)).striptags()


class ArticleContext(NamedTuple):
    title: str
    escaped_title: str
    escaped_link: str
    escaped_id: str


class FeedWriter:
    """Writes Atom documents under ``output_path`` with links based on ``site_url``.

    Each comment's ``<entry>`` is built once and reused by both feeds it is in.
    """

    def __init__(self, output_path: str, site_url: str, lang: str) -> None:
        self.output_path = output_path
        self.site_url = site_url.rstrip("/")
        self.lang = lang
        self._entries: dict[int, str] = {}
        self._made_dirs: set[str] = set()

    def absolute(self, url: str) -> str:
        """``url`` (relative to the site root) as the feed should link it."""
        if self.site_url:
            return f"{self.site_url}/{url}"
        return url if url.startswith("/") else f"/{url}"

    def _id(self, url: str) -> str:
        # Atom ids must be absolute IRIs; without SITEURL a name-based UUID is stable.
        if self.site_url:
            return f"{self.site_url}/{url}"
        return uuid.uuid5(uuid.NAMESPACE_URL, f"comments:/{url}").urn

    def article_context(self, article: Any, article_url: str) -> ArticleContext:
        """What every entry of one article shares, escaped once."""
        title = plain_title(article.title)
        return ArticleContext(
            title=title,
            escaped_title=_text(title),
            escaped_link=_text(self.absolute(article_url)),
            escaped_id=_text(self._id(article_url)),
        )

    def entry(self, comment: Comment, article: ArticleContext) -> str:
        """The ``<entry>`` element of ``comment`` (built once, then reused).

        The reader already removed control characters, the author is escaped
        markup (valid XML text too) and ids are letters, digits and hyphens, so
        only the body needs escaping here.
        """
        cached = self._entries.get(id(comment))
        if cached is not None:
            return cached
        uri = f"<uri>{_text(comment.author_url)}</uri>" if comment.author_url else ""
        date = comment.date.isoformat()
        anchor = comment.anchor
        entry = (
            f"<entry><title>{comment.author} on {article.escaped_title}</title>"
            f'<link href="{article.escaped_link}#{anchor}" rel="alternate"/>'
            f"<id>{article.escaped_id}#{anchor}</id>"
            f"<published>{date}</published><updated>{date}</updated>"
            f"<author><name>{comment.author}</name>{uri}</author>"
            f'<content type="html">{escape(str(comment.content))}</content>'
            "</entry>\n"
        )
        self._entries[id(comment)] = entry
        return entry

    def render(
        self,
        *,
        title: str,
        feed_url: str,
        alternate_url: str,
        updated: datetime,
        entries: Iterable[str],
    ) -> str:
        """The Atom document around ``entries`` (newest first)."""
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="{ATOM_NS}" xml:lang={_attr(self.lang)}>'
            f"<title>{_text(title)}</title>"
            f'<link href={_attr(self.absolute(alternate_url))} rel="alternate"/>'
            f'<link href={_attr(self.absolute(feed_url))} rel="self"/>'
            f"<id>{_text(self._id(feed_url))}</id>"
            f"<updated>{updated.isoformat()}</updated>\n"
            f"{''.join(entries)}</feed>\n"
        )

    def write(self, path: str, document: str) -> str:
        """Write ``document`` to ``path`` unless the file already holds exactly it:
        most feeds are unchanged between builds, and rewriting a thousand files
        costs more than comparing them (it also keeps their mtime for rsync)."""
        target = os.path.join(self.output_path, path)
        data = document.encode("utf-8")
        try:
            with open(target, "rb") as handle:
                if handle.read(len(data) + 1) == data:
                    return target
        except OSError:
            folder = os.path.dirname(target)
            if folder not in self._made_dirs:
                os.makedirs(folder, exist_ok=True)
                self._made_dirs.add(folder)
        # Write beside it and rename: a build killed half-way (the feeds are written
        # in a child process) leaves the old feed or the new one, never half of one.
        temporary = f"{target}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
        return target
