"""Pelican plugin for authors and for being found (issue 14).

At build time it turns lone titled images into figures with lazy loading and a
size (:mod:`.images`); marks scheduled articles and the visible parts of a series
(:mod:`.articles`); attaches canonical URLs, social-card data, JSON-LD and share
links (:mod:`.social`); writes ``sitemap.xml`` through pelican-sitemap
(:mod:`.sitemap`); and, once everything is written, runs Pagefind over the output
(:mod:`.search`).

The author tools behind ``invoke new`` (:mod:`.scaffold`) and ``invoke check``
(:mod:`.checks`) live here too: they read content the way a build does
(:mod:`.catalogue`) but write nothing.

Settings (pelicanconf.py):

- ``CANONICAL_SITEURL``: the site's absolute address for canonical links, social
  cards, JSON-LD and the sitemap. Default: ``SITEURL`` if absolute, else
  ``FEED_DOMAIN``.
- ``SEARCH_INDEX`` (default ``True``): run Pagefind after the build.
- ``SITEMAP``: pelican-sitemap's own setting.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Article, Page
from pelican.generators import ArticlesGenerator, PagesGenerator

from . import articles, images, search, social
from .sitemap import AbsoluteSitemap

logger = logging.getLogger(__name__)

ENABLED = "PUBLISHING_PLUGIN_ENABLED"
DEFAULTS: dict[str, Any] = {"SEARCH_INDEX": True}

_sitemap = AbsoluteSitemap()


class PublishingSettingsError(ValueError):
    """A setting this plugin needs is missing or unusable."""


def _enabled(settings: Any) -> bool:
    """Signals are process-wide: act only for builds that list this plugin."""
    return bool(getattr(settings, "get", lambda *_: False)(ENABLED))


def canonical_base(settings: dict[str, Any]) -> str:
    """The absolute site address: ``CANONICAL_SITEURL``, ``SITEURL`` or ``FEED_DOMAIN``."""
    for key in ("CANONICAL_SITEURL", "SITEURL", "FEED_DOMAIN"):
        value = (settings.get(key) or "").rstrip("/")
        if "://" in value:
            return value
    raise PublishingSettingsError(
        "publishing: canonical links need an absolute site address; set CANONICAL_SITEURL "
        "(or an absolute SITEURL or FEED_DOMAIN), e.g. CANONICAL_SITEURL = 'https://blog.example'"
    )


def initialize(pelican: Any) -> None:
    if not any(
        getattr(plugin, "__name__", plugin) == __name__
        for plugin in getattr(pelican, "plugins", ())
    ):
        return
    settings = pelican.settings
    for key, value in DEFAULTS.items():
        settings.setdefault(key, value)
    settings["CANONICAL_SITEURL"] = canonical_base(settings)
    settings[ENABLED] = True


def improve_images(content: Any) -> None:
    if not isinstance(content, (Article, Page)) or not _enabled(content.settings):
        return
    if not getattr(content, "_content", None):
        return
    content._content = images.process_html(
        content._content, Path(content.source_path).parent, Path(content.settings["PATH"])
    )


def annotate_content(generators: list[Any]) -> None:
    if not generators or not _enabled(generators[0].settings):
        return
    settings = generators[0].settings
    static_content = generators[0].context.get("static_content", {})
    for generator in generators:
        if isinstance(generator, ArticlesGenerator):
            every_article = [
                *generator.articles,
                *generator.translations,
                *generator.drafts,
                *generator.drafts_translations,
                *generator.hidden_articles,
                *generator.hidden_translations,
            ]
            for article in every_article:
                articles.annotate(article)
                social.annotate(article, settings, static_content)
        elif isinstance(generator, PagesGenerator):
            every_page = [
                *generator.pages,
                *generator.translations,
                *generator.hidden_pages,
                *generator.hidden_translations,
                *generator.draft_pages,
                *generator.draft_translations,
            ]
            for page in every_page:
                social.annotate(page, settings, static_content)


def start_sitemap(pelican: Any) -> None:
    if _enabled(pelican.settings):
        _sitemap.init(pelican)


def queue_sitemap_page(path: str, context: dict[str, Any]) -> None:
    if _enabled(context):
        _sitemap.queue_page(path, context)


def finish(pelican: Any) -> None:
    """After the last file: the sitemap, then the search index over everything written."""
    if not _enabled(pelican.settings):
        return
    _sitemap.finalize(pelican)
    if pelican.settings["SEARCH_INDEX"]:
        search.build_index(pelican.output_path, pelican.settings.get("DEFAULT_LANG") or "en")


def register() -> None:
    signals.initialized.connect(initialize)
    signals.content_object_init.connect(improve_images)
    signals.all_generators_finalized.connect(annotate_content)
    signals.get_generators.connect(start_sitemap)
    signals.content_written.connect(queue_sitemap_page)
    signals.finalized.connect(finish)
