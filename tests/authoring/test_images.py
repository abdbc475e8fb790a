"""Image rewriting on its own: figures, sizes, lazy loading, safety and speed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.site.sitebuild import ROOT

from .conftest import WIDE_IMAGE_SIZE, write_wide_image

sys.path.insert(0, str(ROOT / "plugins"))
from publishing.images import image_size, process_html, resolve_image


@pytest.fixture
def content(tmp_path):
    root = tmp_path / "content"
    write_wide_image(root / "images" / "wide.png")
    (root / "articles").mkdir()
    (root / "images" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 150"></svg>', encoding="utf-8"
    )
    return root


def rewrite(html: str, content: Path) -> str:
    return process_html(html, content / "articles", content)


def test_a_lone_titled_image_becomes_a_figure(content):
    html = '<p><img alt="Chart" src="{static}/images/wide.png" title="Caption &amp; more"></p>'
    assert rewrite(html, content) == (
        '<figure class="figure"><img alt="Chart" src="{static}/images/wide.png" width="800" '
        'height="400" loading="lazy" decoding="async">'
        "<figcaption>Caption &amp; more</figcaption></figure>"
    )


def test_images_in_text_keep_their_title_and_get_a_size(content):
    html = '<p>See <img alt="Chart" src="{static}../images/wide.png" title="Tip"> here.</p>'
    out = rewrite(html, content)
    assert out.startswith("<p>See <img ") and "<figure" not in out
    assert 'title="Tip"' in out and 'width="800" height="400"' in out


def test_the_authors_width_is_kept_and_the_height_follows(content):
    out = rewrite('<img alt="x" src="/images/wide.png" width="400">', content)
    assert 'width="400"' in out and 'height="200"' in out
    out = rewrite('<img alt="x" src="/images/wide.png" loading="eager">', content)
    assert 'loading="eager"' in out and 'loading="lazy"' not in out


def test_sizes_come_from_the_file(content):
    assert image_size(content / "images" / "wide.png") == WIDE_IMAGE_SIZE
    assert image_size(content / "images" / "logo.svg") == (300, 150), "from the viewBox"
    (content / "images" / "broken.png").write_bytes(b"not an image")
    assert image_size(content / "images" / "broken.png") is None


@pytest.mark.parametrize(
    "src",
    [
        "https://elsewhere.example/a.png",
        "//elsewhere.example/a.png",
        "data:image/png;base64,AAAA",
        "{static}/../../etc/passwd",
        "{static}/images/missing.png",
        "images/wide.png",  # relative to the page's URL, not to the source
    ],
)
def test_only_existing_files_inside_the_content_folder_are_read(content, src):
    assert resolve_image(src, content / "articles", content) is None
    out = rewrite(f'<img alt="x" src="{src}">', content)
    assert 'loading="lazy"' in out and "width=" not in out


def test_rewriting_is_linear_on_hostile_html(content):
    hostile = "<p><img " * 20_000 + "<img alt=x" * 20_000
    started = time.perf_counter()
    rewrite(hostile, content)
    assert time.perf_counter() - started < 1.0
