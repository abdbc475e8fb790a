from __future__ import annotations

import pytest

from tests.moderation.conftest import clean_environment  # noqa: F401 - an autouse fixture

from .helpers import Site, make_site


@pytest.fixture
def site(tmp_path) -> Site:
    return make_site(tmp_path / "site")
