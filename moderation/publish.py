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
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .articles import load_articles
from .errors import UnknownComment
from .models import Comment, State
from .settings import Settings
from .store import Store

logger = logging.getLogger(__name__)

FILE_MODE = 0o644
REMOVED_AUTHOR = "[removed]"
REMOVED_BODY = "This comment was removed at its author's request."

_SPACE = re.compile(r"\s+")
_REPLY_TO_LINE = re.compile(r"^reply_to:\s*(\S+)\s*$")


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

    @property
    def changed(self) -> bool:
        return bool(self.written or self.removed)


def comment_path(comments_dir: Path, article: str, comment_id: str) -> Path:
    return comments_dir / article / f"{comment_id}.md"


def _one_line(text: str) -> str:
    # A metadata value must stay on its line, or it would end the header early.
    return _SPACE.sub(" ", text).strip()


def render_comment_file(
    *,
    comment_id: str,
    author: str,
    date: datetime,
    body: str,
    reply_to: str | None = None,
    author_url: str | None = None,
    avatar: str | None = None,
) -> str:
    """The text of one comment file: metadata lines, a blank line, the Markdown body."""
    lines = [
        f"id: {comment_id}",
        f"author: {_one_line(author)}",
        f"date: {date.astimezone(UTC).isoformat(timespec='seconds')}",
    ]
    if reply_to:
        lines.append(f"reply_to: {reply_to}")
    if author_url and author_url.lower().startswith(("http://", "https://")):
        lines.append(f"author_url: {_one_line(author_url)}")
    if avatar:
        lines.append(f"avatar: {avatar}")
    lines.append("status: approved")
    return "\n".join(lines) + "\n\n" + body.strip("\n") + "\n"


def comment_file_text(store: Store, comment: Comment) -> str:
    """The published form of a stored comment: no email, only its salted avatar hash."""
    return render_comment_file(
        comment_id=comment.id,
        author=comment.author,
        date=comment.received_at,
        body=comment.body,
        reply_to=comment.reply_to,
        author_url=comment.author_url,
        avatar=store.avatar_hash(comment.email),
    )


def tombstone_text(comment: Comment) -> str:
    """What stays of an erased comment that others replied to: its place in the thread."""
    return render_comment_file(
        comment_id=comment.id,
        author=REMOVED_AUTHOR,
        date=comment.received_at,
        body=REMOVED_BODY,
        reply_to=comment.reply_to,
    )


def write_atomically(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds exactly that; True if written.

    The temporary file lives in the same folder so ``os.replace`` is atomic: a
    build running at the same time sees the old file or the new one, never half.
    No fsync: the store is the record, and publishing again rewrites anything a
    power cut might have lost.
    """
    data = text.encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); a content file is an ordinary one.
        os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return True


def existing_comment_files(comments_dir: Path) -> list[Path]:
    """Every ``<slug>/<id>.md`` under ``comments_dir``."""
    if not comments_dir.is_dir():
        return []
    return sorted(comments_dir.glob("*/*.md"))


def replies_in_file_tree(comments_dir: Path, article: str) -> dict[str, set[str]]:
    """Published parent id → ids of the files replying to it, read from the files."""
    replies: dict[str, set[str]] = {}
    for path in sorted((comments_dir / article).glob("*.md")):
        try:
            header = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("cannot read comment file %s: %s", path, exc)
            continue
        for line in header.splitlines():
            match = _REPLY_TO_LINE.match(line)
            if match:
                replies.setdefault(match.group(1), set()).add(path.stem)
    return replies


def publishable(
    comments: Iterable[Comment], articles: set[str], foreign: set[tuple[str, str]]
) -> tuple[dict[str, Comment], list[tuple[str, str]]]:
    """Split approved comments into those that can be written and those that cannot.

    A reply is written only once its parent is published in the same article: a
    missing parent would make the plugin fail the build. ``foreign`` holds the
    ``(article, id)`` of comment files the store does not know (written by hand);
    they count as published parents.
    """
    pending: dict[str, Comment] = {}
    skipped: list[tuple[str, str]] = []
    for comment in comments:
        if comment.article in articles:
            pending[comment.id] = comment
        else:
            skipped.append((comment.id, f"article {comment.article!r} does not exist"))
    ready: dict[str, Comment] = {}

    def parent_published(comment: Comment) -> bool:
        parent = comment.reply_to
        if parent is None or (comment.article, parent) in foreign:
            return True
        return parent in ready and ready[parent].article == comment.article

    # Parents first: keep resolving until a pass makes no progress (threads are shallow).
    progress = True
    while pending and progress:
        progress = False
        for comment in list(pending.values()):
            if parent_published(comment):
                ready[comment.id] = pending.pop(comment.id)
                progress = True
    for comment in pending.values():
        skipped.append((comment.id, f"waiting: its parent {comment.reply_to} is not published"))
    return ready, skipped


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
    # list_comments leaves out training examples: they are never anyone's comment.
    approved = store.list_comments(status=State.APPROVED)
    state_of = {c.id: State.APPROVED for c in approved}
    # The other files are few (comments unpublished since, or written by hand): look
    # each one up rather than load every stored comment.
    for path in files:
        if path.stem not in state_of:
            with contextlib.suppress(UnknownComment):
                state_of[path.stem] = store.get(path.stem).status
    foreign = {(path.parent.name, path.stem) for path in files if path.stem not in state_of}
    ready, report.skipped = publishable(approved, articles, foreign)

    wanted = set()
    for comment in ready.values():
        path = comment_path(comments_dir, comment.article, comment.id)
        wanted.add(path)
        if write_atomically(path, comment_file_text(store, comment)):
            report.written.append(path)
            logger.info("published %s", path)
        else:
            report.unchanged.append(path)

    for path in files:
        if path.stem in state_of and path not in wanted:
            path.unlink(missing_ok=True)
            report.removed.append(path)
            logger.info("removed %s (comment is %s)", path, state_of[path.stem])
            remove_if_empty(path.parent)
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
    from .privacy import apply_retention  # privacy builds on this module's file helpers

    hashed = apply_retention(store, settings, now=now)
    report = publish(store, settings, content_dir)
    report.retention_hashed = hashed
    return report


def remove_if_empty(folder: Path) -> None:
    # rmdir refuses a folder that still holds files, which is exactly the test we want.
    with contextlib.suppress(OSError):
        folder.rmdir()
