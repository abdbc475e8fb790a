from __future__ import annotations

import argon2
import pytest

from moderation import accounts
from tests.moderation.conftest import clean_environment  # noqa: F401 - an autouse fixture

from .helpers import Site, make_site


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2id still, with the smallest cost: logins are not what these tests time.

    ``tests/review_web/test_accounts.py`` checks the real parameters separately.
    """
    monkeypatch.setattr(
        accounts,
        "PASSWORD_HASHER",
        argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )
    monkeypatch.setattr(accounts, "_DUMMY_HASH", None)


@pytest.fixture
def site(tmp_path) -> Site:
    return make_site(tmp_path / "site")
