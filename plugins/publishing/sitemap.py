"""``sitemap.xml`` from the pelican-sitemap plugin, with absolute addresses everywhere.

pelican-sitemap writes ``SITEURL`` + path, which is a bare path in the development
build (``SITEURL = ""``); search engines require absolute ``<loc>``s. This subclass
writes with ``CANONICAL_SITEURL`` instead and starts every build with an empty queue,
so a build that failed half-way cannot leave its pages in the next one's sitemap.
Drafts and hidden pages are left out by the plugin itself (their status is not
``published``); ``SITEMAP["exclude"]`` drops the rest (404, search, share pages).
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from pelican.plugins.sitemap.sitemap import SitemapGenerator

logger = logging.getLogger(__name__)


class AbsoluteSitemap(SitemapGenerator):
    def init(self, pelican: Any) -> None:
        self.page_queue = []
        self._main_pelican = pelican

    def _write_out(self, pelican: Any) -> None:
        settings = {**pelican.settings, "SITEURL": pelican.settings["CANONICAL_SITEURL"]}
        super()._write_out(SimpleNamespace(output_path=pelican.output_path, settings=settings))
