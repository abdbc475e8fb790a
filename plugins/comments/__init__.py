"""Pelican comments plugin: shows approved comments under articles.

Comment files live in ``content/comments/<article-slug>/<comment-id>.md``. The
plugin threads them, renders their Markdown safely, and writes per-article and
site-wide Atom feeds plus ``comments/threads.json`` for the intake service.
"""

from __future__ import annotations

import logging
from typing import Any

from pelican import signals

from .errors import CommentFileError, CommentsError, CommentsSettingsError
from .generator import CommentsGenerator
from .incremental import KeepingWriter, finish
from .settings import configure, exclude_comments_folder
from .timers import TIMERS

logger = logging.getLogger(__name__)

__all__ = [
    "TIMERS",
    "CommentFileError",
    "CommentsError",
    "CommentsGenerator",
    "CommentsSettingsError",
    "register",
]


def _enabled(pelican: Any) -> bool:
    """Signals are process-wide: once registered, ours fire for every Pelican
    instance, so act only for those that list this plugin."""
    return any(
        getattr(plugin, "__name__", plugin) == __name__
        for plugin in getattr(pelican, "plugins", ())
    )


def initialize(pelican: Any) -> None:
    """Apply defaults and environment overrides; keep comment files away from the
    article, page and static generators even if the settings forgot to."""
    if not _enabled(pelican):
        return
    configure(pelican.settings)
    changed = [key for key in exclude_comments_folder(pelican.settings) if key != "STATIC_EXCLUDES"]
    if changed:
        logger.warning(
            "comments: added %r to %s so comment files are not read as content",
            pelican.settings["COMMENTS_PATH"],
            ", ".join(changed),
        )


def get_generators(pelican: Any) -> type[CommentsGenerator] | None:
    return CommentsGenerator if _enabled(pelican) else None


def get_writer(pelican: Any) -> type[KeepingWriter] | None:
    """With ``COMMENTS_BUILD_STATE``, the writer that keeps pages no comment changed."""
    if _enabled(pelican) and pelican.settings.get("COMMENTS_BUILD_STATE"):
        return KeepingWriter
    return None


def finalized(pelican: Any) -> None:
    if _enabled(pelican):
        finish(pelican.settings)


def register() -> None:
    signals.initialized.connect(initialize)
    signals.get_generators.connect(get_generators)
    signals.get_writer.connect(get_writer)
    signals.finalized.connect(finalized)
