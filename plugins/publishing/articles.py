"""What the article template shows beyond Pelican's own fields.

- ``scheduled``: a future-dated article, held back by ``WITH_FUTURE_DATES = False``
  (Pelican gives it the status ``draft``, so it builds to ``drafts/``);
- ``series_nav``: pelican-series' ``series``, with only the parts a reader of this
  page can open: published ones, plus the page itself when it is a draft;
- a reading time for drafts and hidden articles too (pelican-readtime only measures
  published ones), so a preview looks like the published page.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)


def is_scheduled(article: Any, now: datetime | None = None) -> bool:
    """A draft only because its date is still to come."""
    if article.status != "draft" or str(article.metadata.get("status", "")).lower() == "draft":
        return False
    date = article.date
    now = now or (datetime.now(UTC) if date.tzinfo else datetime.now())
    return date > now


def series_navigation(article: Any) -> dict[str, Any] | None:
    series = getattr(article, "series", None)
    if not series:
        return None
    parts = [p for p in series["all"] if p.status == "published" or p is article]
    if article not in parts:
        return None
    position = parts.index(article)
    return {
        "name": series["name"],
        "parts": parts,
        "index": position + 1,
        "count": len(parts),
        "previous": parts[position - 1] if position > 0 else None,
        "next": parts[position + 1] if position + 1 < len(parts) else None,
    }


def measure_reading_time(article: Any) -> None:
    """pelican-readtime's own measure, applied to an article it skipped."""
    try:
        from pelican.plugins.readtime.readtime import READTIME_PARSER
    except ImportError:  # the plugin is not installed; the template copes
        return
    if READTIME_PARSER.initialized:
        READTIME_PARSER.read_time(article)


def annotate(article: Any) -> None:
    article.scheduled = is_scheduled(article)
    article.series_nav = series_navigation(article)
    if article.status != "published":
        measure_reading_time(article)
