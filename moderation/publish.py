"""Publishing: approved comments become files in ``content/comments/<slug>/<id>.md``.

The files follow the contract the comments plugin reads (see README, "The comment
file format"). Publishing is idempotent and only ever touches files it knows: a
file is written when its text changed, and removed when the store holds that
comment but it is no longer publishable. Hand-written comment files (ids the store
has never seen) are left alone, and count as published parents for replies.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from comment_format.avatars import email_hash
from comment_format.files import comment_file_text

from .articles import load_articles
from .comment_files import (
    comment_path,
    existing_comment_files,
    remove_file,
    replies_in_files,
    tombstone_text,
    tombstones_needed,
    write_atomically,
)
from .errors import UnknownComment
from .models import Comment, Origin, State
from .notify import on_published
from .privacy import apply_retention
from .settings import Settings
from .store import Mention, Store

logger = logging.getLogger(__name__)


@dataclass
class PublishReport:
    """What :func:`publish` did. Paths are absolute; ``skipped`` pairs an id with why."""

    comments_dir: Path
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    #: How many comments had their IP and user agent replaced by keyed hashes
    #: (retention) just before publishing; set by :func:`publish_approved`.
    retention_hashed: int = 0
    #: Reply emails queued for readers who asked to hear about replies (issue 11).
    notifications_queued: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)

    def summary(self) -> str:
        return (
            f"{self.comments_dir}: {len(self.written)} written, {len(self.unchanged)} "
            f"unchanged, {len(self.removed)} removed, {len(self.skipped)} skipped"
        )

    def lines(self) -> list[str]:
        """Every file written or removed and every comment skipped, one line each."""
        lines = [f"wrote {path}" for path in self.written]
        lines += [f"removed {path}" for path in self.removed]
        lines += [f"skipped {comment_id}: {why}" for comment_id, why in self.skipped]
        if self.notifications_queued:
            lines.append(
                f"queued {self.notifications_queued} reply notification(s) for `moderation notify`"
            )
        return lines


def published_text(
    store: Store,
    comment: Comment,
    settings: Settings | None = None,
    mention: Mention | None = None,
) -> str:
    """The published form of a stored comment: no email, only its keyed avatar hash.

    Only a commenter who ticked "show my picture" while the site offers Libravatar or
    Gravatar (``COMMENTS_AVATARS``) gets the SHA-256 of their email published, which
    those services look pictures up by. A Webmention carries its source and kind, and
    an identicon drawn from a keyed hash of its author's address.
    """
    assert comment.id is not None  # stored
    service = settings["COMMENTS_AVATARS"] if settings is not None else "identicon"
    hosted = service != "identicon" and comment.avatar_opt_in and comment.email
    avatar = store.keys.avatar_hash(comment.email)
    if avatar is None and mention is not None:
        avatar = store.keys.keyed_hash("avatar-web", comment.author_url or mention.source, 16)
    return comment_file_text(
        comment_id=comment.id,
        author=comment.author,
        date=comment.received_at,
        body=comment.body,
        reply_to=comment.reply_to,
        author_url=comment.author_url,
        avatar=avatar,
        edited=comment.edited_at,
        email_hash=email_hash(comment.email) if hosted and comment.email else None,
        source=mention.source if mention is not None else None,
        mention=mention.kind if mention is not None else None,
    )


def publishable(
    comments: Iterable[Comment],
    articles: set[str],
    foreign: set[tuple[str, str]],
    placeholders: Mapping[str, Comment] | None = None,
) -> tuple[dict[str, Comment], dict[str, Comment], list[tuple[str, str]]]:
    """Split approved comments into those that can be written and those that cannot.

    A reply is written only once its parent is published in the same article: a
    missing parent would make the plugin fail the build. ``foreign`` holds the
    ``(article, id)`` of comment files the store does not know (written by hand);
    they count as published parents. ``placeholders`` are withdrawn comments that
    may stay as tombstones: one counts as a published parent when its own place is
    there (its parent is published, or it has none). Returns the comments ready to
    write, the placeholders that can stand, and what was skipped with why.
    """
    pending: dict[str, Comment] = {}
    skipped: list[tuple[str, str]] = []
    for comment in comments:
        if comment.article in articles:
            pending[comment.id] = comment
        else:
            skipped.append((comment.id, f"article {comment.article!r} does not exist"))
    waiting = {i: c for i, c in (placeholders or {}).items() if c.article in articles}
    ready: dict[str, Comment] = {}
    standing: dict[str, Comment] = {}

    def parent_published(comment: Comment) -> bool:
        parent = comment.reply_to
        if parent is None or (comment.article, parent) in foreign:
            return True
        placed = ready.get(parent) or standing.get(parent)
        return placed is not None and placed.article == comment.article

    # Parents first: keep resolving until a pass makes no progress (threads are shallow).
    progress = True
    while (pending or waiting) and progress:
        progress = False
        for source, placed in ((pending, ready), (waiting, standing)):
            for comment in list(source.values()):
                if parent_published(comment):
                    placed[comment.id] = source.pop(comment.id)
                    progress = True
    for comment in pending.values():
        skipped.append((comment.id, f"waiting: its parent {comment.reply_to} is not published"))
    return ready, standing, skipped


def _tombstones(
    ready: dict[str, Comment], foreign_files: list[Path], standing: dict[str, Comment]
) -> set[str]:
    """The withdrawn comments that replies staying on the site hang from."""
    children: dict[str, set[str]] = {}
    for comment in ready.values():
        if comment.reply_to:
            children.setdefault(comment.reply_to, set()).add(comment.id)
    replies_in_files(foreign_files, children)
    for comment_id, comment in standing.items():
        if comment.reply_to:
            children.setdefault(comment.reply_to, set()).add(comment_id)
    return tombstones_needed(set(standing), children)


def _removed_parents(
    store: Store, approved: Iterable[Comment], known: Mapping[str, State]
) -> dict[str, Comment]:
    """Comments that may stay as tombstones above approved replies, up the thread,
    that publishing has not met yet: a comment deleted on the blog's old system
    (WordPress, Disqus) while its replies stayed live there is imported rejected, and
    was never written here (and, before migration 8, withdrawn ones like it)."""
    found: dict[str, Comment] = {}
    wanted = {c.reply_to for c in approved if c.reply_to}
    while wanted:
        parent_id = wanted.pop()
        if parent_id in found or parent_id in known:
            continue
        try:
            parent = store.comments.get(parent_id)
        except UnknownComment:
            continue
        if parent.withdrawn_at is not None or store.decisions.removed_on_old_system([parent_id]):
            found[parent_id] = parent
            if parent.reply_to:
                wanted.add(parent.reply_to)
    return found


def publish(
    store: Store, settings: Settings, content_dir: str | Path | None = None
) -> PublishReport:
    """Bring the comment files in line with the store's approved comments.

    ``content_dir`` replaces the settings' ``PATH`` (articles are read from it too).
    """
    if content_dir is not None:
        settings = settings.with_overrides(PATH=str(Path(content_dir).resolve()))
    comments_dir = settings.comments_dir.resolve()
    report = PublishReport(comments_dir=comments_dir)
    articles = set(load_articles(settings))
    files = existing_comment_files(comments_dir)
    approved = store.comments.list(status=State.APPROVED)
    state_of = {c.id: State.APPROVED for c in approved}
    # A comment its author withdrew is never published again, whatever its state.
    withdrawn = {c.id: c for c in approved if c.withdrawn_at is not None}
    approved = [c for c in approved if c.withdrawn_at is None]
    # The other files are few (comments unpublished since, or written by hand): look
    # each one up rather than load every stored comment.
    rejected: dict[str, Comment] = {}
    for path in files:
        if path.stem not in state_of:
            with contextlib.suppress(UnknownComment):
                stored = store.comments.get(path.stem)
                state_of[path.stem] = stored.status
                if stored.withdrawn_at is not None:
                    withdrawn[stored.id] = stored
                elif stored.status is State.REJECTED:
                    rejected[stored.id] = stored
    # Deleted on the blog's old system while its replies stayed: its tombstone stays
    # like a withdrawn comment's, as long as that rejection stands.
    for comment_id in store.decisions.removed_on_old_system(rejected):
        withdrawn[comment_id] = rejected[comment_id]
    foreign_files = [path for path in files if path.stem not in state_of]
    foreign = {(path.parent.name, path.stem) for path in foreign_files}
    # A withdrawn (or, on the old system, deleted) comment may stay as a tombstone, so
    # its replies can be written as if it were there: one that was published, or one
    # deleted on the old system while its replies stayed; which ones stay is decided below.
    on_disk = {(p.parent.name, p.stem) for p in files}
    placeholders = {i: c for i, c in withdrawn.items() if (c.article, i) in on_disk}
    placeholders.update(_removed_parents(store, approved, state_of))
    ready, standing, report.skipped = publishable(approved, articles, foreign, placeholders)
    mentions = store.mentions.of_comments(
        [c.id for c in ready.values() if c.origin is Origin.WEBMENTION]
    )

    wanted = set()
    for comment in ready.values():
        path = comment_path(comments_dir, comment.article, comment.id)
        wanted.add(path)
        text = published_text(store, comment, settings, mentions.get(comment.id))
        if write_atomically(path, text):
            report.written.append(path)
            logger.info("published %s", path)
        else:
            report.unchanged.append(path)

    for comment_id in _tombstones(ready, foreign_files, standing):
        comment = standing[comment_id]
        path = comment_path(comments_dir, comment.article, comment_id)
        wanted.add(path)
        by_author = comment.withdrawn_at is not None
        if write_atomically(path, tombstone_text(comment, by_author=by_author)):
            report.written.append(path)
            logger.info("removed %s: a tombstone stays for its replies", path)
        else:
            report.unchanged.append(path)

    for path in files:
        if path.stem in state_of and path not in wanted:
            remove_file(path)
            report.removed.append(path)
            logger.info("removed %s (comment is %s)", path, state_of[path.stem])
    # Issue 11: replies now on the site are mailed to their thread's subscribers
    # (each reply once, recorded with the messages it queues).
    report.notifications_queued = on_published(store, settings, ready.values())
    return report


def publish_approved(
    store: Store,
    settings: Settings,
    content_dir: str | Path | None = None,
    *,
    now: datetime | None = None,
) -> PublishReport:
    """What the moderator's "publish" does (CLI and review UI): retention, then :func:`publish`.

    Publishing is the routine step a moderator takes, so it is where old request
    context (IP, user agent) gets hashed even when nothing is screened for weeks.
    """
    hashed = apply_retention(store, settings, now=now)
    report = publish(store, settings, content_dir)
    report.retention_hashed = hashed
    return report
