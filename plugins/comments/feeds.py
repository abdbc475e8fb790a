"""Atom feeds of comments, one per article and one for the whole site, with feedgenerator.

feedgenerator is what Pelican writes its own feeds with. Replies carry
``<thr:in-reply-to>`` (RFC 4685), naming their parent's entry, so a feed reader
can show the thread.

Building a thousand Atom documents is most of what the plugin adds to a build
whose comment files all came from the cache. With Pelican's content cache on,
each document is kept (:class:`FeedCache`) with a digest of everything it was
made from, and a later build whose inputs for that feed are the same reuses it:
after a few new comments only their articles' feeds (and the site-wide one) are
made again (issue 12).
"""

from __future__ import annotations

import functools
import hashlib
import os
import uuid
from collections.abc import Iterable
from datetime import datetime
from io import StringIO
from typing import Any

from feedgenerator import Atom1Feed
from markupsafe import Markup

from .cacher import AtomicDataCacher
from .threads import Comment

THREAD_NS = "http://purl.org/syndication/thread/1.0"
#: Bump when :meth:`FeedWriter.document` changes what it writes.
FEED_CACHE_NAME = "CommentsFeeds-1"


@functools.lru_cache(maxsize=4096)
def plain_title(title: str) -> str:
    """An article title (which may hold markup or entities) as plain text."""
    return Markup(title).striptags()


class ThreadedAtomFeed(Atom1Feed):
    """Atom with the threading extension: an item may name the entry it replies to."""

    def root_attributes(self) -> dict[str, str]:
        return {**super().root_attributes(), "xmlns:thr": THREAD_NS}

    def latest_post_date(self) -> datetime:
        # An empty feed still says when it last changed: when its article did.
        if not self.items and self.feed.get("updated") is not None:
            return self.feed["updated"]
        return super().latest_post_date()

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        if item.get("in_reply_to"):
            ref, href = item["in_reply_to"]
            handler.addQuickElement(
                "thr:in-reply-to", "", {"ref": ref, "href": href, "type": "text/html"}
            )


class FeedCache:
    """Atom documents of earlier builds by feed path, each with the digest of its inputs."""

    def __init__(self, settings: Any) -> None:
        # Uncompressed, like the comment cache: gzip would cost more than it saves.
        plain = {**settings, "GZIP_CACHE": False}
        self._cacher = AtomicDataCacher(
            plain, FEED_CACHE_NAME, settings["CACHE_CONTENT"], settings["LOAD_CONTENT_CACHE"]
        )
        self.reused = 0
        self.made = 0

    def get(self, path: str, digest: str) -> str | None:
        cached = self._cacher.get_cached_data(path)
        if cached is not None and cached[0] == digest:
            self.reused += 1
            return cached[1]
        return None

    def put(self, path: str, digest: str, document: str) -> None:
        self.made += 1
        self._cacher.cache_data(path, (digest, document))

    def save(self) -> None:
        if self.made:  # nothing new: the file on disk already holds all of it
            self._cacher.save_cache()


class FeedWriter:
    """Writes Atom documents under ``output_path`` with links based on ``site_url``."""

    def __init__(
        self, output_path: str, site_url: str, lang: str, cache: FeedCache | None = None
    ) -> None:
        self.output_path = output_path
        self.site_url = site_url.rstrip("/")
        self.lang = lang
        self.cache = cache

    def absolute(self, url: str) -> str:
        """``url`` (relative to the site root) as the feed should link it."""
        if self.site_url:
            return f"{self.site_url}/{url}"
        return url if url.startswith("/") else f"/{url}"

    def entry_id(self, url: str) -> str:
        # Atom ids must be absolute IRIs; without SITEURL a name-based UUID is stable.
        if self.site_url:
            return f"{self.site_url}/{url}"
        return uuid.uuid5(uuid.NAMESPACE_URL, f"comments:/{url}").urn

    def document(
        self,
        *,
        title: str,
        feed_url: str,
        alternate_url: str,
        updated: datetime,
        comments: Iterable[Comment],
    ) -> str:
        """The Atom document of ``comments`` (newest first), from the cache when it can."""
        comments = list(comments)
        if self.cache is None:
            return self._document(title, feed_url, alternate_url, updated, comments)
        digest = self._digest(title, feed_url, alternate_url, updated, comments)
        document = self.cache.get(feed_url, digest)
        if document is None:
            document = self._document(title, feed_url, alternate_url, updated, comments)
            self.cache.put(feed_url, digest, document)
        return document

    def _digest(
        self,
        title: str,
        feed_url: str,
        alternate_url: str,
        updated: datetime,
        comments: list[Comment],
    ) -> str:
        """Everything :meth:`_document` reads, hashed: equal digests, equal documents."""
        digest = hashlib.sha256()
        for part in (FEED_CACHE_NAME, self.site_url, self.lang, title, feed_url, alternate_url):
            digest.update(f"{part}\x1f".encode())
        digest.update(updated.isoformat().encode())
        for comment in comments:
            parts = (
                comment.url,
                comment.author,
                comment.author_url or "",
                comment.content,
                comment.date.isoformat(),
                comment.edited.isoformat() if comment.edited else "",
                comment.reply_to or "",
                comment.article_url,
                comment.article.title,
            )
            digest.update("\x1e".join(map(str, ("", *parts))).encode())
        return digest.hexdigest()

    def _document(
        self,
        title: str,
        feed_url: str,
        alternate_url: str,
        updated: datetime,
        comments: list[Comment],
    ) -> str:
        feed = ThreadedAtomFeed(
            title=title,
            link=self.absolute(alternate_url),
            description="",
            language=self.lang,
            feed_url=self.absolute(feed_url),
            feed_guid=self.entry_id(feed_url),
            updated=updated,
        )
        for comment in comments:
            parent = None
            if comment.reply_to:
                parent_url = f"{comment.article_url}#comment-{comment.reply_to}"
                parent = (self.entry_id(parent_url), self.absolute(parent_url))
            feed.add_item(
                title=f"{comment.author.striptags()} on {plain_title(str(comment.article.title))}",
                link=self.absolute(comment.url),
                description=None,
                content=str(comment.content),
                author_name=comment.author.unescape(),
                author_link=comment.author_url,
                pubdate=comment.date,
                updateddate=comment.edited or comment.date,
                unique_id=self.entry_id(comment.url),
                in_reply_to=parent,
            )
        out = StringIO()
        feed.write(out, "utf-8")
        return out.getvalue()

    def write(self, path: str, document: str) -> str:
        """Write ``document`` to ``path`` unless the file already holds exactly it
        (an unchanged feed keeps its mtime, so rsync skips it), atomically."""
        target = os.path.join(self.output_path, path)
        data = document.encode("utf-8")
        try:
            with open(target, "rb") as handle:
                if handle.read(len(data) + 1) == data:
                    return target
        except OSError:
            os.makedirs(os.path.dirname(target), exist_ok=True)
        temporary = f"{target}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
        return target
