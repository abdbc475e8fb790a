"""The site's content as Pelican reads it, without writing anything.

``invoke new`` and ``invoke check`` need what a build would see (slugs, statuses,
URLs, static files, tags) but must not build: they run Pelican's own article, page
and static generators up to their context and stop there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pelican.contents import Article, Content, Page
from pelican.generators import ArticlesGenerator, PagesGenerator, StaticGenerator

logger = logging.getLogger(__name__)

FEED_SUFFIXES = ("_ATOM", "_RSS")


@dataclass
class Catalogue:
    """Everything a build would publish, plus its drafts."""

    settings: Mapping[str, Any]
    context: dict[str, Any]
    articles: ArticlesGenerator
    pages: PagesGenerator
    static: StaticGenerator

    @property
    def root(self) -> Path:
        return Path(self.settings["PATH"])

    def published_articles(self) -> list[Article]:
        gen = self.articles
        return [*gen.articles, *gen.translations, *gen.hidden_articles, *gen.hidden_translations]

    def draft_articles(self) -> list[Article]:
        return [*self.articles.drafts, *self.articles.drafts_translations]

    def published_pages(self) -> list[Page]:
        gen = self.pages
        return [*gen.pages, *gen.translations, *gen.hidden_pages, *gen.hidden_translations]

    def draft_pages(self) -> list[Page]:
        return [*self.pages.draft_pages, *self.pages.draft_translations]

    def everything(self) -> Iterator[Content]:
        yield from self.published_articles()
        yield from self.draft_articles()
        yield from self.published_pages()
        yield from self.draft_pages()

    def terms(self) -> list[Any]:
        """Every tag, category and author of the published articles."""
        gen = self.articles
        return [*gen.tags, *(term for term, _ in gen.categories), *(a for a, _ in gen.authors)]

    def published_paths(self) -> set[str]:
        """Output paths (and URLs) of everything a build writes, drafts excluded."""
        settings = self.settings
        found: set[str] = set()
        for item in [*self.published_articles(), *self.published_pages(), *self.static.staticfiles]:
            found.update((item.url, item.save_as))
        taxonomies = self.terms()
        for term in taxonomies:
            found.update((term.url, term.save_as))
        for name in settings.get("DIRECT_TEMPLATES", []):
            found.add(settings.get(f"{name.upper()}_SAVE_AS", f"{name}.html"))
            found.add(settings.get(f"{name.upper()}_URL") or "")
        found.update(settings.get("TEMPLATE_PAGES", {}).values())
        slugs = {term.slug for term in taxonomies}
        slugs.update(article.slug for article in self.published_articles())
        for key, value in settings.items():
            if not (key.endswith(FEED_SUFFIXES) and isinstance(value, str) and value):
                continue
            if "{slug}" in value:
                found.update(value.format(slug=slug) for slug in slugs)
            elif "{" not in value:
                found.add(value)
        found.add("sitemap.xml")
        found.discard("")
        return {normalise(path) for path in found}

    def draft_paths(self) -> set[str]:
        return {
            normalise(path)
            for item in [*self.draft_articles(), *self.draft_pages()]
            for path in (item.url, item.save_as)
        }


def normalise(path: str) -> str:
    """One spelling per output path: no leading slash, no trailing ``index.html``."""
    path = path.lstrip("/")
    return path[: -len("index.html")] if path.endswith("index.html") else path


def read_content(settings: Mapping[str, Any]) -> Catalogue:
    """Read articles, pages and static files with Pelican's generators; write nothing."""
    settings = {**settings, "CACHE_CONTENT": False, "LOAD_CONTENT_CACHE": False}
    context = dict(settings)
    context.update(generated_content={}, static_links=set(), static_content={})
    context["localsiteurl"] = settings["SITEURL"]
    common = {
        "context": context,
        "settings": settings,
        "path": settings["PATH"],
        "theme": settings["THEME"],
        "output_path": settings["OUTPUT_PATH"],
    }
    articles = ArticlesGenerator(**common)
    pages = PagesGenerator(**common)
    static = StaticGenerator(**common)
    for generator in (articles, pages, static):
        generator.generate_context()
    return Catalogue(settings, context, articles, pages, static)
