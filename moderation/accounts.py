"""Moderator accounts, logins and sessions: the library behind ``moderation user`` and
the review server's login page (issue 10).

* Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's
  low-memory profile: 64 MiB, 3 passes). Neither a password nor its hash is ever
  logged; the hash is the only thing stored.
* :func:`log_in` answers a wrong name and a wrong password the same way, and in
  the same time (an unknown name is checked against a dummy hash). Every failure
  is logged (name and address, never the password) and counted: after
  :data:`MAX_FAILURES_PER_NAME` failures for one name, or
  :data:`MAX_FAILURES_PER_ADDRESS` from one address, within :data:`FAILURE_WINDOW`,
  every attempt is refused with :class:`LoginThrottled` until the oldest one ages out.
  Each attempt is counted before its password is checked, so parallel guesses
  cannot exceed the limits, and only :data:`MAX_PASSWORD_CHECKS` checks run at once.
* Sessions live in the store (:mod:`moderation.store.sessions`): a random token
  for the browser, its hash in the table, a CSRF token per session. A session
  ends after :data:`SESSION_IDLE` without use or :data:`SESSION_MAX_AGE` in all.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from .errors import ModerationError
from .models import utcnow
from .store import Moderator, SessionRecord, Store

logger = logging.getLogger(__name__)

#: Argon2id with argon2-cffi's defaults. Tests swap in a cheaper one (same code path).
PASSWORD_HASHER = argon2.PasswordHasher()

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024

MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
#: Password checks running at once, at most (each Argon2id check takes 64 MiB);
#: more logins wait for a place.
MAX_PASSWORD_CHECKS = 4
PASSWORD_CHECKS = threading.BoundedSemaphore(MAX_PASSWORD_CHECKS)

SESSION_IDLE = timedelta(hours=12)
SESSION_MAX_AGE = timedelta(days=7)
#: A session's last use is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=1)

ADD_HINT = "add one with: moderation user add NAME"


class AccountError(ModerationError):
    """A bad name or password, an unknown account or one that exists already."""


class LoginFailed(ModerationError):
    """Wrong name or password (which one is never said)."""

    def __init__(self) -> None:
        super().__init__("wrong name or password")


class LoginThrottled(ModerationError):
    """Too many failed logins lately; ``retry_after`` seconds until the next try counts."""

    def __init__(self, retry_after: int, why: str) -> None:
        super().__init__(f"too many failed logins {why}; try again in {retry_after} seconds")
        self.retry_after = retry_after
        self.why = why


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise AccountError(
            f"moderator name {name!r}: use 1 to 50 letters, digits, dots, hyphens or "
            "underscores, starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AccountError(f"the password must have at most {MAX_PASSWORD_CHARS} characters")
    if password != password.strip():
        raise AccountError("the password must not start or end with spaces")
    return password


# -- accounts ------------------------------------------------------------------------


def add_moderator(store: Store, name: str, password: str) -> None:
    check_name(name)
    check_password(password)
    if not store.users.add(name, PASSWORD_HASHER.hash(password)):
        raise AccountError(
            f"there is already a moderator {name!r} (change the password with: "
            f"moderation user passwd {name})"
        )
    logger.info("added moderator %s", name)


def change_password(store: Store, name: str, password: str) -> None:
    """Set a new password; every session of the account ends."""
    check_password(password)
    if not store.users.set_password_hash(name, PASSWORD_HASHER.hash(password)):
        raise AccountError(f"there is no moderator {name!r}")
    logger.info("changed the password of moderator %s", name)


def remove_moderator(store: Store, name: str) -> None:
    if not store.users.remove(name):
        raise AccountError(f"there is no moderator {name!r}")
    logger.info("removed moderator %s", name)


def list_moderators(store: Store) -> list[Moderator]:
    return store.users.all()


def require_moderators(store: Store) -> None:
    """Raise unless at least one account exists (the review server needs one)."""
    if store.users.count() == 0:
        raise AccountError(f"no moderator account in {store.path}: {ADD_HINT}")


# -- logging in ------------------------------------------------------------------------

#: What an unknown name is checked against, so it takes as long as a known one.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = PASSWORD_HASHER.hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def _retry_after(failures: list[datetime], limit: int, now: datetime) -> int | None:
    """Seconds until fewer than ``limit`` of ``failures`` are inside the window, or None."""
    if len(failures) < limit:
        return None
    # The (len - limit + 1)-th oldest must age out for the count to drop below the limit.
    frees_at = failures[len(failures) - limit] + FAILURE_WINDOW
    return max(1, int((frees_at - now).total_seconds()) + 1)


def _limits() -> dict[str, int]:
    """The failure table's column each limit counts, and the limit."""
    return {"username": MAX_FAILURES_PER_NAME, "address": MAX_FAILURES_PER_ADDRESS}


_WHY = {"username": "for this name", "address": "from this address"}


def _throttled(
    over: str, failures: list[datetime], name: str, address: str, now: datetime
) -> LoginThrottled:
    wait = _retry_after(failures, _limits()[over], now)
    logger.warning("login refused for %r from %s: too many failures %s", name, address, _WHY[over])
    return LoginThrottled(wait or 1, _WHY[over])


def check_login_limits(store: Store, name: str, address: str, now: datetime | None = None) -> None:
    """Raise :class:`LoginThrottled` when ``name`` or ``address`` has failed too often."""
    now = now or utcnow()
    since = now - FAILURE_WINDOW
    counted = {
        "username": store.users.failures_since(since, username=name),
        "address": store.users.failures_since(since, address=address),
    }
    for over, limit in _limits().items():
        if len(counted[over]) >= limit:
            raise _throttled(over, counted[over], name, address, now)


@dataclass(frozen=True)
class Login:
    """A moderator whose password was just checked, and the hash it was checked against."""

    name: str
    password_hash: str


def log_in(store: Store, name: str, password: str, address: str) -> Login:
    """The moderator when ``password`` is theirs; else :class:`LoginFailed`.

    :class:`LoginThrottled` first when the limits say so (even for the right password:
    a guesser must not learn that one guess was right). The attempt takes its place
    in the failure count before the password is checked (in the store, in one
    transaction with the count), so parallel guesses cannot pass the limit together;
    at most :data:`MAX_PASSWORD_CHECKS` checks run at once.
    """
    name = name.strip()[:100]
    now = utcnow()
    attempt = store.users.reserve_attempt(name, address, _limits(), since=now - FAILURE_WINDOW)
    if attempt.over is not None:
        raise _throttled(attempt.over, attempt.failures, name, address, now)
    stored = store.users.password_hash(name) if NAME_PATTERN.fullmatch(name) else None
    with PASSWORD_CHECKS:
        try:
            PASSWORD_HASHER.verify(stored or _dummy_hash(), password)
            ok = stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok:  # the place it took is the failure on record
        store.users.forget_failures_before(utcnow() - 2 * FAILURE_WINDOW)
        logger.warning("failed login for %r from %s", name, address)
        raise LoginFailed()
    assert stored is not None
    if PASSWORD_HASHER.check_needs_rehash(stored):
        # Only over the hash just checked: a password changed meanwhile stays changed.
        rehashed = PASSWORD_HASHER.hash(password)
        if not store.users.set_password_hash(name, rehashed, replacing=stored):
            logger.warning("login of %r from %s: the password changed meanwhile", name, address)
            raise LoginFailed()
        stored = rehashed
    store.users.clear_failures(name)
    logger.info("moderator %s logged in from %s", name, address)
    return Login(name, stored)


# -- sessions --------------------------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    token: str  # for the cookie; only its hash is stored
    record: SessionRecord


def start_session(store: Store, login: Login) -> NewSession:
    """A session for a :func:`log_in`; :class:`LoginFailed` if the password was changed
    since it was checked (the change ended every session: this one must not outlive it)."""
    token = secrets.token_urlsafe(32)
    record = store.sessions.create(
        token, login.name, secrets.token_urlsafe(32), password_hash=login.password_hash
    )
    if record is None:
        logger.warning("no session for %s: the password changed while logging in", login.name)
        raise LoginFailed()
    return NewSession(token, record)


def valid_session(store: Store, token: str, now: datetime | None = None) -> SessionRecord | None:
    """The live session for ``token``, or None (unknown, idle too long, too old)."""
    if not token or len(token) > 100:
        return None
    record = store.sessions.get(token)
    if record is None:
        return None
    now = now or utcnow()
    if now - record.last_seen_at > SESSION_IDLE or now - record.created_at > SESSION_MAX_AGE:
        store.sessions.delete(record.token_hash)
        return None
    if now - record.last_seen_at > TOUCH_EVERY:
        store.sessions.touch(record.token_hash, now)
    return record


def forget_expired_sessions(store: Store, now: datetime | None = None) -> int:
    now = now or utcnow()
    return store.sessions.delete_expired(
        idle_before=now - SESSION_IDLE, created_before=now - SESSION_MAX_AGE
    )
