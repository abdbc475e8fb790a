"""Issue 13 in real Chromium, once with JavaScript and once without: preview, post, follow
the private link, change the text, and see the change on the page after ``moderation
publish`` and a build. The site is served on loopback; the intake is the real service
(``python -m moderation serve``)."""

from __future__ import annotations

import re

import pytest

from moderation.intake import origin_of
from tests.browser.test_form_to_intake import live_site, moderation

pytestmark = pytest.mark.slow

ARTICLE_PATH = "2026/open-thread.html"
FIRST = "Asking *out loud* helped me: my question was **half** of the answer."
CHANGED = "Asking out loud helped me; writing the question down was half of the work."


def is_post(path: str):
    return lambda request: request.method == "POST" and path in request.url


@pytest.fixture
def site(served_root, tmp_path):
    with live_site(served_root, tmp_path, f"readers-{tmp_path.name}") as site:
        yield site


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_preview_post_edit_and_see_the_change(browser, site, javascript):
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    article_url = f"{site.url}/{ARTICLE_PATH}"
    page.goto(article_url)
    if javascript:
        token = page.locator('#comment-form [name="token"]')
        page.wait_for_function("el => el.value !== ''", arg=token.element_handle())
    page.fill("#comment-name", "Bea Browser")
    page.fill("#comment-email", "bea@example.org")
    page.fill("#comment-body", FIRST + "\n\n<script>alert('no')</script>")

    # 1. Preview.
    page.get_by_role("button", name="Preview").click()
    if javascript:  # inline, on the article page
        preview = page.locator("#comment-preview")
        preview.locator(".comment__content strong").wait_for()
        assert page.url == article_url
        assert preview.locator(".comment__author").inner_text() == "Bea Browser"
        assert preview.locator(".avatar svg").count() == 1
    else:  # the intake's page: the preview above the form, every field kept
        page.wait_for_url(re.compile(r".*/comments$"))
        preview = page.locator("#preview")
        assert page.locator("#comment-name").input_value() == "Bea Browser"
        assert page.locator("#comment-email").input_value() == "bea@example.org"
        assert page.locator("#comment-body").input_value().startswith(FIRST)
    assert preview.locator(".comment__content strong").inner_text() == "half"
    assert "<script>alert('no')</script>" in preview.locator(".comment__content").inner_text()

    # 2. Post: a real Origin (the article's page with JavaScript, the intake's preview
    # page without), never "null", which the intake refuses.
    intake_origin = origin_of(site.intake_url)
    with page.expect_navigation(), page.expect_request(is_post("/comments")) as posted:
        page.get_by_role("button", name="Send comment").click()
    sent_from = origin_of(site.url) if javascript else intake_origin
    assert posted.value.all_headers()["origin"] == sent_from
    assert page.locator("h1").inner_text() == "Thank you for your comment"

    # 3. Follow the private link.
    page.locator("#edit-link").click()
    page.wait_for_url(re.compile(r".*/comments/edit/[\w.-]+$"))
    assert page.locator("#comment-body").input_value().startswith(FIRST)

    # 4. Change the text. The private link's page keeps its address (the token) out of
    # every Referer, yet its form still posts with the page's Origin (strict-origin; a
    # no-referrer page makes Chromium send "Origin: null").
    page.fill("#comment-body", CHANGED)
    with page.expect_request(is_post("/comments/edit/")) as posted:
        page.get_by_role("button", name="Save changes").click()
    sent = posted.value.all_headers()
    assert sent["origin"] == intake_origin
    assert sent["referer"] == intake_origin + "/"
    page.wait_for_url(re.compile(r".*\?saved=1$"))
    assert "Your changes are saved" in page.locator(".done").inner_text()
    assert page.locator("#comment-body").input_value() == CHANGED

    # 5. The moderator approves; after publish and a build the page shows the change.
    listing = moderation(site.env, "list", "--article", "open-thread")
    [comment_id] = re.findall(r"c-\d{4}-\d\d-\d\d-[0-9a-f]+", listing)
    if "approved" not in listing.split(comment_id, 1)[1].splitlines()[0]:
        moderation(site.env, "approve", comment_id)
    moderation(site.env, "publish", "--content", str(site.content))
    site.rebuild()
    page.goto(article_url)
    shown = page.locator(f"#comment-{comment_id}")
    assert shown.locator(".comment__content").inner_text() == CHANGED
    assert shown.locator(".comment__edited").inner_text() == "edited"
    assert FIRST not in page.content()
    assert dialogs == [], "no script from a comment ever ran"
    context.close()
