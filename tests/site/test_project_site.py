"""The real project site (content/ + theme + comments plugin) builds and is accessible."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from .conftest import parse

pytestmark = pytest.mark.slow


def html_files(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if "feeds" not in p.parts)


def article_pages(output: Path) -> list[Path]:
    return [p for p in html_files(output) if p.parent.name.isdigit()]


def resolve(page: Path, output: Path, href: str) -> Path:
    """The file a relative link on ``page`` points at, inside ``output``."""
    relative_page = page.relative_to(output).as_posix()
    target = urljoin("http://site.invalid/" + relative_page, href)
    path = urlparse(target).path.lstrip("/")
    resolved = output / path
    return resolved / "index.html" if resolved.is_dir() else resolved


def test_every_template_renders(project_site):
    output, _ = project_site
    expected = [
        "index.html",
        "archives.html",
        "tags.html",
        "categories.html",
        "authors.html",
        "404.html",
    ]
    for name in expected:
        assert (output / name).is_file(), f"{name} was not written"
    for folder in ("tag", "category", "author", "pages"):
        pages = list((output / folder).glob("*.html"))
        assert pages, f"no {folder} pages were written"
    assert article_pages(output), "no article pages were written"
    # Every page comes from our theme, not from Pelican's fallback "simple" theme.
    for page in html_files(output):
        soup = parse(page)
        assert soup.select_one("a.skip-link"), f"{page.name} is not rendered by our base.html"


def test_index_is_paginated(project_site):
    output, settings = project_site
    articles = len(article_pages(output))
    if articles <= settings["DEFAULT_PAGINATION"]:
        pytest.skip("content/ has too few articles to need a second index page")
    soup = parse(output / "index.html")
    pagination = soup.select_one("nav.pagination")
    assert pagination is not None
    assert pagination.select_one('a[rel="next"]')["href"].endswith("index2.html")
    assert (output / "index2.html").is_file()


def test_landmarks_language_and_skip_link(project_site):
    output, settings = project_site
    for page in html_files(output):
        soup = parse(page)
        assert soup.html["lang"] == settings["DEFAULT_LANG"], page
        for landmark in ("header", "nav", "main", "aside", "footer"):
            assert soup.find(landmark), f"{page.name} has no <{landmark}>"
        assert len(soup.find_all("main")) == 1, page
        skip = soup.select_one("a.skip-link")
        assert skip["href"] == "#main"
        assert soup.find("main")["id"] == "main"
        # The skip link is the first focusable thing on the page.
        first_link = soup.body.find(["a", "button", "input", "textarea", "select"])
        assert first_link is skip, page
        assert soup.title and soup.title.get_text(strip=True), f"{page.name} has no <title>"
        assert soup.find("h1"), f"{page.name} has no <h1>"


def test_every_article_has_count_feed_link_and_thread_section(project_site):
    output, settings = project_site
    for page in article_pages(output):
        soup = parse(page)
        section = soup.select_one("section#comments")
        assert section is not None, f"{page} has no comments section"
        heading = section.find("h2").get_text(" ", strip=True)
        assert "comment" in heading.lower(), heading
        feed_link = soup.select_one('head link[rel="alternate"][href*="feeds/comments/"]')
        assert feed_link is not None and feed_link["type"] == "application/atom+xml", page
        anchor = section.select_one('a[href*="feeds/comments/"]')
        assert anchor is not None and anchor["href"] == feed_link["href"]
        assert resolve(page, output, anchor["href"]).is_file(), anchor["href"]
        form = soup.select_one("form#comment-form")
        closed = soup.select_one(".comments-closed")
        assert bool(form) != bool(closed), f"{page}: exactly one of the form or the closed note"
        if form:
            assert form["action"] == settings["COMMENTS_INTAKE_URL"]


def test_related_links_resolve(project_site):
    output, _ = project_site
    seen_related = 0
    for page in article_pages(output):
        soup = parse(page)
        related = soup.select_one("nav.related")
        if related is None:
            continue
        missing = [item.get_text() for item in related.select(".related__missing")]
        assert not missing, f"{page}: unknown related slugs {missing}"
        for link in related.find_all("a"):
            seen_related += 1
            href = link["href"]
            if urlparse(href).scheme:
                assert urlparse(href).scheme in ("http", "https")
                continue
            target = resolve(page, output, href)
            assert target.is_file(), f"{page}: related link {href} leads nowhere"
            target_title = parse(target).find("h1").get_text(" ", strip=True)
            assert link.get_text(" ", strip=True) == target_title
    if not seen_related:
        pytest.skip("no article in content/ declares related articles")


def test_internal_links_resolve(project_site):
    output, _ = project_site
    for page in html_files(output):
        for link in parse(page).find_all("a", href=True):
            href = link["href"]
            parsed = urlparse(href)
            if parsed.scheme or href.startswith("#") or href.startswith("mailto:"):
                continue
            assert resolve(page, output, parsed.path).exists(), f"{page.name}: broken link {href}"


def test_article_metadata_block(project_site):
    output, settings = project_site
    for page in article_pages(output):
        soup = parse(page)
        published = soup.select_one("time.published")
        assert published is not None, page
        stamp = published["datetime"]
        assert stamp[-6] in "+-" and stamp[-3] == ":", f"{page}: {stamp} lacks a UTC offset"
        author = soup.select_one('a[rel="author"]').get_text(strip=True)
        bio = settings["AUTHOR_BIOS"].get(author)
        if bio:
            assert soup.select_one("section.author-bio p").get_text(strip=True) == bio
        assert soup.select_one('a[rel="bookmark"].permalink')["href"].endswith(page.name)
        assert soup.select('a[rel="tag"]'), f"{page}: no category or tag links"


def test_404_page_links_from_the_site_root(project_site):
    # It is served for any missing path, so relative links would point nowhere.
    output, _ = project_site
    soup = parse(output / "404.html")
    assert soup.find("link", rel="stylesheet")["href"] == "/theme/css/style.css"
    assert soup.find("h1").get_text(strip=True) == "Page not found"
