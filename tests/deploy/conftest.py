"""A throwaway copy of the project (settings, theme, plugins, articles) to publish from."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from moderation.models import Comment, State
from moderation.store import Store

ROOT = Path(__file__).resolve().parents[2]
SITEURL = "https://blog.test.invalid"


def make_project(destination: Path) -> Path:
    """The project's settings, theme, plugins and content, without published comments."""
    destination.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("theme", "plugins"):
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    for name in ("articles", "pages", "images"):
        shutil.copytree(ROOT / "content" / name, destination / "content" / name, ignore=ignore)
    for name in ("pelicanconf.py", "publishconf.py"):
        shutil.copy2(ROOT / name, destination / name)
    return destination


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    for name in list(os.environ):
        if name.startswith(("COMMENTS_", "MODERATION_", "PYTHON_AKISMET_", "DEPLOY_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SITEURL", SITEURL)
    return make_project(tmp_path / "project")


def add_comments(db: Path, status: State, *bodies: str, article: str = "lurking-is-learning"):
    """Store comments by different readers on ``article`` in ``status``; their ids."""
    with Store(db) as store:
        stored = store.comments.add_many(
            [
                Comment(
                    article=article,
                    author=f"Reader {index}",
                    email=f"reader{index}@mail.test",
                    body=body,
                )
                for index, body in enumerate(bodies)
            ],
            status=status,
        )
    return [comment.id for comment in stored]


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
