"""No comment file can take the build down: problems are per file, and rendering is fast."""

from __future__ import annotations

import logging

import pytest

from comment_format.render import RenderProblem, render_body
from comment_format.text import MAX_BODY
from tests.hostile import ADVERSARIAL, NESTED
from tests.timing import fastest_cpu_seconds

#: Rendering the largest allowed comment of any shape (issue 7).
RENDER_BUDGET = 0.1


@pytest.mark.parametrize("shape", sorted(NESTED))
def test_nesting_past_the_limit_fails_a_strict_build_naming_the_file(site, plugin, shape):
    site.article("post")
    site.comment("post", "c-fine", "Fine.")
    site.comment("post", "c-deep", NESTED[shape])
    with pytest.raises(plugin.CommentFileError) as caught:
        site.build()
    assert caught.value.path.endswith("c-deep.md")
    assert "nests quotes or lists" in caught.value.problem


def test_a_lenient_build_skips_the_file_with_a_warning_and_shows_the_rest(site, caplog):
    site.article("post")
    site.comment("post", "c-fine", "Fine.")
    site.comment("post", "c-deep", NESTED["quotes"])
    with caplog.at_level(logging.WARNING):
        site.build(COMMENTS_STRICT=False)
    assert [li["id"] for li in site.article_html("post").select("li.comment")] == ["comment-c-fine"]
    assert any("c-deep.md" in r.getMessage() and "nests" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id: c-x\nauthor: Ann\ndate: 2026-02-01T10:00:00Z\nstatus: approved\n\n\ufdd0\ufffe\n",
         "empty body"),
        ("id: c-x\nauthor: \u200b\u2060\ndate: 2026-02-01T10:00:00Z\nstatus: approved\n\nHi.\n",
         "author must contain at least one visible character"),
        ("id: c-x\nauthor: Ann\ndate: 2026-02-01T10:00:00Z\nstatus: approved\n\n\u200b \u2060\n",
         "body must contain at least one visible character"),
        ("id: c-x\nauthor: Ann\ndate: 2026-02-01T10:00:00Z\nstatus: approved\n\n[a]: https://a.example\n",
         "shows nothing once rendered"),
    ],
)  # fmt: skip
def test_text_made_only_of_what_the_plugin_strips_is_a_problem_naming_the_file(
    site, plugin, text, problem
):
    site.article("post")
    site.raw_comment("post", "c-x.md", text)
    with pytest.raises(plugin.CommentFileError, match=problem) as caught:
        site.build()
    assert caught.value.path.endswith("c-x.md")


def test_a_renderer_that_fails_is_a_problem_of_that_file_only(site, plugin, monkeypatch):
    real = plugin.reader.render_body

    def failing(text: str) -> str:
        if "boom" in text:
            raise RecursionError("maximum recursion depth exceeded")
        return real(text)

    monkeypatch.setattr(plugin.reader, "render_body", failing)
    site.article("post")
    site.comment("post", "c-fine", "Fine.")
    site.comment("post", "c-boom", "boom")
    with pytest.raises(plugin.CommentFileError, match=r"c-boom\.md: body cannot be rendered"):
        site.build()
    site.build(COMMENTS_STRICT=False)
    assert len(site.article_html("post").select("li.comment")) == 1


@pytest.mark.parametrize("shape", sorted(ADVERSARIAL))
def test_rendering_the_largest_comment_of_any_shape_is_fast(shape):
    body = ADVERSARIAL[shape]
    assert len(body) == MAX_BODY
    # A body refused quickly is fine too.
    best = fastest_cpu_seconds(render_body, body, refusals=(RenderProblem,))
    assert best < RENDER_BUDGET, f"{shape}: {best * 1000:.1f} ms"


def test_a_thematic_break_is_kept_not_silently_dropped():
    assert render_body("Before\n\n---\n\nAfter") == "<p>Before</p>\n<hr>\n<p>After</p>"
    assert render_body("---") == "<hr>"
