"""`invoke check`: problems named by file and line, its exit status, and `invoke publish`
running it first."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from invoke import Config, Context, Exit
from pelican.settings import read_settings

from tests.site.sitebuild import ROOT, SETTINGS_FILE

from .conftest import HERE, write_settings_file, write_wide_image

sys.path.insert(0, str(ROOT / "plugins"))
from publishing import checks
from publishing.checks import Checker, check_content
from publishing.sources import read_source

sys.path.insert(0, str(ROOT))
import tasks

CHECK_DATA = HERE / "check_data"


def make_content(destination: Path) -> Path:
    shutil.copytree(CHECK_DATA, destination)
    write_wide_image(destination / "images" / "chart.png")
    return destination


def settings_for(content: Path, tmp_path: Path) -> dict:
    return read_settings(
        str(SETTINGS_FILE), override={"PATH": str(content), "OUTPUT_PATH": str(tmp_path / "out")}
    )


@pytest.fixture
def content(tmp_path):
    return make_content(tmp_path / "content")


def found(problems, content: Path) -> set[tuple[str, int, str]]:
    """(file relative to content/, line, start of the message) for each problem."""
    return {
        (Path(p.path).resolve().relative_to(content.resolve()).as_posix(), p.line, p.message)
        for p in problems
    }


def messages(problems, content: Path) -> set[tuple[str, int, str]]:
    return {(file, line, message.split(":")[0]) for file, line, message in found(problems, content)}


def test_check_names_missing_alt_text_and_a_broken_related_slug(content, tmp_path):
    problems = check_content(settings_for(content, tmp_path))
    reported = found(problems, content)
    assert ("articles/broken.md", 12, "image without alt text: {static}/images/chart.png") in (
        reported
    )
    assert ("articles/broken.md", 7, "Related: no article has the slug 'no-such-slug'") in reported
    assert all(str(p).startswith(f"{p.path}:{p.line}: ") for p in problems)


def test_check_reports_every_kind_of_problem_and_nothing_else(content, tmp_path):
    problems = check_content(settings_for(content, tmp_path))
    assert messages(problems, content) == {
        ("articles/broken.md", 1, "missing summary"),
        ("articles/broken.md", 2, "Date without a time zone"),
        ("articles/broken.md", 7, "Related"),
        ("articles/broken.md", 8, "Image"),
        ("articles/broken.md", 8, "Image without alt text"),
        ("articles/broken.md", 12, "image without alt text"),
        ("articles/broken.md", 14, "{filename} link to a file that does not exist"),
        ("articles/broken.md", 15, "internal link to a page that does not exist"),
        ("articles/broken.md", 18, "image without alt text"),
        ("articles/broken.md", 28, "{static} link to a file that does not exist"),
        ("articles/broken.md", 30, "{static} link to a file outside the content folder"),
        ("articles/twin-one.md", 4, "duplicate slug 'twin'"),
        ("articles/twin-two.md", 4, "duplicate slug 'twin'"),
        ("articles/draft-idea.md", 3, "missing category"),
        ("articles/draft-idea.md", 5, "missing summary"),
        ("articles/links-to-draft.md", 6, "Related"),
        ("articles/links-to-draft.md", 8, "link to a draft, which is not published"),
        ("pages/about.md", 5, "image without alt text"),
    }
    twin = next(p for p in problems if p.path.endswith("twin-one.md"))
    assert "twin-two.md" in twin.message, "a duplicate names the other file"
    assert "'draft-idea' is a draft" in next(
        p.message for p in problems if p.path.endswith("links-to-draft.md") and p.line == 6
    )


def test_code_is_not_checked(content, tmp_path):
    text = "\n".join(str(p) for p in check_content(settings_for(content, tmp_path)))
    for inside_code in ("this-is-code.png", "nowhere.html)", "inline-code.png", "indented-code"):
        assert inside_code not in text


def test_without_drafts_only_what_a_build_publishes_is_checked(content, tmp_path):
    problems = check_content(settings_for(content, tmp_path), include_drafts=False)
    files = {Path(p.path).name for p in problems}
    assert "draft-idea.md" not in files
    # A published article that points at a draft is still a problem.
    assert ("articles/links-to-draft.md", 6, "Related") in messages(problems, content)


def test_a_clean_site_has_no_problems(content, tmp_path):
    for name in ("broken.md", "twin-two.md", "draft-idea.md", "links-to-draft.md"):
        (content / "articles" / name).unlink()
    (content / "pages" / "about.md").unlink()
    (content / "articles" / "clean.md").write_text(
        (content / "articles" / "clean.md").read_text().replace("Related: broken", "Related:")
    )
    assert check_content(settings_for(content, tmp_path)) == []


def test_the_image_check_finds_the_social_image_as_the_build_does(content, tmp_path):
    # On disk but outside STATIC_PATHS: the build has no such static file and drops
    # the social card, so the check must report it.
    write_wide_image(content / "notes" / "card.png")
    clean = content / "articles" / "clean.md"
    text = clean.read_text()
    for image in ("{static}/images/chart.png", "/images/chart.png", "{static}/notes/card.png"):
        clean.write_text(text.replace("Related: broken\n", f"Related: broken\nImage: {image}\n"))
        problems = found(check_content(settings_for(content, tmp_path)), content)
        images = sorted(message for file, _, message in problems if file == "articles/clean.md")
        if "images/" in image:
            assert images == ["Image without alt text: add an Image_alt: describing it"]
        else:
            assert images == [
                "Image without alt text: add an Image_alt: describing it",
                f"Image: not one of the site's static files: {image}",
            ]


def test_the_project_content_passes(tmp_path):
    settings = read_settings(str(SETTINGS_FILE), override={"OUTPUT_PATH": str(tmp_path / "o")})
    assert [str(p) for p in check_content(settings)] == []


@pytest.mark.parametrize(
    "line",
    [
        "![" * 20_000,
        "[" * 20_000 + "](" * 20_000,
        "<img " * 20_000,
        "<a href='" * 20_000,
        "`" * 20_000 + "x",
        "[x]: " + "<" * 20_000,
    ],
    ids=["images", "links", "img-tags", "hrefs", "backticks", "references"],
)
def test_scanning_is_linear_on_hostile_lines(line):
    patterns = [checks.IMAGE, checks.LINK, checks.REFERENCE, checks.HTML_IMG, checks.HTML_HREF]
    started = time.perf_counter()
    checks.blank_code_spans(line)
    for pattern in patterns:
        list(pattern.finditer(line))
    assert time.perf_counter() - started < 1.0


def test_body_lines_skip_the_header_and_code(tmp_path):
    article = tmp_path / "a.md"
    article.write_text(
        "Title: A\nRelated: x\n\ntext `code` more\n```\nfenced\n```\n\n    indented\n"
        "- item\n\n    continued list item\n",
        encoding="utf-8",
    )
    lines = list(Checker.body_lines(None, read_source(article)))
    assert lines == [(4, "text        more"), (10, "- item"), (12, "    continued list item")]


def quiet_context() -> Context:
    return Context(Config(overrides={"run": {"in_stream": False}}))


def test_invoke_check_exits_non_zero_naming_file_and_line(content, tmp_path):
    settings_file = write_settings_file(content, tmp_path)
    command = [str(ROOT / ".venv" / "bin" / "invoke"), "check", "--settings", str(settings_file)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    # Paths are shown relative to the working directory when inside it, else in full.
    broken = content / "articles" / "broken.md"
    assert f"{broken}:12: image without alt text" in result.stdout
    assert f"{broken}:7: Related: no article has the slug 'no-such-slug'" in result.stdout
    assert "18 problems to fix" in result.stderr


def test_invoke_publish_runs_check_first_and_stops(content, tmp_path, monkeypatch, capsys):
    settings_file = tmp_path / "publishcheck.py"
    settings_file.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom publishconf import *\n"
        f"PATH = {str(content)!r}\nTHEME = {str(ROOT / 'theme')!r}\n"
        f"PLUGIN_PATHS = [{str(ROOT / 'plugins')!r}]\n",
        encoding="utf-8",
    )
    # The publish works in a project of its own: its lock, caches and database.
    monkeypatch.setattr(tasks, "ROOT", tmp_path)
    monkeypatch.setenv("SITEURL", "https://check.test.invalid")
    monkeypatch.setenv("MODERATION_DB", str(tmp_path / "no-such.db"))
    www = tmp_path / "www"
    with pytest.raises(Exit) as stopped:
        tasks.publish(quiet_context(), target=str(www), settings=str(settings_file))
    assert stopped.value.code == 2
    assert "broken.md:7: Related: no article has the slug 'no-such-slug'" in str(stopped.value)
    assert not www.exists(), "nothing is built or deployed when the check fails"

    # Drafts are not published, so their problems do not stop a publish.
    for name in ("broken.md", "twin-two.md", "links-to-draft.md"):
        (content / "articles" / name).unlink()
    (content / "pages" / "about.md").unlink()
    (content / "articles" / "clean.md").write_text(
        (content / "articles" / "clean.md").read_text().replace("Related: broken", "Related:")
    )
    tasks.publish(quiet_context(), target=str(www), settings=str(settings_file))
    assert (www / "index.html").is_file()
    assert f"Published to {www}" in capsys.readouterr().out


def test_other_formats_are_checked_from_what_pelican_reads(content, tmp_path):
    (content / "articles" / "plain.html").write_text(
        "<html><head><title>Plain HTML</title>"
        '<meta name="date" content="2026-04-06 10:00+02:00">'
        '<meta name="category" content="Practice"></head>'
        "<body><p>Body with ![](not-markdown.png).</p></body></html>",
        encoding="utf-8",
    )
    problems = [p for p in check_content(settings_for(content, tmp_path)) if "plain" in p.path]
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [(1, "missing summary")]
