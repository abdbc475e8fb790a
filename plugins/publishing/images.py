"""Images in articles and pages: figures with captions, lazy loading, no layout shift.

Markdown turns ``![Alt text]({static}/images/chart.png "The caption")`` into a bare
``<img>`` inside a paragraph. Here an image that stands alone in its paragraph and
has a title becomes a ``<figure>`` whose ``<figcaption>`` is the title; every image
gets ``loading="lazy"`` and ``decoding="async"``, and ``width``/``height`` read from
the file, so the browser reserves its box before the image arrives.

The rewrite works on the HTML Markdown produced, tag by tag; the patterns never
scan past the next ``<`` or ``>``, so they run in linear time.
"""

from __future__ import annotations

import html
import logging
import re
import xml.etree.ElementTree as ElementTree
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

# An image alone in its paragraph (what Markdown writes for a picture on its own
# line), or any other image tag. A tag ends at the next ">" and never spans a "<".
IMAGES = re.compile(
    r"<p>\s*(?P<lone><img\b[^<>]*>)\s*</p>|(?P<inline><img\b[^<>]*>)", re.IGNORECASE
)
# Pelican's intra-site link syntax: {static}path, {attach}path, {filename}path (or |static|).
INTRASITE = re.compile(r"^[{|](?P<what>static|attach|filename)[}|](?P<path>.*)$")
SVG_LENGTH = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(px)?\s*$")


class _TagParser(HTMLParser):
    """Reads the attributes of one start tag, in order, with entities decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.attributes:
            self.attributes = attrs

    handle_startendtag = handle_starttag


def parse_attributes(tag: str) -> dict[str, str | None]:
    """The attributes of a single ``<img ...>`` tag (later duplicates lose, as in browsers)."""
    parser = _TagParser()
    parser.feed(tag)
    parser.close()
    attributes: dict[str, str | None] = {}
    for name, value in parser.attributes:
        attributes.setdefault(name, value)
    return attributes


def render_tag(attributes: dict[str, str | None]) -> str:
    parts = ["<img"]
    for name, value in attributes.items():
        parts.append(name if value is None else f'{name}="{html.escape(value, quote=True)}"')
    return " ".join(parts) + ">"


def resolve_image(src: str, source_dir: Path, content_root: Path) -> Path | None:
    """The file behind an image's ``src``, or None when it is remote or cannot be found.

    ``{static}``/``{attach}``/``{filename}`` paths follow Pelican: a leading slash means
    the content folder, otherwise the article's own folder. A site-absolute ``/images/x``
    is the content folder too (static files keep their paths). A plain relative path is
    not resolved: on the page it is relative to the article's URL, not its source file,
    and ``invoke check`` reports it when it leads nowhere.
    """
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    intrasite = INTRASITE.match(path)
    if intrasite:
        path = intrasite.group("path")
        base = content_root if path.startswith("/") else source_dir
    elif path.startswith("/"):
        base = content_root
    else:
        return None
    candidate = (base / path.lstrip("/")).resolve()
    root = content_root.resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate


def image_size(path: Path) -> tuple[int, int] | None:
    """Pixel width and height of a raster image or an SVG; None if unreadable."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _image_size(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _image_size(path: str, mtime_ns: int, size: int) -> tuple[int, int] | None:
    # mtime and size are part of the key so an edited image is measured again.
    if path.lower().endswith(".svg"):
        return _svg_size(Path(path))
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, UnidentifiedImageError) as error:
        logger.warning("images: cannot read the size of %s: %s", path, error)
        return None


def _svg_size(path: Path) -> tuple[int, int] | None:
    try:
        root = ElementTree.parse(path).getroot()
    except (OSError, ElementTree.ParseError) as error:
        logger.warning("images: cannot read the size of %s: %s", path, error)
        return None
    width, height = (SVG_LENGTH.match(root.get(name, "")) for name in ("width", "height"))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    view_box = root.get("viewBox", "").replace(",", " ").split()
    if len(view_box) == 4:
        try:
            return round(float(view_box[2])), round(float(view_box[3]))
        except ValueError:
            pass
    logger.warning("images: %s has neither width/height nor a viewBox", path)
    return None


def _with_size(attributes: dict[str, str | None], size: tuple[int, int]) -> None:
    """Fill in width and height; keep the author's if given, scaling the missing one."""
    width, height = attributes.get("width"), attributes.get("height")
    natural_width, natural_height = size
    if width is None and height is None:
        attributes["width"], attributes["height"] = str(natural_width), str(natural_height)
    elif height is None and width and width.isdigit() and natural_width:
        attributes["height"] = str(round(int(width) * natural_height / natural_width))
    elif width is None and height and height.isdigit() and natural_height:
        attributes["width"] = str(round(int(height) * natural_width / natural_height))


def improve_image(tag: str, source_dir: Path, content_root: Path) -> dict[str, str | None]:
    """The attributes of ``tag`` with lazy loading and, when the file is found, its size."""
    attributes = parse_attributes(tag)
    src = attributes.get("src") or ""
    image = resolve_image(src, source_dir, content_root) if src else None
    size = image_size(image) if image else None
    if size:
        _with_size(attributes, size)
    attributes.setdefault("loading", "lazy")
    attributes.setdefault("decoding", "async")
    return attributes


def process_html(content: str, source_dir: Path, content_root: Path) -> str:
    """Rewrite every ``<img>`` in ``content``; lone titled images become figures."""
    if "<img" not in content.lower():
        return content

    def rewrite(match: re.Match[str]) -> str:
        lone = match.group("lone")
        attributes = improve_image(lone or match.group("inline"), source_dir, content_root)
        caption = (attributes.get("title") or "").strip() if lone else ""
        if not caption:
            tag = render_tag(attributes)
            return f"<p>{tag}</p>" if lone else tag
        # The caption says it once; a title attribute would repeat it as a tooltip
        # and, in some screen readers, a second time.
        del attributes["title"]
        return (
            f'<figure class="figure">{render_tag(attributes)}'
            f"<figcaption>{html.escape(caption, quote=False)}</figcaption></figure>"
        )

    return IMAGES.sub(rewrite, content)
