"""The comments generator: Pelican constructs it at the start of every build.

Constructing it starts reading the comment files (in worker processes when there
are many), so that work overlaps Pelican reading its articles. In
``generate_context`` (after the article and page generators) it attaches threads
to articles, fills ``recent_comments`` and starts writing the feeds and
``comments/threads.json`` in a forked child process (a thread where there is no
fork), so they are written on the other core while Pelican renders its pages;
``generate_output`` waits for it, and writes them itself if the child died.
"""

from __future__ import annotations

import functools
import gc
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import CommentFileError, CommentsError
from .feeds import FeedWriter, plain_title
from .forked import ChildDied, ForkedCall, fork_available, stop_leftovers
from .index import write_thread_index
from .loader import CommentLoader
from .reader import CommentRecord, FileProblem
from .threads import COMMENTS_METADATA_VALUES, Comment, build_thread, comments_open
from .timers import TIMERS, Timers

logger = logging.getLogger(__name__)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run without the cyclic garbage collector: building tens of thousands of
    objects otherwise triggers full collections over everything Pelican holds.
    Nothing built here is garbage until the build ends."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
        # A previous build in this process that failed midway left its child.
        stop_leftovers()
        self.published: list[Any] = []
        with paused_gc():
            self.loader = CommentLoader(settings, self.timers)

    def __str__(self) -> str:
        return self.__class__.__name__

    # -- problems -------------------------------------------------------------

    def report(self, path: str, problem: str) -> None:
        """A bad comment file: fail the build, or warn and skip it."""
        if self.strict:
            self.loader.close()
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

    def _timezone(self) -> ZoneInfo | None:
        try:
            return ZoneInfo(self.settings["TIMEZONE"])
        except (ZoneInfoNotFoundError, ValueError, KeyError):
            return None

    def generate_context(self) -> None:
        with paused_gc():
            self._generate_context()

    def _generate_context(self) -> None:
        results = self.loader.collect()
        started = time.perf_counter()
        listed, drafts = self._articles()
        articles_by_slug: dict[str, list[Any]] = defaultdict(list)
        for article in chain(listed, drafts):
            articles_by_slug[article.slug].append(article)

        records_by_slug: dict[str, list[tuple[str, CommentRecord]]] = defaultdict(list)
        seen_ids: dict[str, str] = {}
        reported_folders: set[str] = set()
        for file in self.loader.files:
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

        tz = self._timezone()
        close_after = self.settings["COMMENTS_CLOSE_AFTER_DAYS"]
        max_depth = self.settings["COMMENTS_MAX_DEPTH"]
        feed_pattern = self.settings["COMMENTS_FEED_ATOM"]
        draft_ids = {id(a) for a in drafts}
        everyone: list[Comment] = []
        for slug, group in articles_by_slug.items():
            original = group[0]
            date_format = self._date_format(original)
            thread = build_thread(
                records_by_slug.get(slug, []),
                original,
                max_depth=max_depth,
                tz=tz,
                date_format=date_format,
                report=self.report,
            )
            for article in group:
                self._check_metadata(article)
                article.comments = thread.roots
                article.comments_count = len(thread.comments)
                article.comments_open = comments_open(article, close_after)
                article.comments_feed_url = feed_pattern.format(slug=slug)
            if id(original) not in draft_ids:
                self.published.append((original, thread.comments))
                everyone.extend(thread.comments)

        everyone.sort(key=lambda c: (c.date, c.id), reverse=True)
        self.all_comments = everyone
        self.context["recent_comments"] = everyone[: self.settings["COMMENTS_RECENT_COUNT"]]
        self.context["COMMENTS_ALL_FEED_ATOM"] = self.settings["COMMENTS_ALL_FEED_ATOM"]
        self.timers.add("threads", time.perf_counter() - started)
        self._start_output()
        self.timers.counts.update(
            files=len(self.loader.files),
            from_cache=self.loader.from_cache,
            read_here=self.loader.read_here,
            shown=len(everyone),
        )
        logger.debug(
            "comments: %d files (%d from cache), %d shown on %d articles",
            len(self.loader.files),
            self.loader.from_cache,
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

    def _start_output(self) -> None:
        """Write the feeds and ``threads.json`` while Pelican renders its pages.

        A forked child runs on the other core and already holds every thread, so
        nothing is pickled on the way in. A thread is the fallback: its file
        writes overlap Pelican's work, but building the feeds competes with
        Pelican for the GIL.
        """
        if fork_available():
            try:
                call = ForkedCall(self._write_outputs, "comments output")
            except OSError as exc:
                logger.warning("comments: cannot fork (%s); writing the feeds in a thread", exc)
            else:
                self._join_output = functools.partial(self._join_child, call)
                return
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="comments-output")
        self._join_output = functools.partial(self._join_thread, executor)
        self._output_done = executor.submit(self._write_outputs)

    def _write_outputs(self) -> dict[str, float]:
        """Write every output; returns the seconds spent per step, as this may run
        in a child process whose timers the build never sees."""
        timers = Timers()
        with timers.measure("feeds"):
            self._write_feeds()
        with timers.measure("index"):
            write_thread_index(self.output_path, self.published)
        return {step: timers.seconds[step] for step in ("feeds", "index")}

    def _join_child(self, call: ForkedCall) -> dict[str, float]:
        try:
            return call.join()
        except ChildDied as exc:
            logger.warning("comments: %s; writing the feeds in this process", exc)
            return self._write_outputs()

    def _join_thread(self, executor: ThreadPoolExecutor) -> dict[str, float]:
        try:
            return self._output_done.result()
        finally:
            executor.shutdown()

    def generate_output(self, writer: Any) -> None:
        with self.timers.measure("joining"):
            try:
                seconds = self._join_output()
            except BaseException:
                self.loader.close()
                raise
        for step, spent in seconds.items():
            self.timers.add(step, spent)
        self.loader.finish()
        self.timers.log()

    def _write_feeds(self) -> None:
        site_name = plain_title(self.settings.get("SITENAME", ""))
        feeds = FeedWriter(
            self.output_path,
            self.settings.get("SITEURL", ""),
            self.settings.get("DEFAULT_LANG", "en"),
        )
        limit = self.settings.get("FEED_MAX_ITEMS")
        contexts = {}
        for article, comments in self.published:
            newest_first = comments[::-1][:limit]
            article_url = article.url
            context = contexts[id(article)] = feeds.article_context(article, article_url)
            document = feeds.render(
                title=f"Comments on {context.title} - {site_name}",
                feed_url=article.comments_feed_url,
                alternate_url=article_url,
                updated=newest_first[0].date if newest_first else article.date,
                entries=(feeds.entry(comment, context) for comment in newest_first),
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
        document = feeds.render(
            title=f"Comments - {site_name}",
            feed_url=feed_path,
            alternate_url="",
            updated=updated,
            entries=(feeds.entry(comment, contexts[id(comment.article)]) for comment in newest),
        )
        feeds.write(feed_path, document)
