"""``sitemap.xml`` from the pelican-sitemap plugin, with absolute addresses everywhere.

pelican-sitemap writes ``SITEURL`` + path, which is a bare path in the development
build (``SITEURL = ""``); search engines require absolute ``<loc>``s. This subclass
writes with ``CANONICAL_SITEURL`` instead and starts every build with an empty queue,
so a build that failed half-way cannot leave its pages in the next one's sitemap.
Drafts and hidden pages are left out by the plugin itself (their status is not
``published``); ``SITEMAP["exclude"]`` drops the rest (404, search, share pages).

The plugin dates a listing page (the home page, categories, tags, authors, the
archives) with the time of the build, so every build wrote another sitemap and a
publish with nothing new changed a file on the site (a commit, with a git target).
Here a listing page's ``<lastmod>`` is the newest date of what it lists: its
articles (their ``Modified:`` or ``Date:``) and the comments shown on them, and on
the home page the site-wide "recent comments" too. A page without a ``Date:`` (an
about page) is dated by the last change of its source file, where the plugin would
take the build time as well. The same content gives the same sitemap.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.request import pathname2url

from pelican.plugins.sitemap.sitemap import SitemapGenerator

logger = logging.getLogger(__name__)


class Listing:
    """A listing page in the queue: the plugin reads ``url`` and ``modified`` from it."""

    def __init__(self, path: str, modified: datetime | None) -> None:
        self.path = path
        self.url = ""  # set once the output folder is known (_write_out)
        self.modified = modified


def _comment_dates(comments: Iterable[Any]) -> Iterator[datetime]:
    for comment in comments:
        yield comment.date
        if getattr(comment, "edited", None) is not None:
            yield comment.edited
        yield from _comment_dates(getattr(comment, "replies", ()))


def _dates(item: Any) -> Iterator[datetime]:
    for name in ("modified", "date"):
        if isinstance(getattr(item, name, None), datetime):
            yield getattr(item, name)
    yield from _comment_dates(getattr(item, "comments", None) or ())


def _undated_with_source_time(obj: Any) -> Any:
    """``obj`` itself, or for a page with no date a copy dated by its source file."""
    if getattr(obj, "modified", None) or getattr(obj, "date", None):
        return obj
    try:
        stamp = os.stat(obj.source_path).st_mtime
    except (AttributeError, TypeError, OSError):
        return obj
    dated = copy.copy(obj)  # the page itself is left as the build knows it
    dated.modified = datetime.fromtimestamp(int(stamp), UTC)
    return dated


def listing_lastmod(context: Mapping[str, Any]) -> datetime | None:
    """The newest date of what a listing page shows, or None when it shows nothing dated."""
    pages = [
        value.object_list
        for key, value in context.items()
        if key.endswith("_page") and hasattr(value, "object_list")
    ]
    shown = [item for page in pages for item in page] if pages else []
    if not shown:
        shown = list(context.get("articles") or context.get("dates") or ())
    dates = [date for item in shown for date in _dates(item)]
    if context.get("page_name") == "index":  # the home page shows the recent comments
        dates += [comment.date for comment in context.get("recent_comments") or ()]
    return max(dates, default=None)


class AbsoluteSitemap(SitemapGenerator):
    def init(self, pelican: Any) -> None:
        self.page_queue = []
        self._main_pelican = pelican

    def queue_page(self, path: str, context: dict[str, Any]) -> None:
        obj = context.get("article") or context.get("page")
        if obj is None:
            obj = Listing(path, listing_lastmod(context))
        else:
            obj = _undated_with_source_time(obj)
        self.page_queue.append((path, obj))

    def _write_out(self, pelican: Any) -> None:
        for path, obj in self.page_queue:
            if isinstance(obj, Listing):
                obj.url = pathname2url(os.path.relpath(path, pelican.output_path))
        settings = {**pelican.settings, "SITEURL": pelican.settings["CANONICAL_SITEURL"]}
        super()._write_out(SimpleNamespace(output_path=pelican.output_path, settings=settings))
