"""Build comment threads from parsed records and decide whether articles are open.

Problems found here (a folder naming no article, a duplicate id, a ``reply_to``
naming a missing comment) are handed to a ``report`` callback that either raises
(strict) or logs a warning and lets the comment be skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple

from markupsafe import Markup

from comment_format.avatars import identicon_svg, service_url
from comment_format.closing import METADATA_VALUES as COMMENTS_METADATA_VALUES
from comment_format.closing import comments_open as is_open
from comment_format.files import REACTIONS

from .reader import APPROVED, CommentRecord

__all__ = ["COMMENTS_METADATA_VALUES", "Comment", "Thread", "build_thread", "comments_open"]

logger = logging.getLogger(__name__)

Report = Callable[[str, str], None]


class Comment:
    """One approved comment, as templates see it."""

    __slots__ = (
        "_date_format",
        "_locale_date",
        "anchor",
        "article",
        "article_url",
        "author",
        "author_url",
        "avatar",
        "avatar_url",
        "content",
        "date",
        "depth",
        "edited",
        "id",
        "mention",
        "removed",
        "removed_by",
        "replies",
        "reply_to",
        "source",
        "source_path",
        "url",
    )

    def __init__(
        self,
        record: CommentRecord,
        article: Any,
        article_url: str,
        source_path: str,
        tz: tzinfo | None,
        date_format: str,
        avatar_service: str = "identicon",
    ) -> None:
        self.id = record.id
        self.author = Markup(record.author)
        self.author_url = record.author_url
        self.avatar = record.avatar
        self.avatar_url = (
            service_url(avatar_service, record.email_hash) if record.email_hash else None
        )
        self.removed = record.removed
        self.removed_by = record.removed_by
        self.source = record.source
        self.mention = record.mention
        self.date = record.date.astimezone(tz) if tz is not None else record.date
        self._date_format = date_format
        self._locale_date: str | None = None
        self.edited = record.edited
        self.content = Markup(record.html or "")
        self.replies: list[Comment] = []
        self.depth = 0
        self.reply_to = record.reply_to
        self.anchor = f"comment-{record.id}"
        # ``article.url`` is recomputed on every access; the caller passes it once.
        self.article_url = article_url
        self.url = f"{article_url}#{self.anchor}"
        self.article = article
        self.source_path = source_path

    def __repr__(self) -> str:
        return f"<Comment {self.id} on {getattr(self.article, 'slug', '?')}>"

    @property
    def locale_date(self) -> str:
        """The date in the article's date format (``strftime``), made when a template
        first asks for it: the project's theme shows ``date|local_datetime`` instead."""
        if self._locale_date is None:
            self._locale_date = self.date.strftime(self._date_format)
        return self._locale_date

    @property
    def avatar_svg(self) -> Markup | None:
        """The identicon, drawn at build time when a template asks for it (no request
        to anyone when the page is read; a theme that shows none pays nothing)."""
        return Markup(identicon_svg(self.avatar)) if self.avatar else None


def _sort_key(comment: Comment) -> tuple[datetime, str]:
    return (comment.date, comment.id)


class Thread(NamedTuple):
    roots: list[Comment]  # top-level comments, oldest first, replies nested
    comments: list[Comment]  # every comment of the thread, oldest first
    #: Likes and reposts (Webmentions without text of their own), oldest first.
    reactions: list[Comment] = []


def build_thread(
    records: list[tuple[str, CommentRecord]],
    article: Any,
    *,
    max_depth: int,
    tz: tzinfo | None,
    date_format: str,
    report: Report,
    avatar_service: str = "identicon",
) -> Thread:
    """The comments of one article: top level oldest first, replies nested.

    A reply deeper than ``max_depth`` levels is attached next to its parent at
    the deepest level allowed, so nothing is lost and order stays by date.
    """
    by_id: dict[str, tuple[str, CommentRecord]] = {}
    not_approved: set[str] = set()
    article_url = article.url
    reactions: list[Comment] = []
    for path, record in records:
        if record.status != APPROVED:
            not_approved.add(record.id)
        elif record.mention in REACTIONS:
            reactions.append(
                Comment(record, article, article_url, path, tz, date_format, avatar_service)
            )
        else:
            by_id[record.id] = (path, record)

    placed: dict[str, Comment] = {}
    # Where each comment hangs: the comment whose replies hold it (None = top level).
    # It differs from the true parent once the depth limit is reached.
    containers: dict[str, Comment | None] = {}
    skipped: set[str] = set()
    roots: list[Comment] = []

    def attach(comment_id: str, container: Comment | None) -> Comment:
        path, record = by_id[comment_id]
        # Past the depth limit, hang the reply beside its parent instead.
        while container is not None and container.depth + 1 >= max_depth:
            container = containers[container.id]
        comment = Comment(record, article, article_url, path, tz, date_format, avatar_service)
        if container is None:
            roots.append(comment)
        else:
            comment.depth = container.depth + 1
            container.replies.append(comment)
        placed[comment_id] = comment
        containers[comment_id] = container
        return comment

    def place(comment_id: str) -> None:
        """Place a comment and any unplaced ancestors, walking up iteratively (a
        long argument in replies must not hit Python's recursion limit)."""
        pending: list[str] = []  # unplaced comments, the nearest first
        container: Comment | None = None
        problem = quiet = False
        current = comment_id
        while True:
            if current in placed:
                container = placed[current]
                break
            if current in skipped:
                problem = True
                break
            if current in pending:
                closing = pending.pop()
                report(by_id[closing][0], f"reply_to {current!r} makes a loop of replies")
                skipped.add(closing)
                problem = True
                break
            pending.append(current)
            path, record = by_id[current]
            parent_id = record.reply_to
            if parent_id is None:
                break
            if parent_id in not_approved:
                logger.debug("%s replies to a comment that is not approved; not shown", path)
                skipped.add(pending.pop())
                problem = quiet = True
                break
            if parent_id not in by_id:
                report(path, f"reply_to {parent_id!r} names a comment that does not exist")
                skipped.add(pending.pop())
                problem = True
                break
            current = parent_id

        for pending_id in reversed(pending):
            if problem:
                path, record = by_id[pending_id]
                logger.log(
                    logging.DEBUG if quiet else logging.WARNING,
                    "Skipping comment file %s: its parent comment %r was skipped",
                    path,
                    record.reply_to,
                )
                skipped.add(pending_id)
            else:
                container = attach(pending_id, container)

    for comment_id in by_id:
        place(comment_id)

    roots.sort(key=_sort_key)
    for comment in placed.values():
        if len(comment.replies) > 1:
            comment.replies.sort(key=_sort_key)
    reactions.sort(key=_sort_key)
    return Thread(roots, sorted(placed.values(), key=_sort_key), reactions)


def comments_open(
    article: Any, close_after_days: float, *, tz: tzinfo | None = None, now: datetime | None = None
) -> bool:
    """False when the article says ``comments: closed``, is a draft or is too old."""
    return is_open(
        metadata=article.metadata.get("comments", "open"),
        status=getattr(article, "status", "published"),
        date=article.date,
        close_after_days=close_after_days,
        timezone=tz or UTC,
        now=now,
    )
