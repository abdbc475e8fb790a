"""Being found and shared: canonical addresses, social cards, JSON-LD and share links.

The templates print what this module attaches to each article and page:

- ``canonical_url``: the absolute address, from ``CANONICAL_SITEURL``;
- ``social_image``: ``{"url", "width", "height", "alt"}`` from the ``Image:`` and
  ``Image_alt:`` metadata, when the image is one of the site's static files;
- ``structured_data`` (articles): a schema.org ``BlogPosting``, rendered with
  ``tojson`` into a ``<script type="application/ld+json">``;
- ``share_links`` (articles): plain links to share the canonical address by email,
  on Mastodon (through the site's own ``share/mastodon.html``), LinkedIn and Bluesky.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from markupsafe import Markup
from pelican.contents import Article

from .images import INTRASITE, image_size

logger = logging.getLogger(__name__)

SCHEMA_CONTEXT = "https://schema.org"
MASTODON_SHARE_PAGE = "share/mastodon.html"
# Share targets on other sites learn nothing about where the reader came from.
EXTERNAL_REL = "noopener noreferrer"


def absolute(base: str, path: str) -> str:
    return f"{base.rstrip('/')}/{path.lstrip('/')}"


def plain(text: Any) -> str:
    """Text without markup, for attributes and JSON: summaries are HTML."""
    return " ".join(Markup(str(text or "")).striptags().split())


def image_file(value: str, static_content: Mapping[str, Any]) -> Any | None:
    """The static file an ``Image:`` value names (``{static}/images/a.png``,
    ``/images/a.png`` or ``images/a.png``), or ``None`` when it is not one of them."""
    intrasite = INTRASITE.match(value)
    relative = (intrasite.group("path") if intrasite else value).lstrip("/")
    return static_content.get(relative)


def social_image(
    content: Any, static_content: Mapping[str, Any], base: str
) -> dict[str, Any] | None:
    """The ``Image:`` of an article or page as an absolute URL with its size and alt."""
    value = str(content.metadata.get("image") or "").strip()
    if not value:
        return None
    static = image_file(value, static_content)
    if static is None:
        logger.warning(
            "%s: Image %r is not one of the site's static files (put it in images/)",
            content.source_path,
            value,
        )
        return None
    size = image_size(Path(static.source_path))
    return {
        "url": absolute(base, static.url),
        "width": size[0] if size else None,
        "height": size[1] if size else None,
        "alt": plain(content.metadata.get("image_alt")),
    }


def blog_posting(
    article: Any, settings: Mapping[str, Any], image: dict[str, Any] | None
) -> dict[str, Any]:
    """schema.org ``BlogPosting`` for one article."""
    base = settings["CANONICAL_SITEURL"]
    url = article.canonical_url
    data: dict[str, Any] = {
        "@context": SCHEMA_CONTEXT,
        "@type": "BlogPosting",
        "@id": url,
        "url": url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": plain(article.title),
        "description": plain(getattr(article, "summary", "")),
        "datePublished": article.date.isoformat(),
        "dateModified": (getattr(article, "modified", None) or article.date).isoformat(),
        "inLanguage": getattr(article, "lang", None) or settings.get("DEFAULT_LANG", "en"),
        "author": [
            {"@type": "Person", "name": author.name, "url": absolute(base, author.url)}
            for author in getattr(article, "authors", [])
        ],
        "publisher": {
            "@type": "Organization",
            "name": plain(settings.get("SITENAME")),
            "url": absolute(base, ""),
        },
        "isPartOf": {"@type": "Blog", "name": plain(settings.get("SITENAME")), "url": base + "/"},
    }
    if getattr(article, "category", None):
        data["articleSection"] = article.category.name
    if getattr(article, "tags", None):
        data["keywords"] = [tag.name for tag in article.tags]
    if image:
        data["image"] = {
            "@type": "ImageObject",
            "url": image["url"],
            **({"width": image["width"], "height": image["height"]} if image["width"] else {}),
        }
    if isinstance(getattr(article, "comments_count", None), int):
        data["commentCount"] = article.comments_count
    return data


def share_links(article: Any) -> list[dict[str, Any]]:
    """Share targets in display order; each carries the canonical URL and nothing else."""
    url = article.canonical_url
    title = plain(article.title)
    text = f"{title} {url}"
    summary = plain(getattr(article, "summary", ""))
    body = f"{summary}\n\n{url}" if summary else url
    return [
        {
            "name": "Email",
            "href": "mailto:?" + urlencode({"subject": title, "body": body}, quote_via=quote),
            "on_site": False,
            "rel": "",
        },
        {
            "name": "Mastodon",
            # Relative to SITEURL: the template prefixes it. The page asks for the
            # reader's own server, which no link can know.
            "href": MASTODON_SHARE_PAGE + "?" + urlencode({"text": text}, quote_via=quote),
            "on_site": True,
            "rel": "",
        },
        {
            "name": "LinkedIn",
            "href": "https://www.linkedin.com/sharing/share-offsite/?"
            + urlencode({"url": url}, quote_via=quote),
            "on_site": False,
            "rel": EXTERNAL_REL,
        },
        {
            "name": "Bluesky",
            "href": "https://bsky.app/intent/compose?" + urlencode({"text": text}, quote_via=quote),
            "on_site": False,
            "rel": EXTERNAL_REL,
        },
    ]


def annotate(content: Any, settings: Mapping[str, Any], static_content: Mapping[str, Any]) -> None:
    """Attach canonical URL, social image and, for articles, JSON-LD and share links."""
    base = settings["CANONICAL_SITEURL"]
    content.canonical_url = absolute(base, content.url)
    content.social_image = social_image(content, static_content, base)
    if isinstance(content, Article):
        content.structured_data = blog_posting(content, settings, content.social_image)
        content.share_links = share_links(content)
