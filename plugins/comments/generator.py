"""The comments generator: Pelican constructs it at the start of every build.

Constructing it starts reading the comment files the cache does not hold (in a
forked process on a big cold build, while Pelican reads its articles). In
``generate_context`` (after the article and page generators) it attaches threads
to articles and fills ``recent_comments``, then starts writing the feeds (forked
again on a big build, while Pelican renders its pages); ``generate_output``
waits for them and writes ``comments/threads.json``.
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from comment_format.closing import site_timezone
from comment_format.files import REACTIONS
from comment_format.i18n import translations

from .background import finish_leftovers, in_background
from .errors import CommentFileError, CommentsError
from .feeds import FeedCache, FeedWriter, plain_title
from .incremental import Incremental, digest
from .index import write_thread_index
from .loader import BACKGROUND_MIN_FILES, CommentLoader
from .reader import CommentRecord, FileProblem
from .threads import COMMENTS_METADATA_VALUES, Comment, build_thread, comments_open
from .timers import TIMERS

logger = logging.getLogger(__name__)

#: The plugin's own strings (feed titles), one catalogue per language.
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")


def feed_words(lang: str | None) -> Any:
    """The plugin's translations for ``lang`` (Babel ``.po``, compiled when first used)."""
    return translations(TRANSLATIONS, "comments", lang)


class CommentsGenerator:
    """Not a ``pelican.generators.Generator``: it needs neither readers nor a Jinja
    environment, and building those costs time on every build."""

    def __init__(
        self,
        context: dict[str, Any],
        settings: dict[str, Any],
        path: str,
        theme: str,
        output_path: str,
        **kwargs: Any,
    ) -> None:
        self.context = context
        self.settings = settings
        self.path = path
        self.output_path = output_path
        self.strict = settings["COMMENTS_STRICT"]
        self.timers = TIMERS
        self.timers.reset()
        self.published: list[tuple[Any, list[Comment]]] = []
        self.all_comments: list[Comment] = []
        finish_leftovers()  # of a build in this process that failed
        self.loader = CommentLoader(settings, self.timers)
        self.incremental = (
            Incremental(settings, output_path) if settings.get("COMMENTS_BUILD_STATE") else None
        )

    def __str__(self) -> str:
        return self.__class__.__name__

    # -- problems -------------------------------------------------------------

    def report(self, path: str, problem: str) -> None:
        """A bad comment file: fail the build, or warn and skip it."""
        if self.strict:
            raise CommentFileError(path, problem)
        logger.warning("Skipping comment file %s: %s", path, problem)

    # -- context --------------------------------------------------------------

    def _articles(self) -> tuple[list[Any], list[Any]]:
        """(published and hidden articles, drafts), translations included."""
        listed = list(self.context.get("articles", ())) + list(
            self.context.get("hidden_articles", ())
        )
        drafts = list(self.context.get("drafts", ()))
        listed += [t for a in listed for t in getattr(a, "translations", ()) if t not in listed]
        drafts += [t for a in drafts for t in getattr(a, "translations", ()) if t not in drafts]
        return listed, drafts

    def generate_context(self) -> None:
        results = self.loader.collect()
        files, from_cache = self.loader.files, self.loader.from_cache
        started = time.perf_counter()
        listed, drafts = self._articles()
        articles_by_slug: dict[str, list[Any]] = defaultdict(list)
        for article in chain(listed, drafts):
            articles_by_slug[article.slug].append(article)

        records_by_slug: dict[str, list[tuple[str, CommentRecord]]] = defaultdict(list)
        seen_ids: dict[str, str] = {}
        reported_folders: set[str] = set()
        for file in files:
            result = results[file.path]
            if file.slug is None:
                self.report(file.path, "comment file is not inside an article folder")
                continue
            if isinstance(result, FileProblem):
                self.report(file.path, result.problem)
                continue
            if file.slug not in articles_by_slug:
                if self.strict or file.slug not in reported_folders:
                    reported_folders.add(file.slug)
                    self.report(
                        file.path,
                        f"folder {file.slug!r} names no article (no article has that slug)",
                    )
                continue
            if result.id in seen_ids:
                self.report(
                    file.path, f"duplicate comment id {result.id!r} (also in {seen_ids[result.id]})"
                )
                continue
            seen_ids[result.id] = file.path
            records_by_slug[file.slug].append((file.path, result))

        tz = site_timezone(self.settings.get("TIMEZONE"))
        close_after = self.settings["COMMENTS_CLOSE_AFTER_DAYS"]
        max_depth = self.settings["COMMENTS_MAX_DEPTH"]
        feed_pattern = self.settings["COMMENTS_FEED_ATOM"]
        draft_ids = {id(a) for a in drafts}
        everyone: list[Comment] = []
        shown_by_url: dict[str, str] = {}
        for slug, group in articles_by_slug.items():
            original = group[0]
            thread = build_thread(
                records_by_slug.get(slug, []),
                original,
                max_depth=max_depth,
                tz=tz,
                date_format=self._date_format(original),
                report=self.report,
                avatar_service=self.settings["COMMENTS_AVATARS"],
            )
            for article in group:
                self._check_metadata(article)
                article.comments = thread.roots
                article.comments_count = len(thread.comments)
                article.comment_reactions = {
                    kind: [c for c in thread.reactions if c.mention == kind] for kind in REACTIONS
                }
                article.comments_open = comments_open(article, close_after, tz=tz)
                article.comments_feed_url = feed_pattern.format(slug=slug)
                if self.incremental is not None:
                    shown_by_url[article.url] = digest(
                        (records_by_slug.get(slug, []), article.comments_open)
                    )
            if id(original) not in draft_ids:
                self.published.append((original, thread.comments))
                # A tombstone keeps its replies' place in the thread, but is no news.
                everyone.extend(c for c in thread.comments if not c.removed)

        everyone.sort(key=lambda c: (c.date, c.id), reverse=True)
        self.all_comments = everyone
        self.context["recent_comments"] = everyone[: self.settings["COMMENTS_RECENT_COUNT"]]
        self.context["COMMENTS_ALL_FEED_ATOM"] = self.settings["COMMENTS_ALL_FEED_ATOM"]
        if self.incremental is not None:
            recent = [(c.article_url, c.id) for c in self.context["recent_comments"]]
            self.incremental.plan(
                self.context, shown_by_url, digest([(r, shown_by_url.get(r[0])) for r in recent])
            )
        self.timers.add("threads", time.perf_counter() - started)
        self.timers.counts.update(files=len(files), from_cache=from_cache, shown=len(everyone))
        # A forked child inherits the threads: nothing is pickled on the way in.
        self._feeds_written = in_background(
            self._timed_feeds, when=len(everyone) >= BACKGROUND_MIN_FILES
        )
        logger.debug(
            "comments: %d files (%d from cache), %d shown on %d articles",
            len(files),
            from_cache,
            len(everyone),
            len(self.published),
        )

    def _date_format(self, article: Any) -> str:
        date_format = getattr(article, "date_format", None) or self.settings["DEFAULT_DATE_FORMAT"]
        # Pelican allows (locale, format) tuples; the format is the part we need.
        return date_format[1] if isinstance(date_format, tuple) else date_format

    def _check_metadata(self, article: Any) -> None:
        value = str(article.metadata.get("comments", "open")).strip().lower()
        if value not in COMMENTS_METADATA_VALUES:
            problem = (
                f"{article.source_path}: 'comments: {value}' metadata must be "
                f"one of {', '.join(COMMENTS_METADATA_VALUES)}"
            )
            if self.strict:
                raise CommentsError(problem)
            logger.warning("%s; treating it as open", problem)

    # -- output ---------------------------------------------------------------

    def generate_output(self, writer: Any) -> None:
        with self.timers.measure("waiting"):
            self.timers.add("feeds", self._feeds_written())
        with self.timers.measure("index"):
            write_thread_index(self.output_path, self.published)
        self.timers.log()

    def _timed_feeds(self) -> float:
        """Write the feeds; the seconds it took (the child's timers stay in the child)."""
        started = time.perf_counter()
        self.write_feeds()
        return time.perf_counter() - started

    def write_feeds(self) -> None:
        """The per-article feeds and the site-wide feed of recent comments."""
        site_name = plain_title(self.settings.get("SITENAME", ""))
        cache = FeedCache(self.settings) if self.settings.get("CACHE_CONTENT") else None
        feeds = FeedWriter(
            self.output_path,
            self.settings.get("SITEURL", ""),
            self.settings.get("DEFAULT_LANG", "en"),
            cache,
        )
        limit = self.settings.get("FEED_MAX_ITEMS")
        site_lang = self.settings.get("DEFAULT_LANG", "en")
        for article, comments in self.published:
            newest_first = [c for c in comments[::-1] if not c.removed][:limit]
            words = feed_words(getattr(article, "lang", None) or site_lang)
            document = feeds.document(
                title=words.gettext("Comments on {title} - {site}").format(
                    title=plain_title(article.title), site=site_name
                ),
                feed_url=article.comments_feed_url,
                alternate_url=article.url,
                updated=newest_first[0].date if newest_first else article.date,
                comments=newest_first,
            )
            feeds.write(article.comments_feed_url, document)

        feed_path = self.settings["COMMENTS_ALL_FEED_ATOM"]
        # The site-wide feed is a "recent comments" feed, never the whole history.
        recent_limit = self.settings["COMMENTS_ALL_FEED_MAX_ITEMS"]
        if limit:
            recent_limit = min(limit, recent_limit)
        newest = self.all_comments[:recent_limit]
        if newest:
            updated = newest[0].date
        elif self.published:
            updated = max(article.date for article, _ in self.published)
        else:
            updated = datetime.now(UTC)
        document = feeds.document(
            title=feed_words(site_lang).gettext("Comments - {site}").format(site=site_name),
            feed_url=feed_path,
            alternate_url="",
            updated=updated,
            comments=newest,
        )
        feeds.write(feed_path, document)
        if cache is not None:
            cache.save()
            logger.debug("comments: %d feeds reused, %d made", cache.reused, cache.made)
