"""The article page in real headless Chromium: hostile comments, no-JS, reply links, layout."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

from tests.site.sitebuild import FIXTURE_CONTENT, build_site

from .conftest import TOKEN

ARTICLE_SLUG = "open-thread"
ARTICLE_PATH = "2026/open-thread.html"
BENIGN_ID = "c-2026-07-14-aa01"

# Each body (or author) tries to run script in the reader's browser. The number in
# alert(n) says which one got through.
HOSTILE_BODIES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[click me](javascript:alert(3))",
    "<svg onload=alert(4)><circle r=10></svg>",
    '<a href="javascript:alert(5)">a link</a>',
    '<iframe src="javascript:alert(6)"></iframe>',
    "<details open ontoggle=alert(7)><summary>x</summary></details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(8)>",
    '<a href="jav&#x09;ascript:alert(9)">tabbed scheme</a>',
    "<input autofocus onfocus=alert(10)>",
    '![picture](x" onerror="alert(11))',
    '<object data="javascript:alert(12)"></object><embed src="javascript:alert(12)">',
    '<div style="background:url(javascript:alert(13))" onmouseover="alert(13)">hover</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(14)">',
    '<a href="data:text/html,<script>alert(15)</script>">data link</a>',
    '<form action="javascript:alert(16)"><button autofocus onfocus=alert(16)>go</button></form>',
    (
        "`<img src=x onerror=alert(17)>` and "
        '<noscript><p title="</noscript><img src=x onerror=alert(17)>">'
    ),
    "[x](<javascript:alert(18)>) and <javascript:alert(18)>",
]
HOSTILE_AUTHORS = [
    "<img src=x onerror=alert(19)>",
    '"><svg onload=alert(20)>',
]
HOSTILE_URLS = [
    "javascript:alert(21)",
    'https://evil.example/"onmouseover="alert(22)',
]


def write_comment(folder: Path, comment_id: str, author: str, body: str, **extra: str) -> None:
    lines = [f"id: {comment_id}", f"author: {author}", "date: 2026-07-20T10:00:00+02:00"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    lines += ["status: approved", "", body, ""]
    (folder / f"{comment_id}.md").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="session")
def hostile_site(served_root):
    """The fixture site plus a thread full of attacks, served with a token endpoint."""
    root, base_url = served_root
    content = root.parent / "hostile-content"
    shutil.copytree(FIXTURE_CONTENT, content)
    thread = content / "comments" / ARTICLE_SLUG
    for number, body in enumerate(HOSTILE_BODIES, start=1):
        write_comment(thread, f"x-body-{number}", f"Attacker {number}", body)
    for number, author in enumerate(HOSTILE_AUTHORS, start=1):
        write_comment(thread, f"x-author-{number}", author, "Look at my name.")
    for number, url in enumerate(HOSTILE_URLS, start=1):
        write_comment(thread, f"x-url-{number}", f"Linker {number}", "Visit me.", author_url=url)
    # A bad author_url must not sink the whole thread; non-strict builds skip bad files.
    build_site(
        content,
        root / "hostile",
        COMMENTS_INTAKE_URL=f"{base_url}/comments",
        COMMENTS_STRICT=False,
    )
    (root / "hostile" / "detector.html").write_text(
        "<!DOCTYPE html><title>detector</title><p>raw</p><img src=x onerror=alert(1)>"
    )
    return f"{base_url}/hostile"


def watch(page) -> dict[str, list[str]]:
    """Record dialogs, uncaught errors and console errors; dismiss dialogs."""
    seen: dict[str, list[str]] = {"dialogs": [], "errors": [], "console": []}

    def on_dialog(dialog):
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on(
        "console",
        lambda message: message.type == "error" and seen["console"].append(message.text),
    )
    return seen


HANDLER_ATTRIBUTES_JS = """
() => Array.from(document.querySelectorAll('*')).flatMap(el =>
    Array.from(el.attributes)
        .filter(a => a.name.toLowerCase().startsWith('on'))
        .map(a => `<${el.tagName.toLowerCase()} ${a.name}="${a.value}">`))
"""

SCRIPT_URLS_JS = """
() => Array.from(document.querySelectorAll('[href],[src],[action],[data],[formaction]'))
    .flatMap(el => ['href', 'src', 'action', 'data', 'formaction']
        .map(name => el.getAttribute(name))
        .filter(v => v)
        .map(v => v.replace(/[\\s\\u0000-\\u001f]/g, ''))
        .filter(v => /^(javascript|data|vbscript):/i.test(v)))
"""


def settle(page) -> None:
    """Give autofocus, toggles and timers a moment to fire."""
    page.mouse.move(200, 300)
    page.keyboard.press("Tab")
    page.wait_for_timeout(400)


def test_the_detectors_catch_a_raw_injection(page, hostile_site):
    seen = watch(page)
    page.goto(f"{hostile_site}/detector.html")
    page.wait_for_timeout(300)
    assert seen["dialogs"] == ["1"], "the dialog detector must see a raw onerror"
    assert page.evaluate(HANDLER_ATTRIBUTES_JS) == ['<img onerror="alert(1)">']


def test_hostile_comments_run_no_code(page, hostile_site):
    seen = watch(page)
    page.goto(f"{hostile_site}/{ARTICLE_PATH}")
    page.locator("#comments").scroll_into_view_if_needed()
    settle(page)
    # Hover everything in the thread, for onmouseover vectors.
    for comment in page.locator("section#comments article").all():
        comment.hover()
    page.wait_for_timeout(200)
    assert seen["dialogs"] == []
    assert seen["errors"] == []
    assert seen["console"] == []
    assert page.evaluate(HANDLER_ATTRIBUTES_JS) == []
    assert page.evaluate(SCRIPT_URLS_JS) == []
    assert page.locator("section#comments script, section#comments iframe").count() == 0
    # The attacks were published (as text), not dropped: the thread is all there.
    rendered = page.locator("section#comments article.comment").count()
    assert rendered >= 4 + len(HOSTILE_BODIES) + len(HOSTILE_AUTHORS)
    assert "onerror=alert(19)" in page.locator("#comment-x-author-1 .comment__author").inner_text()
    # The only script on the page is the theme's own file.
    # JSON-LD structured data is a data block (never run), not a script.
    sources = page.evaluate(
        "() => Array.from(document.scripts)"
        ".filter(s => s.type !== 'application/ld+json').map(s => s.src)"
    )
    assert sources == [f"{hostile_site}/theme/js/comments.js"]


def test_form_fields_are_labelled_and_the_token_is_filled(page, hostile_site):
    seen = watch(page)
    page.goto(f"{hostile_site}/{ARTICLE_PATH}")
    form = page.locator("form#comment-form")
    assert form.count() == 1
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll('#comment-form :is(input, textarea)'))
            .filter(el => el.type !== 'hidden')
            .filter(el => !el.labels || el.labels.length === 0
                        || !el.labels[0].textContent.trim())
            .map(el => el.name)"""
    )
    assert unlabelled == []
    for name in ("name", "email", "url", "body"):
        assert form.locator(f'[name="{name}"]').is_visible(), name
    # The honeypot is there but off screen, outside the viewport.
    trap_box = form.locator('[name="website"]').bounding_box()
    assert trap_box["x"] + trap_box["width"] < 0
    page.wait_for_function(
        "token => document.querySelector('#comment-form [name=token]').value === token",
        arg=TOKEN,
    )
    assert seen["dialogs"] == [] and seen["errors"] == []


def test_reply_link_fills_reply_to_and_focuses_the_form(page, hostile_site):
    page.goto(f"{hostile_site}/{ARTICLE_PATH}")
    reply_to = page.locator('#comment-form [name="reply_to"]')
    assert reply_to.input_value() == ""
    notice = page.locator("#comment-form .replying")
    assert notice.is_hidden()
    page.locator(f"#comment-{BENIGN_ID} > .comment__actions a.comment-reply").click()
    assert reply_to.input_value() == BENIGN_ID
    assert page.url.endswith(ARTICLE_PATH), "the click must not leave the article"
    assert notice.is_visible()
    assert "Replying to Tom & Jerry" in notice.inner_text()
    assert page.evaluate("document.activeElement.name") == "name"
    page.locator("#comment-form .replying__cancel").click()
    assert reply_to.input_value() == ""
    assert notice.is_hidden()


def test_article_and_form_work_without_javascript(browser, hostile_site):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{hostile_site}/{ARTICLE_PATH}")
        assert page.locator("h1.entry-title").inner_text() == "Questions worth asking out loud"
        assert page.locator(f"#comment-{BENIGN_ID}").is_visible()
        form = page.locator("form#comment-form")
        assert form.is_visible()
        assert form.get_attribute("method") == "post"
        for name in ("name", "email", "url", "body"):
            assert form.locator(f'[name="{name}"]').is_visible()
        assert form.locator('[name="token"]').input_value() == ""
        # Without script a reply link is a real link to the intake's reply form.
        link = page.locator(f"#comment-{BENIGN_ID} > .comment__actions a.comment-reply")
        href = link.get_attribute("href")
        assert href.endswith(f"/comments/form?article={ARTICLE_SLUG}&reply_to={BENIGN_ID}")
        assert page.locator("#comment-form .replying").is_hidden()
    finally:
        context.close()


@pytest.fixture(scope="session")
def fixture_site_url(served_root):
    root, base_url = served_root
    content = root.parent / "fixture-content"
    shutil.copytree(FIXTURE_CONTENT, content)
    build_site(content, root / "fixture", COMMENTS_INTAKE_URL=f"{base_url}/comments")
    return f"{base_url}/fixture"


@pytest.mark.parametrize(
    ("label", "width", "height"),
    [("desktop", 1280, 900), ("mobile", 390, 844)],
)
def test_layout_fits_the_screen(browser, fixture_site_url, label, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(f"{fixture_site_url}/{ARTICLE_PATH}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{label}: the page scrolls sideways by {overflow}px"
        sidebar = page.locator("aside.sidebar").bounding_box()
        main = page.locator("main").bounding_box()
        if width >= 1024:
            assert sidebar["x"] > main["x"] + main["width"], "sidebar sits beside main"
        else:
            assert sidebar["y"] > main["y"] + main["height"] - 1, "sidebar follows main"
        # Keyboard users see where they are: the skip link appears on focus.
        page.keyboard.press("Tab")
        skip = page.locator("a.skip-link")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        assert skip.bounding_box()["y"] >= 0
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        page.keyboard.press("Escape")
        page.evaluate("document.activeElement.blur()")
        page.screenshot(path=f"/tmp/learning-out-loud-article-{label}.png", full_page=True)
    finally:
        context.close()


def test_an_unreachable_intake_leaves_the_form_usable(page, served_root, tmp_path):
    """The token fetch fails quietly: no uncaught error, and replying still works."""
    root, base_url = served_root
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    content = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, content)
    build_site(
        content, root / "no-intake", COMMENTS_INTAKE_URL=f"http://127.0.0.1:{closed_port}/comments"
    )
    seen = watch(page)
    page.goto(f"{base_url}/no-intake/{ARTICLE_PATH}")
    page.wait_for_timeout(800)
    assert seen["errors"] == []
    assert [m for m in seen["console"] if "Uncaught" in m] == []
    assert page.locator('#comment-form [name="token"]').input_value() == ""
    page.locator(f"#comment-{BENIGN_ID} > .comment__actions a.comment-reply").click()
    assert page.locator('#comment-form [name="reply_to"]').input_value() == BENIGN_ID
