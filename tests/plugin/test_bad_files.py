"""Bad comment files fail the build with one clear message, or are skipped with a
warning when COMMENTS_STRICT is off. Both the Python API and the CLI are checked."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from comment_format.text import MAX_BODY

from .conftest import PLUGINS, THEME, comment_text

# (name, how to make the bad file, file expected in the message, problem words)
BAD_FILES = {
    "missing-field": (
        lambda s: s.raw_comment(
            "post",
            "c-bad.md",
            "id: c-bad\ndate: 2026-02-01T00:00:00+00:00\nstatus: approved\n\nText\n",
        ),
        "post/c-bad.md",
        "missing required field 'author'",
    ),
    "bad-date": (
        lambda s: s.comment("post", "c-bad", date="yesterday at noon"),
        "post/c-bad.md",
        "unparseable date 'yesterday at noon'",
    ),
    "naive-date": (
        lambda s: s.comment("post", "c-bad", date="2026-02-01T10:00:00"),
        "post/c-bad.md",
        "has no UTC offset",
    ),
    "missing-parent": (
        lambda s: s.comment("post", "c-bad", reply_to="c-ghost"),
        "post/c-bad.md",
        "reply_to 'c-ghost' names a comment that does not exist",
    ),
    "unknown-folder": (
        lambda s: s.comment("no-such-article", "c-bad"),
        "no-such-article/c-bad.md",
        "folder 'no-such-article' names no article",
    ),
    "bad-id": (
        lambda s: s.raw_comment("post", "c_bad!.md", comment_text("c_bad!")),
        "post/c_bad!.md",
        "bad id 'c_bad!'",
    ),
    "id-not-file-name": (
        lambda s: s.raw_comment("post", "c-bad.md", comment_text("c-other")),
        "post/c-bad.md",
        "does not match the file name",
    ),
    "empty-body": (
        lambda s: s.raw_comment("post", "c-bad.md", comment_text("c-bad", body="  \n\n ")),
        "post/c-bad.md",
        "empty body",
    ),
    "no-body": (
        lambda s: s.raw_comment(
            "post",
            "c-bad.md",
            "id: c-bad\nauthor: A\ndate: 2026-02-01T00:00:00+00:00\nstatus: approved\n",
        ),
        "post/c-bad.md",
        "empty body",
    ),
    "duplicate-id": (
        lambda s: (s.article("other"), s.comment("post", "c-good"), s.comment("zzz", "c-good")),
        "zzz/c-good.md",
        "duplicate comment id 'c-good'",
    ),
    "invalid-utf8": (
        lambda s: s.raw_comment(
            "post",
            "c-bad.md",
            comment_text("c-bad", "caf\u00e9").encode("utf-8").replace(b"\xc3\xa9", b"\xe9"),
        ),
        "post/c-bad.md",
        "not valid UTF-8",
    ),
    "bad-metadata-line": (
        lambda s: s.raw_comment("post", "c-bad.md", "id: c-bad\nthis line has no colon\n\nBody\n"),
        "post/c-bad.md",
        "line 2 is not a 'key: value' metadata line",
    ),
    "outside-folder": (
        lambda s: (s.content / "comments" / "c-bad.md").write_text(comment_text("c-bad")),
        "comments/c-bad.md",
        "not inside an article folder",
    ),
    "empty-file": (
        lambda s: s.raw_comment("post", "c-bad.md", b""),
        "post/c-bad.md",
        "missing required field 'id'",
    ),
    "bad-avatar": (
        lambda s: s.comment("post", "c-bad", avatar="jane@example.com"),
        "post/c-bad.md",
        "bad avatar",
    ),
    "unsafe-webmention-source": (
        lambda s: s.comment(
            "post", "c-bad", mention="reply", source='https://evil.example/"onmouseover=alert(1)'
        ),
        "post/c-bad.md",
        "bad source 'https://evil.example/\"onmouseover=alert(1)'",
    ),
    "unknown-remover": (
        lambda s: s.raw_comment(
            "post",
            "c-bad.md",
            "id: c-bad\nauthor: [removed]\ndate: 2026-02-01T00:00:00+00:00\nremoved: true\n"
            "removed_by: everyone\nstatus: approved\n\nThis comment was removed.\n",
        ),
        "post/c-bad.md",
        "bad removed_by 'everyone': expected one of author, moderator",
    ),
}


def make_site(site, kind):
    site.article("post")
    if kind == "duplicate-id":
        site.article("zzz")
    site.comment("post", "c-fine", "Fine comment", date="2026-01-20T00:00:00+00:00")
    BAD_FILES[kind][0](site)


def test_the_longest_allowed_body_is_shown_whole(site):
    site.article("post")
    body = ("word " * 2_000)[: MAX_BODY - len("THE-END")] + "THE-END"
    assert len(body) == MAX_BODY
    site.comment("post", "c-long", body)
    site.build()
    shown = site.article_html("post").select_one("#comment-c-long .comment-body").get_text()
    assert shown.startswith("word word") and shown.strip().endswith("THE-END")


def test_a_body_over_the_limit_is_a_problem_naming_the_limit(site, plugin):
    site.article("post")
    site.comment("post", "c-long", "x" * (MAX_BODY + 1))
    with pytest.raises(plugin.CommentFileError, match=r"c-long\.md: body is 10,001 characters"):
        site.build()


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_strict_build_fails_naming_file_and_problem(site, plugin, kind):
    make_site(site, kind)
    with pytest.raises(plugin.CommentFileError) as excinfo:
        site.build()
    message = str(excinfo.value)
    _, file_part, problem = BAD_FILES[kind]
    assert file_part in message.replace(os.sep, "/")
    assert problem in message
    assert "\n" not in message


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_non_strict_warns_and_skips(site, kind, caplog):
    make_site(site, kind)
    with caplog.at_level(logging.WARNING):
        site.build(COMMENTS_STRICT=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    _, file_part, problem = BAD_FILES[kind]
    assert any(file_part in w.replace(os.sep, "/") and problem in w for w in warnings), warnings
    soup = site.article_html("post")
    shown = [li["id"] for li in soup.select("li.comment")]
    assert "comment-c-fine" in shown
    assert "comment-c-bad" not in shown


def test_non_strict_skips_replies_to_skipped_comments(site, caplog):
    site.article("post")
    site.comment("post", "root", date="2026-01-01T00:00:00+00:00")
    site.comment("post", "broken", reply_to="nobody", date="2026-01-02T00:00:00+00:00")
    site.comment("post", "child", reply_to="broken", date="2026-01-03T00:00:00+00:00")
    site.comment("post", "grandchild", reply_to="child", date="2026-01-04T00:00:00+00:00")
    with caplog.at_level(logging.WARNING):
        site.build(COMMENTS_STRICT=False)
    shown = [li["id"] for li in site.article_html("post").select("li.comment")]
    assert shown == ["comment-root"]
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "child.md: its parent comment 'broken' was skipped" in text
    assert "grandchild.md: its parent comment 'child' was skipped" in text


def test_reply_loop_is_reported(site, plugin):
    site.article("post")
    site.comment("post", "a", reply_to="b")
    site.comment("post", "b", reply_to="a")
    with pytest.raises(plugin.CommentFileError, match="makes a loop of replies"):
        site.build()


def test_bad_comments_metadata_value_fails(site, plugin):
    site.article("post", comments="maybe")
    with pytest.raises(plugin.CommentsError, match="'comments: maybe' metadata must be one of"):
        site.build()


def write_cli_site(site, extra: str = "") -> Path:
    conf = site.root / "pelicanconf.py"
    conf.write_text(
        f"PATH = {str(site.content)!r}\n"
        f"OUTPUT_PATH = {str(site.output)!r}\n"
        f"THEME = {str(THEME)!r}\n"
        "SITENAME = 'CLI'\nTIMEZONE = 'UTC'\n"
        "ARTICLE_PATHS = ['articles']\n"
        # Deliberately no ARTICLE_EXCLUDES: the plugin must add them itself.
        f"PLUGIN_PATHS = [{str(PLUGINS)!r}]\n"
        "PLUGINS = ['comments']\n"
        "FEED_ALL_ATOM = None\nCATEGORY_FEED_ATOM = None\n"
        "TRANSLATION_FEED_ATOM = None\nAUTHOR_FEED_ATOM = None\nAUTHOR_FEED_RSS = None\n" + extra
    )
    return conf


def run_cli(site, conf: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("COMMENTS_")}
    environment.update(env or {})
    environment["COLUMNS"] = "250"  # keep rich from wrapping file names
    return subprocess.run(
        [sys.executable, "-m", "pelican", "-s", str(conf), "--log-handler", "plain"],
        cwd=site.root,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_cli_exits_non_zero_on_bad_file(site):
    site.article("post")
    site.comment("post", "c-bad", date="not a date")
    result = run_cli(site, write_cli_site(site))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "c-bad.md: unparseable date 'not a date'" in output


def test_cli_builds_by_plugin_name_and_adds_excludes(site):
    site.article("post")
    site.comment("post", "c-good", "Hello from the CLI")
    result = run_cli(site, write_cli_site(site))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "added 'comments' to ARTICLE_EXCLUDES, PAGE_EXCLUDES" in output
    html = (site.output / "post.html").read_text()
    assert "Hello from the CLI" in html
    # The comment file was not also read as an article.
    assert not (site.output / "c-good.html").exists()


def test_cli_non_strict_from_environment(site):
    site.article("post")
    site.comment("post", "c-good", "Good one")
    site.comment("post", "c-bad", date="not a date")
    result = run_cli(site, write_cli_site(site), env={"COMMENTS_STRICT": "false"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Skipping comment file" in output and "c-bad.md" in output
    assert "Good one" in (site.output / "post.html").read_text()


def test_cli_malformed_environment_value(site):
    site.article("post")
    result = run_cli(site, write_cli_site(site), env={"COMMENTS_MAX_DEPTH": "{oops"})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "environment variable COMMENTS_MAX_DEPTH is not valid JSON" in output
