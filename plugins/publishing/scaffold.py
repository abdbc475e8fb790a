"""``invoke new "Title"``: a new draft article with every metadata field in place.

The file is ``<first ARTICLE_PATHS folder>/<slug>.md`` under ``PATH``, dated now in
the site's ``TIMEZONE`` with its offset written out, and ``Status: draft`` so it
builds to ``drafts/`` until the author removes that line. A slug that an article
already has (as Pelican derives it, drafts included) or a file that exists is
refused, never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pelican.utils import slugify

from .catalogue import read_content

logger = logging.getLogger(__name__)

BODY = "Your text in Markdown.\n"


class ScaffoldError(Exception):
    """The article cannot be created; the message says why."""


def article_slug(settings: Mapping[str, Any], title: str) -> str:
    """The slug Pelican would derive from ``title`` with these settings."""
    return slugify(
        title,
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )


def site_now(settings: Mapping[str, Any]) -> datetime:
    """Now in the site's time zone, to the minute."""
    zone = ZoneInfo(settings.get("TIMEZONE") or "UTC")
    return datetime.now(zone).replace(second=0, microsecond=0)


def format_date(when: datetime) -> str:
    """``2026-11-30 08:00+01:00``: the form the README documents, offset included."""
    return when.strftime("%Y-%m-%d %H:%M") + when.isoformat()[-6:]


def render_article(fields: Mapping[str, str], body: str = BODY) -> str:
    header = "".join(f"{name}: {value}".rstrip() + "\n" for name, value in fields.items())
    return f"{header}\n{body}"


def new_article(
    settings: Mapping[str, Any],
    title: str,
    *,
    slug: str | None = None,
    category: str = "",
    tags: str = "",
    author: str | None = None,
    summary: str = "",
    related: str = "",
    now: datetime | None = None,
) -> Path:
    """Write the new draft and return its path; raise ScaffoldError if it cannot."""
    title = " ".join(title.split())
    if not title:
        raise ScaffoldError("The article needs a title.")
    slug = slug.strip() if slug else article_slug(settings, title)
    if not slug or slug != article_slug(settings, slug):
        raise ScaffoldError(
            f"{slug!r} cannot be a slug: use lower-case letters, digits and hyphens."
        )
    folder = Path(settings["PATH"]) / settings["ARTICLE_PATHS"][0]
    path = folder / f"{slug}.md"
    if path.exists():
        raise ScaffoldError(f"{path} already exists; choose another title or --slug.")
    catalogue = read_content(settings)
    for article in [*catalogue.published_articles(), *catalogue.draft_articles()]:
        if article.slug == slug:
            raise ScaffoldError(
                f"The slug {slug!r} is taken by {article.source_path}; "
                "choose another title or --slug."
            )
    fields = {
        "Title": title,
        "Date": format_date(now or site_now(settings)),
        "Category": category,
        "Tags": tags,
        "Slug": slug,
        "Author": author or settings.get("AUTHOR", ""),
        "Summary": summary,
        "Related": related,
        "Status": "draft",
    }
    folder.mkdir(parents=True, exist_ok=True)
    # "x" refuses to overwrite a file that appeared since the check above.
    with path.open("x", encoding="utf-8") as handle:
        handle.write(render_article(fields))
    logger.info("new article: %s", path)
    return path
