"""Search, code colours, the Mastodon share page and figures in real headless Chromium."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import serve
from tests.prerequisites import needs_chromium
from tests.site.test_contrast import AA_NORMAL_TEXT, contrast_ratio

pytestmark = [pytest.mark.browser, needs_chromium]

CODE_COLOURS_JS = """
() => {
  const hex = (rgb) => '#' + rgb.match(/\\d+/g).slice(0, 3)
      .map((n) => Number(n).toString(16).padStart(2, '0')).join('');
  return Array.from(document.querySelectorAll('.highlight pre')).flatMap((pre) => {
    const background = hex(getComputedStyle(pre).backgroundColor);
    return Array.from(pre.querySelectorAll('span[class]'))
      .filter((span) => span.textContent.trim())
      .map((span) => [span.className, hex(getComputedStyle(span).color), background]);
  });
}
"""


@pytest.fixture(scope="module")
def site_url(authored_site):
    output, _ = authored_site
    with serve(output) as base_url:
        yield base_url


def watch_errors(page) -> list[str]:
    """Script errors. Failed requests are not counted: the article pages' comment form
    asks an intake service for a token, and none runs here."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.text.startswith("Failed to load resource")
            and errors.append(m.text)
        ),
    )
    return errors


def search(page, word: str) -> str:
    page.fill("#search-input", word)
    page.press("#search-input", "Enter")
    status = page.locator("#search-status")
    status.filter(has_text=re.compile(r"results?|No results")).wait_for(timeout=10_000)
    return status.inner_text()


def test_search_finds_an_article_with_javascript(page, site_url):
    errors = watch_errors(page)
    page.goto(f"{site_url}/search.html")
    assert page.locator("#search-form").is_visible()
    assert not page.locator("#search-fallback").is_visible()

    assert search(page, "quorvantile") == "1 result for “quorvantile”."
    results = page.locator(".search-result a")
    assert results.count() == 1
    assert results.first.get_attribute("href") == "/2026/highlighted-code.html"
    assert results.first.inner_text() == "Highlighted code"
    assert "quorvantile" in page.locator(".search-result mark").first.inner_text().lower()
    assert parse_qs(urlsplit(page.url).query) == {"q": ["quorvantile"]}
    results.first.click()
    page.wait_for_url("**/2026/highlighted-code.html")

    page.goto(f"{site_url}/search.html?q=pellucidarium")
    page.locator(".search-result a").first.wait_for(timeout=10_000)
    assert page.locator(".search-result a").first.get_attribute("href") == (
        "/pages/about-the-fixture.html"
    )
    # Comments, drafts and scheduled articles are not in the index.
    for word in ("snorkelwhimsy", "vellichorn", "brindlewhorl"):
        assert search(page, word) == f"No results for “{word}”."
    assert errors == []


@pytest.mark.parametrize(
    ("path", "form", "fallback"),
    [
        ("search.html", "#search-form", "#search-fallback"),
        ("share/mastodon.html?text=Hello", "#mastodon-share", "#share-fallback"),
    ],
)
def test_without_javascript_the_page_says_so(browser, site_url, path, form, fallback):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{site_url}/{path}")
        assert not page.locator(form).is_visible()
        notice = page.locator(fallback)
        assert notice.is_visible()
        assert "JavaScript" in notice.inner_text()
        if path == "search.html":
            links = {a.inner_text(): a.get_attribute("href") for a in notice.locator("a").all()}
            assert links == {
                "tag": "./tags.html",
                "category": "./categories.html",
                "archives": "./archives.html",
            }
            for href in links.values():
                assert page.request.get(f"{site_url}/{href}").ok
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_highlighted_code_has_coloured_tokens_that_pass_contrast(page, site_url, scheme):
    page.emulate_media(color_scheme=scheme)
    page.goto(f"{site_url}/2026/highlighted-code.html")
    tokens = page.evaluate(CODE_COLOURS_JS)
    assert len(tokens) > 60
    failures = [
        f".{cls}: {fg} on {bg} = {contrast_ratio(fg, bg):.2f}"
        for cls, fg, bg in tokens
        if contrast_ratio(fg, bg) < AA_NORMAL_TEXT
    ]
    assert not failures, "\n".join(failures)
    colours = {fg for _, fg, _ in tokens}
    assert len(colours) >= 6, f"only {len(colours)} colours: {colours}"
    background = tokens[0][2]
    assert (background == "#e9e5da") if scheme == "light" else (background == "#23282f")


def test_the_mastodon_share_page_opens_the_readers_server(page, site_url):
    errors = watch_errors(page)
    page.goto(f"{site_url}/2026/figures.html")
    canonical = "http://127.0.0.1:8000/2026/figures.html"
    page.locator("section.share a", has_text="Mastodon").click()
    page.wait_for_url("**/share/mastodon.html?text=*")
    assert page.locator("#mastodon-text").input_value() == f"Figures and images {canonical}"

    requested: list[str] = []

    def answer(route):
        requested.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<title>server</title>")

    page.route("https://example.social/**", answer)
    page.fill("#mastodon-server", "not a server")
    page.click("#mastodon-share button[type=submit]")
    assert page.locator("#mastodon-error").is_visible()
    assert page.locator("#mastodon-server").get_attribute("aria-invalid") == "true"
    assert requested == []

    page.fill("#mastodon-server", "@reader@Example.Social")
    page.click("#mastodon-share button[type=submit]")
    page.wait_for_url("https://example.social/**")
    assert len(requested) == 1
    address = urlsplit(requested[0])
    assert address.path == "/share"
    assert parse_qs(address.query)["text"] == [f"Figures and images {canonical}"]

    page.goto(f"{site_url}/share/mastodon.html?text=again")
    assert page.locator("#mastodon-server").input_value() == "example.social", "remembered"
    assert errors == []


def test_a_figure_keeps_its_space_before_the_image_arrives(page, site_url):
    page.route("**/*.png", lambda route: route.abort())
    page.goto(f"{site_url}/2026/figures.html")
    image = page.locator("figure.figure img").first
    image.scroll_into_view_if_needed()
    box = image.bounding_box()
    assert box["width"] > 100
    # width and height attributes give the box its 2:1 shape with no image data.
    assert box["height"] == pytest.approx(box["width"] / 2, abs=1.5)
    assert image.get_attribute("loading") == "lazy"
