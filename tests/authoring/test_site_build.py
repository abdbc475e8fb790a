"""Real Pelican builds: sitemap, canonical links, social cards, JSON-LD, search index,
figures, code, reading time, series, drafts and scheduled articles, share links."""

from __future__ import annotations

import gzip
import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

import pytest
from PIL import Image

from .conftest import PUBLISHED_SITEURL, WIDE_IMAGE_SIZE, parse

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
FRAGMENT_PREFIX = b"pagefind_dcd"


def html_pages(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if "pagefind" not in p.parts)


def article_files(output: Path) -> list[Path]:
    return sorted(p for p in output.glob("[0-9][0-9][0-9][0-9]/*.html"))


def sitemap_locations(output: Path) -> list[str]:
    root = ElementTree.parse(output / "sitemap.xml").getroot()
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    return [loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)]


def indexed_pages(output: Path) -> dict[str, str]:
    """What Pagefind indexed: URL -> text, read from its (gzipped JSON) fragments."""
    pages = {}
    for fragment in (output / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(fragment.read_bytes())
        assert data.startswith(FRAGMENT_PREFIX)
        record = json.loads(data[len(FRAGMENT_PREFIX) :])
        pages[record["url"]] = record["content"]
    return pages


def meta(soup, key: str) -> list[str]:
    return [tag["content"] for tag in soup.find_all("meta", attrs={"property": key})] + [
        tag["content"] for tag in soup.find_all("meta", attrs={"name": key})
    ]


def json_ld(soup) -> dict:
    blocks = soup.find_all("script", attrs={"type": "application/ld+json"})
    assert len(blocks) == 1
    return json.loads(blocks[0].get_text())


# ---- The demo site (content/ plus a draft and a scheduled article) ----


def test_demo_sitemap_is_valid_and_lists_every_article_but_no_draft(demo_site):
    output, settings = demo_site
    base = settings["CANONICAL_SITEURL"]
    locations = sitemap_locations(output)
    assert len(locations) == len(set(locations)), "a URL is listed twice"
    assert all(loc.startswith(base + "/") for loc in locations), "every <loc> is absolute"
    articles = article_files(output)
    assert len(articles) >= 9
    for article in articles:
        assert f"{base}/{article.relative_to(output).as_posix()}" in locations, article
    assert not [loc for loc in locations if "/drafts/" in loc or "a-demo-" in loc]
    for excluded in ("404.html", "search.html", "robots.txt", "share/mastodon.html"):
        assert f"{base}/{excluded}" not in locations
    assert f"{base}/" in locations, "the home page"
    assert f"{base}/pages/about.html" in locations
    assert f"{base}/pages/comment-received.html" not in locations, "hidden pages stay out"
    robots = (output / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {base}/sitemap.xml" in robots
    assert "Disallow: /drafts/" in robots


def test_demo_article_has_canonical_open_graph_twitter_and_json_ld(demo_site):
    output, settings = demo_site
    base = settings["CANONICAL_SITEURL"]
    page = output / "2026" / "lurking-is-learning.html"
    soup = parse(page)
    url = f"{base}/2026/lurking-is-learning.html"
    canonical = soup.find_all("link", rel="canonical")
    assert len(canonical) == 1
    assert urljoin(url, canonical[0]["href"]) == url
    assert meta(soup, "og:url") == [url]
    assert meta(soup, "og:type") == ["article"]
    assert meta(soup, "og:title") == ["In defence of lurking"]
    assert meta(soup, "og:description")[0].startswith("Most members of most online communities")
    assert meta(soup, "og:site_name") == [settings["SITENAME"]]
    assert meta(soup, "article:published_time") == ["2026-04-09T13:40:00+02:00"]
    assert meta(soup, "article:author") == [f"{base}/author/tomas-reyes.html"]
    assert meta(soup, "og:image") == [f"{base}/images/participation.png"]
    assert meta(soup, "og:image:width") == ["1200"] and meta(soup, "og:image:height") == ["630"]
    assert meta(soup, "og:image:alt")[0].startswith("Bar chart")
    assert meta(soup, "twitter:card") == ["summary_large_image"]
    assert meta(soup, "twitter:title") == ["In defence of lurking"]
    assert meta(soup, "twitter:image") == [f"{base}/images/participation.png"]

    data = json_ld(soup)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "BlogPosting"
    assert data["headline"] == "In defence of lurking"
    assert data["url"] == data["mainEntityOfPage"]["@id"] == url
    assert data["datePublished"] == "2026-04-09T13:40:00+02:00"
    assert data["author"] == [
        {"@type": "Person", "name": "Tomás Reyes", "url": f"{base}/author/tomas-reyes.html"}
    ]
    assert data["description"] == meta(soup, "og:description")[0]
    assert data["image"]["url"] == f"{base}/images/participation.png"
    assert data["image"]["width"] == 1200
    assert data["publisher"]["name"] == settings["SITENAME"]
    assert "lurking" in data["keywords"]


def test_every_demo_page_has_one_canonical_link_to_itself(demo_site):
    output, settings = demo_site
    pages = html_pages(output)
    assert len(pages) > 30
    for page in pages:
        soup = parse(page)
        links = soup.find_all("link", rel="canonical")
        assert len(links) == 1, page
        own = "http://site.invalid/" + page.relative_to(output).as_posix()
        target = urljoin(own, links[0]["href"])
        expected = own[: -len("index.html")] if own.endswith("index.html") else own
        assert target == expected, f"{page}: canonical {links[0]['href']}"
        assert meta(soup, "og:url"), f"{page} has no og:url"
        assert meta(soup, "og:url")[0].startswith(settings["CANONICAL_SITEURL"] + "/")


def test_demo_search_index_finds_a_word_from_one_article(demo_site):
    output, _ = demo_site
    pages = indexed_pages(output)
    articles = {"/" + p.relative_to(output).as_posix() for p in article_files(output)}
    assert articles <= set(pages), "every published article is indexed"
    # "typesetting" is only in the lurking article.
    found = [url for url, text in pages.items() if "typesetting" in text.lower()]
    assert found == ["/2026/lurking-is-learning.html"]
    assert not [url for url in pages if "drafts/" in url], "drafts are not indexed"
    assert not [text for text in pages.values() if "grimbleshanks" in text]
    assert "/search.html" not in pages and "/index.html" not in pages and "/" not in pages
    assert "/pages/comment-received.html" not in pages, "hidden pages are not indexed"
    entry = json.loads((output / "pagefind" / "pagefind-entry.json").read_text())
    assert entry["languages"]["en"]["page_count"] == len(pages)


def test_demo_drafts_build_to_drafts_and_stay_out_of_feeds(demo_site):
    output, _ = demo_site
    assert (output / "drafts" / "a-demo-draft.html").is_file()
    assert (output / "drafts" / "a-demo-future.html").is_file()
    assert not list(output.rglob("2099")), "a future article is not published before its date"
    assert not (output / "2026" / "a-demo-draft.html").exists()
    for feed in (output / "feeds").rglob("*.xml"):
        text = feed.read_text(encoding="utf-8")
        assert "a-demo-draft" not in text and "a-demo-future" not in text, feed
    for listing in ("index.html", "archives.html", "category/practice.html"):
        text = (output / listing).read_text(encoding="utf-8")
        assert "a-demo-draft" not in text and "a-demo-future" not in text, listing


# ---- The authoring fixture site ----


def test_lone_titled_image_becomes_a_figure_with_caption_and_size(authored_site):
    output, _ = authored_site
    soup = parse(output / "2026" / "figures.html")
    figures = soup.select(".entry-content figure.figure")
    assert len(figures) == 2
    local, remote = figures
    image = local.find("img")
    assert image["src"] == "../images/wide.png"
    assert (image["width"], image["height"]) == tuple(str(n) for n in WIDE_IMAGE_SIZE)
    assert image["loading"] == "lazy" and image["decoding"] == "async"
    assert image["alt"].startswith("A wide test picture")
    assert not image.get("title"), "the caption is not repeated as a tooltip"
    caption = local.find("figcaption")
    assert caption.get_text() == "The caption <comes> from the title & is escaped"
    assert "&lt;comes&gt;" in str(caption)
    assert remote.find("img")["loading"] == "lazy"
    assert not remote.find("img").get("width"), "a remote image's size is unknown offline"
    assert remote.find("figcaption").get_text() == "Remote pictures keep their caption"

    inline = soup.select_one('.entry-content p img[alt="A small diagram"]')
    assert inline.parent.name == "p" and "in the middle" in inline.parent.get_text()
    assert (inline["width"], inline["height"]) == ("240", "120"), "SVG size from its attributes"
    assert inline["loading"] == "lazy"
    untitled = soup.select_one('.entry-content img[alt="A picture alone, without a title"]')
    assert untitled.parent.name == "p", "no title, no caption: it stays a plain image"
    assert untitled["width"] == "800"
    with Image.open(output / "images" / "wide.png") as written:
        assert written.size == WIDE_IMAGE_SIZE


def test_code_blocks_are_highlighted_with_pygments_classes(authored_site):
    output, _ = authored_site
    soup = parse(output / "2026" / "highlighted-code.html")
    blocks = soup.select(".entry-content div.highlight pre")
    assert len(blocks) == 4
    classes = {cls for span in soup.select(".highlight span[class]") for cls in span["class"]}
    assert {"k", "kn", "nf", "nc", "nd", "s2", "sd", "mi", "c1", "nb", "nt", "na", "gd", "gi"} <= (
        classes
    )
    css = (output / "theme" / "css" / "style.css").read_text(encoding="utf-8")
    for token in ("k", "s2", "mi", "c1", "nf", "nb", "nt", "gd", "gi"):
        assert re.search(rf"\.highlight \.{token}\b[^{{]*\{{[^}}]*color:", css), token


def test_reading_time_and_series_on_the_article_page(authored_site):
    output, _ = authored_site
    soup = parse(output / "2026" / "highlighted-code.html")
    assert soup.select_one(".entry-header .reading-time").get_text() == "1 min read"
    series = soup.select_one("nav.series")
    heading = series.find("h2").get_text(" ", strip=True)
    # The third part is a draft: published pages count only the published parts.
    assert heading == "Part 1 of 2 in the series “Learning in the open”"
    parts = series.select("ol li")
    assert [li.get_text(strip=True) for li in parts] == ["Highlighted code", "Figures and images"]
    assert parts[0].select_one('[aria-current="page"]') and not parts[0].find("a")
    assert parts[1].find("a")["href"] == "../2026/figures.html"
    assert series.select_one('a[rel="next"]')["href"] == "../2026/figures.html"
    assert not series.select_one('a[rel="prev"]')

    draft = parse(output / "drafts" / "series-draft.html")
    heading = draft.select_one("nav.series h2").get_text(" ", strip=True)
    assert heading.startswith("Part 3 of 3"), "a draft previews itself in its series"
    assert draft.select_one(".reading-time"), "drafts show a reading time too"


def test_a_long_article_reads_in_minutes(demo_site):
    output, _ = demo_site
    soup = parse(output / "2025" / "communities-of-practice.html")
    words = len(soup.select_one(".entry-content").get_text().split())
    shown = soup.select_one(".reading-time").get_text()
    minutes = int(re.fullmatch(r"(\d+) min read", shown).group(1))
    # pelican-readtime: 200 words a minute (it counts the HTML, so allow a little).
    assert abs(minutes - words / 200) <= 1.5, (minutes, words)


def test_drafts_and_scheduled_articles_say_so_and_are_hidden_from_search(authored_site):
    output, _ = authored_site
    draft = parse(output / "drafts" / "series-draft.html")
    assert "Draft:" in draft.select_one(".notice").get_text()
    assert meta(draft, "robots") == ["noindex"]
    assert not draft.select("[data-pagefind-body]")
    scheduled = parse(output / "drafts" / "scheduled.html")
    notice = scheduled.select_one(".notice").get_text(" ", strip=True)
    assert "Scheduled:" in notice and "2099" in notice
    assert not list(output.glob("2099/*.html"))
    pages = indexed_pages(output)
    assert not [t for t in pages.values() if "vellichorn" in t or "brindlewhorl" in t]
    assert "scheduled" not in (output / "feeds" / "all.atom.xml").read_text(encoding="utf-8")


def test_comments_are_not_indexed(authored_site):
    output, _ = authored_site
    article = output / "2026" / "highlighted-code.html"
    assert "snorkelwhimsy" in article.read_text(encoding="utf-8"), "the comment is on the page"
    pages = indexed_pages(output)
    assert "quorvantile" in pages["/2026/highlighted-code.html"]
    assert not [url for url, text in pages.items() if "snorkelwhimsy" in text]
    assert "pellucidarium" in pages["/pages/about-the-fixture.html"], "pages are indexed"


def test_share_links_are_plain_and_carry_the_canonical_address(published_authored_site):
    output, _ = published_authored_site
    soup = parse(output / "2026" / "figures.html")
    url = f"{PUBLISHED_SITEURL}/2026/figures.html"
    links = {a.get_text(strip=True): a["href"] for a in soup.select("section.share a")}
    assert set(links) == {"Email", "Mastodon", "LinkedIn", "Bluesky"}
    email = urlsplit(links["Email"])
    assert email.scheme == "mailto"
    assert url in parse_qs(email.query)["body"][0]
    assert parse_qs(email.query)["subject"] == ["Figures and images"]
    assert links["LinkedIn"].startswith("https://www.linkedin.com/sharing/share-offsite/?url=")
    assert parse_qs(urlsplit(links["LinkedIn"]).query)["url"] == [url]
    assert links["Bluesky"].startswith("https://bsky.app/intent/compose?text=")
    assert parse_qs(urlsplit(links["Bluesky"]).query)["text"] == [f"Figures and images {url}"]
    mastodon = urlsplit(links["Mastodon"])
    assert f"{mastodon.scheme}://{mastodon.netloc}{mastodon.path}" == (
        f"{PUBLISHED_SITEURL}/share/mastodon.html"
    )
    assert quote(url, safe="") in mastodon.query
    assert unquote(parse_qs(mastodon.query)["text"][0]).endswith(url)
    assert (output / "share" / "mastodon.html").is_file()
    # Plain links: the article's only script is the comment form's own.
    assert [s["src"] for s in soup.find_all("script", src=True)] == [
        f"{PUBLISHED_SITEURL}/theme/js/comments.js"
    ]


def test_published_build_uses_absolute_canonical_addresses(published_authored_site):
    output, settings = published_authored_site
    assert settings["CANONICAL_SITEURL"] == PUBLISHED_SITEURL
    article = parse(output / "2026" / "figures.html")
    assert article.find("link", rel="canonical")["href"] == f"{PUBLISHED_SITEURL}/2026/figures.html"
    assert meta(article, "og:image") == [f"{PUBLISHED_SITEURL}/images/wide.png"]
    page = parse(output / "pages" / "about-the-fixture.html")
    assert page.find("link", rel="canonical")["href"] == (
        f"{PUBLISHED_SITEURL}/pages/about-the-fixture.html"
    )
    assert meta(page, "og:type") == ["website"]
    assert meta(page, "og:image") == [f"{PUBLISHED_SITEURL}/images/wide.png"]
    assert meta(page, "og:description") == [
        "A page, to check that pages get canonical links and social cards too."
    ]
    assert parse(output / "index.html").find("link", rel="canonical")["href"] == (
        f"{PUBLISHED_SITEURL}/"
    )
    locations = sitemap_locations(output)
    assert f"{PUBLISHED_SITEURL}/2026/figures.html" in locations
    assert f"{PUBLISHED_SITEURL}/drafts/series-draft.html" not in locations


@pytest.mark.parametrize("name", ["search.html", "share/mastodon.html", "404.html"])
def test_utility_pages_are_not_for_search_engines(authored_site, name):
    output, _ = authored_site
    soup = parse(output / name)
    assert meta(soup, "robots") == ["noindex"]
    assert not soup.select("[data-pagefind-body]")


def test_markup_in_titles_and_summaries_stays_text_in_cards_and_json_ld(authored_site):
    # Titles and summaries are the author's HTML (the page shows <em> as emphasis);
    # in meta tags and JSON-LD they must be plain text that cannot close the block.
    output, _ = authored_site
    soup = parse(output / "2026" / "hostile-title.html")
    inline = [s for s in soup.head.find_all("script") if not s.get("src")]
    assert [s.get("type") for s in inline] == ["application/ld+json"]
    assert "</" not in inline[0].string
    data = json_ld(soup)
    assert data["headline"] == 'Quotes " and markup in a title'
    assert data["description"] == 'A summary with markup & "quotes".'
    assert meta(soup, "og:title") == [data["headline"]]
    assert meta(soup, "twitter:description") == [data["description"]]
    assert soup.select_one("h1.entry-title em").get_text() == "markup"
