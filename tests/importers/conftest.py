"""A project to move a blog into: the real settings, theme and plugins, a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from moderation.settings import load_settings
from moderation.store import Store
from tests.deploy.conftest import make_project
from tests.moderation.conftest import clean_environment  # noqa: F401 - autouse, shared
from tests.site.sitebuild import build_site

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
WXR = FIXTURES / "wordpress" / "field-notes.xml"
#: A trashed comment whose answer is still approved.
WXR_TRASHED_PARENT = FIXTURES / "wordpress" / "trashed-parent.xml"
#: A post whose slug this blog already gives to another article, and one that is new.
WXR_SLUG_CLASH = FIXTURES / "wordpress" / "slug-clash.xml"
DISQUS = FIXTURES / "disqus" / "field-notes.xml"
#: The owner's "Thanks!" to two readers, and a reply below the second one.
DISQUS_SAME_WORDS = FIXTURES / "disqus" / "same-words.xml"
#: Deleted posts whose replies stayed live on Disqus (one a chain of two).
DISQUS_DELETED_PARENTS = FIXTURES / "disqus" / "deleted-parents.xml"
SITE = "https://field-notes.test"


@pytest.fixture
def project(tmp_path) -> Path:
    """The project's settings, theme, plugins and articles; no comments yet."""
    return make_project(tmp_path / "project")


@pytest.fixture
def empty_project(project) -> Path:
    """The same, with no articles: a blog about to move in."""
    return emptied(project)


@pytest.fixture
def settings(project):
    return load_settings(project / "pelicanconf.py", environ={})


@pytest.fixture
def store(project):
    with Store(project / "var" / "moderation.db") as store:
        yield store


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: its bytes and modification time."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def built_page(project: Path, tmp_path: Path, name: str) -> BeautifulSoup:
    """Build the project's content with its own settings and theme; parse one page."""
    output = tmp_path / "output"
    build_site(project / "content", output, settings_file=project / "pelicanconf.py")
    page = next(output.rglob(name))
    return BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")


def shown_comments(page: BeautifulSoup) -> set[str]:
    return {element["id"].removeprefix("comment-") for element in page.select("[id^=comment-c-]")}


def emptied(project: Path) -> Path:
    for path in (project / "content" / "articles").glob("*.md"):
        path.unlink()
    return project


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory) -> Path:
    """A project for a module's tests that only read what one import did."""
    return make_project(tmp_path_factory.mktemp("shared") / "project")
