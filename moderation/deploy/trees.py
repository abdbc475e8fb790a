"""Folders of built files: what differs between two of them, and replacing one whole.

A local deploy never changes the live folder file by file. It assembles the new
site in a sibling folder (hard links to the live files that did not change, so
only changed files are copied) and then swaps the two folders in one step:
``renameat2(RENAME_EXCHANGE)`` on Linux, else two renames with the first undone
if the second fails. A reader of the site sees the old tree or the new one.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import filecmp
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

#: ``progress(done, total)`` while files are copied.
FileProgress = Callable[[int, int], None]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@dataclass
class Changes:
    """How a target differs from the new build: relative paths, sorted."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    @property
    def count(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)

    def summary(self) -> str:
        return f"{len(self.added)} added, {len(self.changed)} updated, {len(self.removed)} removed"

    def lines(self) -> list[str]:
        """One line per file: ``+`` added, ``~`` updated, ``-`` removed."""
        return (
            [f"+ {path}" for path in self.added]
            + [f"~ {path}" for path in self.changed]
            + [f"- {path}" for path in self.removed]
        )


def list_files(root: Path) -> dict[str, Path]:
    """Every file (and symlink) under ``root`` by its relative POSIX path."""
    files: dict[str, Path] = {}
    if not root.is_dir():
        return files
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        base = Path(folder)
        for name in names:
            path = base / name
            files[path.relative_to(root).as_posix()] = path
        # A symlink to a folder is copied as a link, not walked.
        for name in [d for d in dirs if (base / d).is_symlink()]:
            dirs.remove(name)
            files[(base / name).relative_to(root).as_posix()] = base / name
    return files


def _same(new: Path, old: Path) -> bool:
    if new.is_symlink() or old.is_symlink():
        return new.is_symlink() and old.is_symlink() and os.readlink(new) == os.readlink(old)
    return filecmp.cmp(new, old, shallow=False)


def diff_trees(new: Path, old: Path) -> Changes:
    """What replacing ``old`` by ``new`` changes (``old`` may not exist yet)."""
    new_files, old_files = list_files(new), list_files(old)
    changes = Changes()
    for relative, path in sorted(new_files.items()):
        if relative not in old_files:
            changes.added.append(relative)
        elif _same(path, old_files[relative]):
            changes.unchanged += 1
        else:
            changes.changed.append(relative)
    changes.removed = sorted(set(old_files) - set(new_files))
    return changes


def _copy(source: Path, destination: Path) -> None:
    if source.is_symlink():
        os.symlink(os.readlink(source), destination)
    else:
        shutil.copy2(source, destination)


def assemble(
    new: Path,
    live: Path,
    staging: Path,
    changes: Changes,
    progress: FileProgress | None = None,
) -> None:
    """Fill ``staging`` with the new site: unchanged files hard-linked from ``live``."""
    fresh = set(changes.added) | set(changes.changed)
    files = list_files(new)
    total = len(files)
    for done, (relative, source) in enumerate(sorted(files.items()), start=1):
        destination = staging / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if relative in fresh or source.is_symlink():
            _copy(source, destination)
        else:
            try:
                os.link(live / relative, destination)
            except OSError:  # another file system, or links not allowed: copy
                _copy(source, destination)
        if progress is not None and (done % 50 == 0 or done == total):
            progress(done, total)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where it is not supported."""
    libc_name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def swap_into_place(staging: Path, target: Path) -> None:
    """Make ``staging`` the ``target``; the old target ends up at ``staging``'s path."""
    if not target.exists():
        os.rename(staging, target)
        return
    if _exchange(staging, target):
        return
    aside = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except OSError:
        os.rename(aside, target)
        raise
    os.rename(aside, staging)


def replace_tree(
    new: Path, target: Path, changes: Changes, progress: FileProgress | None = None
) -> None:
    """Replace the folder ``target`` by a copy of ``new``, all at once.

    Any failure before the swap leaves ``target`` untouched and removes the
    half-made copy. The old tree is deleted after the swap.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        # mkdtemp makes a private folder; the site must stay readable by the web server.
        mode = target.stat().st_mode & 0o7777 if target.is_dir() else 0o755
        os.chmod(staging, mode)
        assemble(new, target, staging, changes, progress)
        swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    with contextlib.suppress(OSError):
        shutil.rmtree(staging)
    if staging.exists():
        logger.warning("could not remove the previous site at %s; delete it by hand", staging)
