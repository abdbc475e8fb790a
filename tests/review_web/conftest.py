from __future__ import annotations

import os

import pytest

from .helpers import Site, make_site


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No Akismet key, password or settings override leaks in from the outside."""
    for name in list(os.environ):
        if name.startswith(("COMMENTS_", "PYTHON_AKISMET_", "MODERATION_")):
            monkeypatch.delenv(name)


@pytest.fixture
def site(tmp_path) -> Site:
    return make_site(tmp_path / "site")
