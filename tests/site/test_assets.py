"""Every asset comes from the site itself: no CDN, web font or third-party URL."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from .conftest import parse
from .sitebuild import FIXTURE_CONTENT, PUBLISH_SETTINGS_FILE, build_site, copy_content

SITEURL = "https://blog.test.invalid"
# Elements that make the browser fetch something when the page loads.
ASSET_ATTRIBUTES = {
    "link": "href",
    "script": "src",
    "img": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "iframe": "src",
    "embed": "src",
    "object": "data",
}


def off_site_assets(soup, siteurl: str) -> list[str]:
    offending = []
    for tag, attribute in ASSET_ATTRIBUTES.items():
        for element in soup.find_all(tag):
            url = element.get(attribute)
            if not url:
                continue
            if tag == "link" and "webmention" in (element.get("rel") or []):
                continue  # where other sites send Webmentions: never loaded by a browser
            parsed = urlparse(url)
            if not parsed.scheme and not parsed.netloc:
                continue  # relative to the site
            if siteurl and url.startswith(siteurl + "/"):
                continue
            offending.append(f"<{tag} {attribute}={url!r}>")
        for element in soup.find_all(srcset=True):
            offending += [
                f"<{element.name} srcset>"
                for part in element["srcset"].split(",")
                if urlparse(part.strip()).netloc
            ]
    return offending


def test_the_detector_finds_remote_assets():
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(
        '<link rel="stylesheet" href="https://fonts.example/css">'
        '<script src="//cdn.example/x.js"></script><img src="/theme/a.png">'
        f'<img src="{SITEURL}/theme/b.png">',
        "lxml",
    )
    assert off_site_assets(soup, SITEURL) == [
        "<link href='https://fonts.example/css'>",
        "<script src='//cdn.example/x.js'>",
    ]


def test_no_off_site_assets_in_the_local_build(project_site):
    output, _ = project_site
    pages = list(output.rglob("*.html"))
    assert pages
    for page in pages:
        assert not off_site_assets(parse(page), ""), page


@pytest.fixture(scope="module")
def published_site(tmp_path_factory, require_plugin, monkeypatch_module):
    monkeypatch_module.setenv("SITEURL", SITEURL)
    monkeypatch_module.delenv("COMMENTS_INTAKE_URL", raising=False)
    base = tmp_path_factory.mktemp("published")
    content = copy_content(FIXTURE_CONTENT, base / "content")
    output = base / "output"
    settings = build_site(content, output, settings_file=PUBLISH_SETTINGS_FILE)
    return output, settings


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_published_build_uses_absolute_site_urls(published_site):
    output, settings = published_site
    assert settings["SITEURL"] == SITEURL
    assert settings["COMMENTS_INTAKE_URL"] == SITEURL + "/comments"
    for page in output.rglob("*.html"):
        soup = parse(page)
        assert not off_site_assets(soup, SITEURL), page
        stylesheet = soup.find("link", rel="stylesheet")
        assert stylesheet["href"] == f"{SITEURL}/theme/css/style.css"
    article = parse(output / "2026" / "open-thread.html")
    assert article.select_one("form#comment-form")["action"] == SITEURL + "/comments"
    assert article.select_one("a.permalink")["href"] == f"{SITEURL}/2026/open-thread.html"
    reply = article.select_one("a.comment-reply")["href"]
    assert reply.startswith(SITEURL + "/comments/form?article=open-thread&reply_to=")
