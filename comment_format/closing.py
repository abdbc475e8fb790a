"""When an article takes comments: one rule for the plugin (the form) and the intake.

An article is closed when its metadata says ``Comments: closed``, when it is a
draft, or when it is older than ``COMMENTS_CLOSE_AFTER_DAYS``. A date without an
offset is in the site's ``TIMEZONE``, as Pelican reads it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: The values ``Comments:`` metadata may take.
METADATA_VALUES = ("open", "closed")


def site_timezone(name: str | None) -> tzinfo:
    """The ``TIMEZONE`` setting as a tzinfo (UTC when it is missing or unknown)."""
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def aware(date: datetime, timezone: tzinfo) -> datetime:
    """``date`` with ``timezone`` when it has no offset of its own."""
    return date if date.tzinfo is not None else date.replace(tzinfo=timezone)


def comments_open(
    *,
    metadata: object,
    status: str,
    date: datetime | None,
    close_after_days: float,
    timezone: tzinfo = UTC,
    now: datetime | None = None,
) -> bool:
    """Whether an article with this ``Comments:`` metadata, status and date takes comments."""
    if str(metadata or "open").strip().lower() == "closed":
        return False
    if status == "draft":
        return False
    if close_after_days > 0 and date is not None:
        age = (now or datetime.now(UTC)) - aware(date, timezone)
        if age > timedelta(days=close_after_days):
            return False
    return True
