"""Bringing comments (and a whole blog) in from elsewhere.

- :mod:`.jsonl`: ``moderation import FILE.jsonl``, comments one JSON object a line
  (the demo inbox), screened like any new comment;
- :mod:`.wordpress`: ``moderation import-wordpress FILE.xml [--content DIR]``,
  posts, pages and comments of a WordPress export (WXR);
- :mod:`.disqus`: ``moderation import-disqus FILE.xml``, the comments of a Disqus
  export, matched to this blog's articles.

The two exports are read into one :class:`~.plan.ImportPlan` and applied by one
function (:func:`~.plan.apply_plan`): the old system's decisions are kept and
logged, stored in one transaction, and seed the learned model.
"""

from __future__ import annotations

from pathlib import Path

from ..settings import Settings
from ..store import Store
from .disqus import read_disqus
from .jsonl import import_file
from .plan import ImportReport, apply_plan
from .wordpress import read_wordpress
from .xmlfile import XmlError

__all__ = [
    "ImportReport",
    "XmlError",
    "import_disqus",
    "import_file",
    "import_wordpress",
]


def _with_content(settings: Settings, content: str | Path | None) -> Settings:
    if content is None:
        return settings
    return settings.with_overrides(PATH=str(Path(content).resolve()))


def import_wordpress(
    store: Store, settings: Settings, path: str | Path, content: str | Path | None = None
) -> ImportReport:
    """Import a WordPress export; ``content`` replaces the settings' ``PATH``."""
    settings = _with_content(settings, content)
    return apply_plan(store, settings, read_wordpress(path, settings))


def import_disqus(
    store: Store, settings: Settings, path: str | Path, content: str | Path | None = None
) -> ImportReport:
    """Import a Disqus export into the articles under ``content`` (default: ``PATH``)."""
    settings = _with_content(settings, content)
    return apply_plan(store, settings, read_disqus(path, settings))
