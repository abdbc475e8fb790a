"""The published comment files on disk: where they live, writing them safely, tombstones.

Publishing writes and removes these files; erasure replaces one by a tombstone
when others replied to it. The file format itself is
:mod:`comment_format.files`, shared with the plugin that reads them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping, Set
from pathlib import Path

from comment_format.files import REMOVED_BY_MODERATOR, comment_file_text, reply_to_of

from .errors import ModerationError
from .models import Comment

logger = logging.getLogger(__name__)

FILE_MODE = 0o644
REMOVED_AUTHOR = "[removed]"
REMOVED_BODY = "This comment was removed at its author's request."
#: A tombstone of a comment its moderators removed (deleted on the blog's old system).
REMOVED_BY_MODERATOR_BODY = "This comment was removed."


class PublishError(ModerationError):
    """A comment file cannot be written or removed (a full disk, a read-only folder)."""


def comment_path(comments_dir: Path, article: str, comment_id: str) -> Path:
    return comments_dir / article / f"{comment_id}.md"


def tombstone_text(comment: Comment, *, by_author: bool = True) -> str:
    """What stays of an erased or withdrawn comment that others replied to: its place
    in the thread. ``removed: true`` lets the theme say so in the page's language;
    the English name and text are for readers of the file. ``by_author`` False: its
    moderators removed it (``removed_by: moderator``), and nobody says the author asked."""
    return comment_file_text(
        comment_id=comment.id or "",
        author=REMOVED_AUTHOR,
        date=comment.received_at,
        body=REMOVED_BODY if by_author else REMOVED_BY_MODERATOR_BODY,
        reply_to=comment.reply_to,
        removed=True,
        removed_by=None if by_author else REMOVED_BY_MODERATOR,
    )


def tombstones_needed(gone: Set[str], children: Mapping[str, Set[str]]) -> set[str]:
    """Which of the ``gone`` comments must stay as tombstones: those a reply that stays
    hangs from. A reply that goes too counts only when it needs a tombstone itself,
    so this runs until nothing more is added. ``children`` maps a comment id to the
    ids replying to it."""
    keep: set[str] = set()
    changed = True
    while changed:
        changed = False
        for comment_id in gone - keep:
            if any(k not in gone or k in keep for k in children.get(comment_id, ())):
                keep.add(comment_id)
                changed = True
    return keep


def write_atomically(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds exactly that; True if written.

    The temporary file lives in the same folder so ``os.replace`` is atomic: a
    build running at the same time sees the old file or the new one, never half.
    No fsync: the store is the record, and publishing again rewrites anything a
    power cut might have lost. A failure (a full disk) is a :class:`PublishError`
    naming the file, and leaves the old file as it was.
    """
    data = text.encode("utf-8")
    try:
        if path.is_file() and path.read_bytes() == data:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        # mkstemp makes the file private (0600); a content file is an ordinary one.
        os.fchmod(handle, FILE_MODE)
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
        os.replace(temp_name, path)
    except OSError as exc:
        Path(temp_name).unlink(missing_ok=True)
        raise PublishError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return True


def remove_file(path: Path) -> None:
    """Remove a published file (and its folder once empty)."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise PublishError(f"cannot remove {path}: {exc.strerror or exc}") from exc
    # rmdir refuses a folder that still holds files, which is exactly the test we want.
    with contextlib.suppress(OSError):
        path.parent.rmdir()


def existing_comment_files(comments_dir: Path) -> list[Path]:
    """Every ``<slug>/<id>.md`` under ``comments_dir``."""
    if not comments_dir.is_dir():
        return []
    return sorted(comments_dir.glob("*/*.md"))


def replies_in_file_tree(comments_dir: Path, article: str) -> dict[str, set[str]]:
    """Published parent id → ids of the files replying to it, read from the files."""
    return replies_in_files(sorted((comments_dir / article).glob("*.md")))


def replies_in_files(
    paths: Iterable[Path], replies: dict[str, set[str]] | None = None
) -> dict[str, set[str]]:
    """Parent id → ids of the files in ``paths`` replying to it, added to ``replies``.

    An unreadable file is logged and passed over: it replies to nothing we can see.
    """
    replies = {} if replies is None else replies
    for path in paths:
        try:
            parent = reply_to_of(path.read_bytes())
        except OSError as exc:
            logger.warning("cannot read comment file %s: %s", path, exc)
            continue
        if parent:
            replies.setdefault(parent, set()).add(path.stem)
    return replies
