"""``invoke check``: what an author should fix before an article goes out.

Each problem names the file and the line: an image without alt text, an internal
link or a ``Related:`` slug that leads nowhere, a slug used twice, an article with
no summary or category, a date without a time zone. The content is read by
Pelican's own generators (:mod:`.catalogue`), so slugs, URLs and statuses are the
ones a build would produce; nothing is written.

Links are found line by line in the Markdown source, outside code blocks and code
spans. Every pattern stops at the next closing bracket or quote, so the scan is
linear in the length of the line.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from collections import defaultdict, deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pelican.contents import Article, Content
from pelican.utils import get_date

from .catalogue import Catalogue, normalise, read_content
from .images import parse_attributes
from .social import image_file
from .sources import MARKDOWN_EXTENSIONS, Source, read_source

logger = logging.getLogger(__name__)

FENCE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,})")
BACKTICKS = re.compile(r"`+")
LIST_ITEM = re.compile(r"^\s{0,3}([-*+]|\d+[.)])\s")
# Bracketed text stops at the next bracket and tags at the next angle bracket: no
# match attempt scans past the start of the next one, which keeps the scan linear.
IMAGE = re.compile(
    r"!\[(?P<alt>[^\[\]\n]*)\](?:\(\s*(?P<target><[^<>\n]*>|[^\s()<]*)|\[[^\[\]\n]*\])"
)
LINK = re.compile(r"(?<![!\]])\[[^\[\]\n]*\]\(\s*(?P<target><[^<>\n]*>|[^\s()<]*)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\[\]\n]+\]:\s*(?P<target><[^<>\n]*>|\S+)")
HTML_IMG = re.compile(r"<img\b[^<>]*>", re.IGNORECASE)
HTML_HREF = re.compile(
    r"<(?:a|link|area)\b[^<>]*?\bhref\s*=\s*(?P<q>[\"'])(?P<target>[^\"'<>]*)(?P=q)",
    re.IGNORECASE,
)
# Pelican's intra-site syntax in full, for the kinds images.INTRASITE does not cover.
INTRASITE_ANY = re.compile(r"^[{|](?P<what>[a-z]+)[}|](?P<value>.*)$")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def check_content(settings: Mapping[str, Any], include_drafts: bool = True) -> list[Problem]:
    """Every problem in the site's articles and pages, sorted by file and line.

    ``include_drafts=False`` checks only what a build publishes (drafts and
    scheduled articles are left for later), which is what ``invoke publish`` needs.
    """
    return sorted(set(Checker(read_content(settings), include_drafts).run()))


def display_path(path: str | Path) -> str:
    """The path relative to the working directory when it is inside it."""
    absolute = Path(path).resolve()
    cwd = Path.cwd().resolve()
    return str(absolute.relative_to(cwd)) if absolute.is_relative_to(cwd) else str(absolute)


def blank_code_spans(line: str) -> str:
    """``line`` with each code span (`` `x` ``, ``` ``x`` ```) replaced by spaces.

    A span closes at the next run of exactly as many backticks. Runs are matched
    through one queue per length, each run taken at most once: linear, where the
    obvious back-referencing pattern is quadratic on a line of backticks.
    """
    runs = [match.span() for match in BACKTICKS.finditer(line)]
    if len(runs) < 2:
        return line
    by_length: dict[int, deque[tuple[int, int]]] = defaultdict(deque)
    for start, end in runs:
        by_length[end - start].append((start, end))
    blanked = list(line)
    position = 0
    for start, end in runs:
        if start < position:
            continue  # inside a span already blanked
        queue = by_length[end - start]
        while queue and queue[0][0] <= start:
            queue.popleft()
        if not queue:
            continue
        _, close = queue.popleft()
        blanked[start:close] = " " * (close - start)
        position = close
    return "".join(blanked)


class Checker:
    def __init__(self, catalogue: Catalogue, include_drafts: bool) -> None:
        self.catalogue = catalogue
        self.settings = catalogue.settings
        self.include_drafts = include_drafts
        self.published = catalogue.published_paths()
        self.drafts = catalogue.draft_paths()
        self.site_prefixes = self._site_prefixes()
        self.static_content = catalogue.context["static_content"]
        # What a {filename} link may name: content and static files, by source path.
        self.linkable = catalogue.context["generated_content"].keys() | self.static_content.keys()
        drafts = [*catalogue.draft_articles(), *catalogue.draft_pages()]
        self.draft_sources = {os.path.realpath(item.source_path) for item in drafts}
        self.article_status = {
            article.slug: article.status
            for article in [*catalogue.draft_articles(), *catalogue.published_articles()]
        }
        self.terms = {
            kind: {name for term in terms for name in (term.name, term.slug)}
            for kind, terms in (
                ("tag", catalogue.articles.tags),
                ("category", [term for term, _ in catalogue.articles.categories]),
                ("author", [term for term, _ in catalogue.articles.authors]),
            )
        }

    def _site_prefixes(self) -> list[str]:
        """Absolute addresses of this site, whose links are checked like internal ones."""
        prefixes = []
        for key in ("CANONICAL_SITEURL", "SITEURL", "FEED_DOMAIN"):
            value = self.settings.get(key) or ""
            if "://" in value:
                prefixes.append(value.rstrip("/") + "/")
        return prefixes

    def items(self) -> list[Content]:
        items = list(self.catalogue.everything())
        if not self.include_drafts:
            items = [item for item in items if item.status != "draft"]
        return items

    def run(self) -> Iterator[Problem]:
        items = self.items()
        yield from self.duplicate_slugs(items)
        for item in items:
            source = read_source(Path(item.source_path))
            where = display_path(item.source_path)
            for line, message in self.check_item(item, source):
                yield Problem(where, line, message)

    # ---- one file ----

    def check_item(self, item: Content, source: Source) -> Iterator[tuple[int, str]]:
        if source.path.suffix.lower() not in MARKDOWN_EXTENSIONS:
            # Only Markdown is read line by line; other formats get what Pelican read.
            if isinstance(item, Article) and not item.metadata.get("summary"):
                yield 1, "missing summary: add a summary of a sentence or two"
            return
        if isinstance(item, Article):
            yield from self.article_fields(source)
        yield from self.dates(source)
        yield from self.social_image(source)
        yield from self.related(item, source)
        for line_number, line in self.body_lines(source):
            yield from self.line_problems(item, line_number, line)

    def article_fields(self, source: Source) -> Iterator[tuple[int, str]]:
        if not source.value("summary"):
            yield source.line_of("summary"), "missing summary: add a Summary: of a sentence or two"
        if not source.value("category"):
            yield source.line_of("category"), "missing category: add a Category:"
        if "date" not in source.fields:
            yield 1, "missing date: add a Date: with its time zone, e.g. 2026-11-30 08:00+01:00"

    def dates(self, source: Source) -> Iterator[tuple[int, str]]:
        for key in ("date", "modified"):
            if key not in source.fields or not source.value(key):
                continue
            raw = source.value(key)
            try:
                parsed = get_date(raw)
            except (ValueError, OverflowError):
                yield source.line_of(key), f"unreadable {key.title()}: {raw!r}"
                continue
            if parsed.tzinfo is None:
                yield (
                    source.line_of(key),
                    f"{key.title()} without a time zone: {raw!r} "
                    "(write the offset, e.g. 2026-11-30 08:00+01:00)",
                )

    def social_image(self, source: Source) -> Iterator[tuple[int, str]]:
        image = source.value("image")
        if not image:
            return
        line = source.line_of("image")
        # The lookup the build makes (social.py): anything else gets no social card.
        if image_file(image, self.static_content) is None:
            yield line, f"Image: not one of the site's static files: {image}"
        if not source.value("image_alt"):
            yield line, "Image without alt text: add an Image_alt: describing it"

    def related(self, item: Content, source: Source) -> Iterator[tuple[int, str]]:
        related = source.value("related")
        line = source.line_of("related")
        for reference in (part.strip() for part in related.split(",")):
            if not reference or reference.startswith(("http://", "https://")):
                continue
            status = self.article_status.get(reference)
            if status is None:
                yield line, f"Related: no article has the slug {reference!r}"
            elif status == "draft" and item.status != "draft":
                yield line, f"Related: {reference!r} is a draft, not published"

    def body_lines(self, source: Source) -> Iterator[tuple[int, str]]:
        """(line number, text) of body lines outside code, with code spans blanked."""
        fence = None
        previous_blank = True
        in_list = False
        for index in range(source.body_start - 1, len(source.lines)):
            line = source.lines[index]
            opening = FENCE.match(line)
            if fence:
                if (
                    opening
                    and opening.group("fence")[0] == fence[0]
                    and (len(opening.group("fence")) >= len(fence))
                ):
                    fence = None
                continue
            if opening:
                fence = opening.group("fence")
                continue
            indented = line.startswith(("    ", "\t"))
            if not line.strip():
                previous_blank = True
                continue
            if indented and previous_blank and not in_list:
                continue  # an indented code block
            if not indented:
                in_list = bool(LIST_ITEM.match(line))
            previous_blank = False
            yield index + 1, blank_code_spans(line)

    def line_problems(self, item: Content, number: int, line: str) -> Iterator[tuple[int, str]]:
        images = list(IMAGE.finditer(line))
        for match in images:
            if not match.group("alt").strip():
                yield number, f"image without alt text: {match.group('target') or match.group(0)}"
        for tag in HTML_IMG.findall(line):
            attributes = parse_attributes(tag)
            if not (attributes.get("alt") or "").strip():
                yield number, f"image without alt text: {tag}"
            if attributes.get("src"):
                yield from self.target(item, number, attributes["src"])
        targets = [m.group("target") for m in images if m.group("target")]
        targets += [m.group("target") for m in LINK.finditer(line)]
        targets += [m.group("target") for m in REFERENCE.finditer(line)]
        targets += [m.group("target") for m in HTML_HREF.finditer(line)]
        for target in targets:
            yield from self.target(item, number, target.strip("<>"))

    # ---- links ----

    def target(self, item: Content, number: int, target: str) -> Iterator[tuple[int, str]]:
        problem = self.link_problem(item, target)
        if problem:
            yield number, f"{problem}: {target}"

    def link_problem(self, item: Content, target: str) -> str | None:
        if not target:
            return "empty link"
        intrasite = INTRASITE_ANY.match(target)
        if intrasite:
            return self.intrasite_problem(item, intrasite.group("what"), intrasite.group("value"))
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            absolute = target if parts.scheme else "https:" + target
            prefix = next((p for p in self.site_prefixes if absolute.startswith(p)), None)
            if prefix is None:
                return None  # another site, or mailto:; nothing to check offline
            return self.path_problem(item, "/" + absolute[len(prefix) :])
        if not parts.path:
            return None  # "#section" or "?query" on the same page
        return self.path_problem(item, target)

    def intrasite_problem(self, item: Content, what: str, value: str) -> str | None:
        path = unquote(urlsplit(value).path)
        if what in ("filename", "static", "attach"):
            base = self.catalogue.root if path.startswith("/") else Path(item.source_path).parent
            file = (base / path.lstrip("/")).resolve()
            root = self.catalogue.root.resolve()
            if not file.is_relative_to(root):
                return f"{{{what}}} link to a file outside the content folder"
            if not file.is_file():
                return f"{{{what}}} link to a file that does not exist"
            relative = file.relative_to(root).as_posix()
            if what == "filename" and relative not in self.linkable:
                return "{filename} link to a file that is neither content nor static"
            if str(file) in self.draft_sources and item.status != "draft":
                return "link to a draft, which is not published"
            return None
        if what in self.terms:
            if value not in self.terms[what]:
                return f"{{{what}}} link to a {what} no published article has"
            return None
        if what == "index":
            return None
        return f"unknown link type {{{what}}}"

    def path_problem(self, item: Content, target: str) -> str | None:
        """A plain link, resolved against the page's own URL as a browser would."""
        path = unquote(urlsplit(target).path)
        if path.startswith("/"):
            resolved = path
        else:
            resolved = "/" + posixpath.join(posixpath.dirname(item.url), path)
        resolved = normalise(posixpath.normpath(resolved) + ("/" if path.endswith("/") else ""))
        resolved = "" if resolved == "." else resolved
        if resolved in self.published or self._theme_file(resolved):
            return None
        if resolved in self.drafts:
            return None if item.status == "draft" else "link to a draft, which is not published"
        return "internal link to a page that does not exist"

    def _theme_file(self, path: str) -> bool:
        prefix = self.settings.get("THEME_STATIC_DIR", "theme").strip("/") + "/"
        if not path.startswith(prefix):
            return False
        theme = Path(self.settings["THEME"])
        relative = path[len(prefix) :]
        folders = self.settings.get("THEME_STATIC_PATHS", ["static"])
        return any((theme / folder / relative).is_file() for folder in folders)

    # ---- across files ----

    def duplicate_slugs(self, items: list[Content]) -> Iterator[Problem]:
        groups: dict[tuple[str, str, str], list[Content]] = defaultdict(list)
        for item in items:
            kind = "article" if isinstance(item, Article) else "page"
            groups[(kind, item.slug, getattr(item, "lang", ""))].append(item)
        for (kind, slug, _), same in groups.items():
            if len(same) < 2:
                continue
            for item in same:
                others = ", ".join(display_path(o.source_path) for o in same if o is not item)
                source = read_source(Path(item.source_path))
                line = (
                    source.line_of("slug") if "slug" in source.fields else source.line_of("title")
                )
                yield Problem(
                    display_path(item.source_path),
                    line,
                    f"duplicate slug {slug!r}: another {kind} has it too ({others})",
                )
