"""What moderation knows about the blog's articles, read from the Markdown sources.

Import and publish use it to refuse comments for articles that do not exist (the
plugin would fail the build on them), and the promotion signal uses an article's
words to judge whether a comment is related to it. The site's ``threads.json``
says the same about published articles; the sources are read here because they
exist before the first build.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path

from pelican.settings import DEFAULT_CONFIG as PELICAN_DEFAULTS
from pelican.utils import get_date, slugify

from comment_format.closing import comments_open, site_timezone

from .settings import Settings

logger = logging.getLogger(__name__)

_METADATA_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_ -]*):\s*(.*)$")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@dataclass(frozen=True)
class ArticleInfo:
    slug: str
    title: str
    date: datetime | None  # aware: a date without an offset is in the site's TIMEZONE
    tags: tuple[str, ...]
    summary: str
    text: str
    comments: str  # the ``Comments:`` metadata, "open" when there is none
    status: str
    source: Path | None
    lang: str | None = None  # its ``Lang:`` metadata; None: the site's DEFAULT_LANG

    @cached_property
    def words(self) -> frozenset[str]:
        """The article's vocabulary, lower-cased, for relevance checks."""
        text = " ".join((self.title, " ".join(self.tags), self.summary, self.text))
        return frozenset(word.lower() for word in _WORD.findall(text))

    def is_open(self, close_after_days: float, now: datetime | None = None) -> bool:
        """The plugin's rule (:mod:`comment_format.closing`), so both always agree."""
        return comments_open(
            metadata=self.comments,
            status=self.status,
            date=self.date,
            close_after_days=close_after_days,
            now=now,
        )


def described_article(slug: str, title: str | None, text: str | None) -> ArticleInfo:
    """An article known only from what a ``classify`` or ``train`` line says of it."""
    return ArticleInfo(
        slug=slug,
        title=title or "",
        date=None,
        tags=(),
        summary="",
        text=text or "",
        comments="open",
        status="published",
        source=None,
    )


def _parse(path: Path, settings: Settings) -> ArticleInfo | None:
    text = path.read_text(encoding="utf-8")
    metadata: dict[str, str] = {}
    lines = text.splitlines()
    body_start = len(lines)
    for index, line in enumerate(lines):
        if not line.strip():
            body_start = index + 1
            break
        match = _METADATA_LINE.match(line)
        if not match:
            body_start = index
            break
        metadata[match.group(1).strip().lower()] = match.group(2).strip()
    if "title" not in metadata or metadata.get("status", "").lower() in ("draft", "hidden"):
        return None
    slug = metadata.get("slug") or slugify(
        metadata["title"],
        settings.get("SLUG_REGEX_SUBSTITUTIONS", PELICAN_DEFAULTS["SLUG_REGEX_SUBSTITUTIONS"]),
    )
    date = None
    if "date" in metadata:
        try:
            # Pelican's own parser, and its rule for a date without an offset.
            date = get_date(metadata["date"])
        except (ValueError, OverflowError):
            logger.debug("%s: date %r cannot be read", path, metadata["date"])
        else:
            if date.tzinfo is None:
                date = date.replace(tzinfo=site_timezone(settings.get("TIMEZONE")))
    return ArticleInfo(
        slug=slug,
        title=metadata["title"],
        date=date,
        tags=tuple(t.strip() for t in metadata.get("tags", "").split(",") if t.strip()),
        summary=metadata.get("summary", ""),
        text="\n".join(lines[body_start:]),
        comments=metadata.get("comments", "open"),
        status=metadata.get("status", "published").lower(),
        source=path,
        lang=metadata.get("lang") or None,
    )


def load_articles(settings: Settings) -> dict[str, ArticleInfo]:
    """Every published article under ``PATH`` (comment files excluded), by slug."""
    content = settings.path("PATH")
    comments_dir = settings.comments_dir.resolve()
    articles: dict[str, ArticleInfo] = {}
    if not content.is_dir():
        logger.warning("content folder %s does not exist; no articles known", content)
        return articles
    page_dirs = [(content / p).resolve() for p in settings.get("PAGE_PATHS", ["pages"])]
    for folder in settings.get("ARTICLE_PATHS", [""]):
        for path in sorted((content / folder).rglob("*.md")):
            parents = path.resolve().parents
            if comments_dir in parents or any(d in parents for d in page_dirs):
                continue
            _add(articles, path, settings)
    return articles


def _add(articles: dict[str, ArticleInfo], path: Path, settings: Settings) -> None:
    try:
        info = _parse(path, settings)
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("cannot read article %s: %s", path, exc)
        return
    if info is not None:
        articles[info.slug] = info
