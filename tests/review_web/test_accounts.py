"""Moderator accounts (issue 10): the ``moderation user`` commands and the library under them."""

from __future__ import annotations

import io
import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import argon2
import pytest

from moderation import accounts, cli
from moderation.models import utcnow
from moderation.store import Store

from .helpers import PASSWORD

LOCAL = "127.0.0.1"


@pytest.fixture
def db(tmp_path):
    return tmp_path / "var" / "moderation.db"


@pytest.fixture(autouse=True)
def restore_logging():
    """``cli.main`` points the package logger at this test's stderr: put it back after,
    or later tests (in this process) log into a closed stream."""
    package_logger = logging.getLogger("moderation")
    level, handlers = package_logger.level, list(package_logger.handlers)
    yield
    package_logger.handlers[:] = handlers
    package_logger.setLevel(level)


def run(db, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """``moderation --db DB ARGS`` with ``stdin`` as standard input (not a terminal)."""
    import contextlib
    import sys

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(["--db", str(db), *args])
    finally:
        sys.stdin = old_stdin
    return code, out.getvalue(), err.getvalue()


def test_user_add_reads_the_password_from_stdin_and_stores_only_a_hash(db):
    code, out, err = run(db, "user", "add", "alice", stdin=PASSWORD + "\n")
    assert (code, out, err) == (0, "added moderator alice\n", "")
    with Store(db) as store:
        stored = store.users.password_hash("alice")
        raw = db.read_bytes() + (db.parent / (db.name + "-wal")).read_bytes()
    assert stored is not None and stored.startswith("$argon2id$")
    assert PASSWORD.encode() not in raw
    assert accounts.PASSWORD_HASHER.verify(stored, PASSWORD)


def test_user_add_prompts_twice_on_a_terminal(db, monkeypatch):
    answers = iter(["first password", "second password"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    code = cli.main(["--db", str(db), "user", "add", "bob"])
    assert code == 2  # the two differ: nothing added
    with Store(db) as store:
        assert store.users.count() == 0

    answers = iter(["same password", "same password"])
    assert cli.main(["--db", str(db), "user", "add", "bob"]) == 0
    with Store(db) as store:
        assert accounts.log_in(store, "bob", "same password", "127.0.0.1").name == "bob"


def test_user_list_passwd_and_remove(db):
    run(db, "user", "add", "alice", stdin=PASSWORD + "\n")
    run(db, "user", "add", "bob", stdin="bobs password\n")
    code, out, _ = run(db, "user", "list")
    assert code == 0 and "alice" in out and "bob" in out

    with Store(db) as store:
        session = accounts.start_session(store, accounts.log_in(store, "alice", PASSWORD, LOCAL))
    code, out, _ = run(db, "user", "passwd", "alice", stdin="a brand new one\n")
    assert code == 0 and "changed the password of alice" in out
    with Store(db) as store:
        assert accounts.valid_session(store, session.token) is None  # ended with the change
        with pytest.raises(accounts.LoginFailed):
            accounts.log_in(store, "alice", PASSWORD, "127.0.0.1")
        assert accounts.log_in(store, "alice", "a brand new one", LOCAL).name == "alice"

    assert run(db, "user", "remove", "bob")[0] == 0
    code, out, _ = run(db, "user", "list")
    assert "bob" not in out


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("user", "add", "bad name"), "long enough\n", "moderator name 'bad name'"),
        (("user", "add", "carol"), "short\n", "at least 8 characters"),
        (("user", "add", "carol"), "", "no password on standard input"),
        (("user", "passwd", "nobody"), "long enough\n", "there is no moderator 'nobody'"),
        (("user", "remove", "nobody"), "", "there is no moderator 'nobody'"),
    ],
)
def test_user_commands_say_what_is_wrong(db, args, stdin, message):
    code, out, err = run(db, *args, stdin=stdin)
    assert code != 0 and out == ""
    assert err.startswith("error: ") and message in err


def test_a_name_is_added_once(db):
    run(db, "user", "add", "alice", stdin=PASSWORD + "\n")
    code, _out, err = run(db, "user", "add", "alice", stdin="another password\n")
    assert code == 1 and "already a moderator 'alice'" in err


def test_the_real_hasher_is_memory_hard(monkeypatch):
    real = argon2.PasswordHasher()
    params = argon2.extract_parameters(real.hash("x" * 12))
    assert params.type is argon2.Type.ID
    assert params.memory_cost >= 64 * 1024 and params.time_cost >= 2


def test_review_server_refuses_to_start_without_an_account(db):
    code, _out, err = run(db, "review-server", "--port", "0")
    assert code == 1
    assert "no moderator account" in err and "moderation user add NAME" in err


# -- logging in: the limits ------------------------------------------------------------------


def test_wrong_name_and_wrong_password_fail_alike_and_are_logged(db, caplog):
    with Store(db) as store:
        accounts.add_moderator(store, "alice", PASSWORD)
        caplog.set_level(logging.WARNING, logger="moderation.accounts")
        for name, password in (("alice", "not it at all"), ("mallory", PASSWORD)):
            with pytest.raises(accounts.LoginFailed) as failed:
                accounts.log_in(store, name, password, "192.0.2.1")
            assert str(failed.value) == "wrong name or password"
    logged = [r.getMessage() for r in caplog.records]
    assert logged == [
        "failed login for 'alice' from 192.0.2.1",
        "failed login for 'mallory' from 192.0.2.1",
    ]
    assert not any(PASSWORD in line or "not it at all" in line for line in logged)


def test_five_failures_for_one_name_lock_it_for_fifteen_minutes(db):
    with Store(db) as store:
        accounts.add_moderator(store, "alice", PASSWORD)
        for n in range(accounts.MAX_FAILURES_PER_NAME):
            with pytest.raises(accounts.LoginFailed):
                accounts.log_in(store, "alice", f"guess number {n}", f"198.51.100.{n}")
        with pytest.raises(accounts.LoginThrottled) as throttled:
            accounts.log_in(store, "alice", PASSWORD, "203.0.113.9")  # even the right one
        assert 14 * 60 < throttled.value.retry_after <= 15 * 60 + 1
        # Another name from those addresses is not locked.
        with pytest.raises(accounts.LoginFailed):
            accounts.log_in(store, "bob", "whatever it is", "198.51.100.1")
        later = utcnow() + timedelta(minutes=16)
        accounts.check_login_limits(store, "alice", "203.0.113.9", now=later)


def test_twenty_failures_from_one_address_lock_it(db):
    with Store(db) as store:
        accounts.add_moderator(store, "alice", PASSWORD)
        for n in range(accounts.MAX_FAILURES_PER_ADDRESS):
            with pytest.raises(accounts.LoginFailed):
                accounts.log_in(store, f"name{n}", "some password", "192.0.2.50")
        with pytest.raises(accounts.LoginThrottled, match="from this address"):
            accounts.log_in(store, "alice", PASSWORD, "192.0.2.50")
        assert accounts.log_in(store, "alice", PASSWORD, "192.0.2.51").name == "alice"


class HeldChecks:
    """The test's password hasher: every check waits at ``gate`` until the test opens
    it, so that racing logins are all in flight at once; ``inside`` counts the checks
    running now, ``most`` the most that ever ran together, ``checked`` them all."""

    def __init__(self, real: argon2.PasswordHasher) -> None:
        self.real = real
        self.gate = threading.Event()
        self.changed = threading.Condition()
        self.checked = self.inside = self.most = 0

    def hash(self, password: str) -> str:
        return self.real.hash(password)

    def check_needs_rehash(self, stored: str) -> bool:
        return self.real.check_needs_rehash(stored)

    def verify(self, stored: str, password: str) -> bool:
        with self.changed:
            self.checked += 1
            self.inside += 1
            self.most = max(self.most, self.inside)
            self.changed.notify_all()
        try:
            assert self.gate.wait(30), "the test never opened the gate"
            return self.real.verify(stored, password)
        finally:
            with self.changed:
                self.inside -= 1


def guess_in_threads(
    db, guesses: list[tuple[str, str]], checks: HeldChecks, ready: Callable[[Counter], bool]
) -> Counter:
    """Each (name, address) guesses a wrong password in a thread of its own, with its own
    connection, all starting together. The gate opens once ``ready(outcomes)`` holds,
    ``outcomes`` counting the logins over so far ("failed", "throttled")."""
    start = threading.Barrier(len(guesses), timeout=30)
    outcomes: Counter = Counter()
    errors: list[BaseException] = []

    def guess(name: str, address: str) -> None:
        try:
            with Store(db) as store:
                start.wait()
                try:
                    accounts.log_in(store, name, "a wrong password", address)
                except accounts.LoginThrottled:
                    outcome = "throttled"
                except accounts.LoginFailed:
                    outcome = "failed"
        except BaseException as exc:  # the test fails at once with it, not on a timeout
            start.abort()
            outcome = "error"
            errors.append(exc)
        with checks.changed:
            outcomes[outcome] += 1
            checks.changed.notify_all()

    threads = [threading.Thread(target=guess, args=pair) for pair in guesses]
    for thread in threads:
        thread.start()
    with checks.changed:
        opened = checks.changed.wait_for(lambda: errors or ready(outcomes), timeout=30)
    checks.gate.set()
    for thread in threads:
        thread.join(30)
    assert not errors, f"a guess failed: {errors[0]!r}"
    assert opened, "the guesses never all got under way"
    return outcomes


def test_parallel_guesses_for_one_name_get_no_more_password_checks_than_the_limit(db, monkeypatch):
    """Thirty wrong passwords for one name at the same moment, from thirty addresses:
    each attempt takes its place in the count before its password is checked, so five
    are checked and twenty-five refused, not thirty checked."""
    with Store(db) as store:
        accounts.add_moderator(store, "alice", PASSWORD)
    checks = HeldChecks(accounts.PASSWORD_HASHER)
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", checks)
    # As many checks at once as there are guesses: only the limit is under test here.
    monkeypatch.setattr(accounts, "PASSWORD_CHECKS", threading.BoundedSemaphore(30), raising=False)
    guesses = [("alice", f"198.51.100.{n}") for n in range(30)]
    # Open the gate once every guess is either waiting at it or refused already.
    outcomes = guess_in_threads(
        db, guesses, checks, lambda over: checks.inside + over.total() == 30
    )
    assert checks.checked == accounts.MAX_FAILURES_PER_NAME == 5
    assert outcomes == {"failed": 5, "throttled": 25}
    with Store(db) as store, pytest.raises(accounts.LoginThrottled):
        accounts.log_in(store, "alice", PASSWORD, "203.0.113.9")


def test_only_a_few_password_checks_run_at_once(db, monkeypatch):
    """Each Argon2id check takes 64 MiB: logins for many names from many addresses (no
    limit applies) queue for a few places instead of all checking at once."""
    checks = HeldChecks(accounts.PASSWORD_HASHER)
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", checks)
    places = accounts.MAX_PASSWORD_CHECKS
    queued = 0

    class CountedPlaces(threading.BoundedSemaphore):
        def acquire(self, *args, **kwargs):  # type: ignore[override]
            nonlocal queued
            with checks.changed:
                queued += 1
                checks.changed.notify_all()
            try:
                return super().acquire(*args, **kwargs)
            finally:
                with checks.changed:
                    queued -= 1

        __enter__ = acquire

    monkeypatch.setattr(accounts, "PASSWORD_CHECKS", CountedPlaces(places), raising=False)
    guesses = [(f"name{n}", f"192.0.2.{n}") for n in range(3 * places)]
    # Open the gate once every login is checking its password or queued for a place.
    outcomes = guess_in_threads(
        db, guesses, checks, lambda _: checks.inside + queued == len(guesses)
    )
    assert checks.most == places < len(guesses)
    assert outcomes == {"failed": len(guesses)} and checks.checked == len(guesses)


def test_sessions_expire_when_idle_and_when_old(db):
    with Store(db) as store:
        accounts.add_moderator(store, "alice", PASSWORD)
        session = accounts.start_session(store, accounts.log_in(store, "alice", PASSWORD, LOCAL))
        now = utcnow()
        assert accounts.valid_session(store, session.token, now=now) is not None
        # Used every 11 hours it stays alive, until 7 days after the login.
        for hours in range(11, 7 * 24, 11):
            assert accounts.valid_session(store, session.token, now=now + timedelta(hours=hours))
        assert (
            accounts.valid_session(store, session.token, now=now + timedelta(days=7, hours=1))
            is None
        )

        idle = accounts.start_session(store, accounts.log_in(store, "alice", PASSWORD, LOCAL))
        assert accounts.valid_session(store, idle.token, now=utcnow() + timedelta(hours=13)) is None
        assert accounts.valid_session(store, "forged-token") is None


def test_review_server_on_every_address_needs_the_names_it_answers(db):
    run(db, "user", "add", "alice", stdin=PASSWORD + "\n")
    code, _out, err = run(db, "review-server", "--host", "0.0.0.0", "--port", "0")
    assert code == 1
    assert "listening on 0.0.0.0 answers requests for any name" in err
    assert "--allowed-host NAME" in err


def test_actions_and_undo_from_the_command_line(tmp_path, db):
    from .helpers import make_site

    site = make_site(tmp_path / "site")
    settings = str(site.settings_file)
    with Store(db) as store:
        from moderation.models import Comment, State

        held = store.comments.add(
            Comment(article="social-not-sales", author="A", body="A remark."), status=State.HELD
        )
    code, out, _ = run(db, "--settings", settings, "spam", held.id, "--as", "carol")
    assert code == 0 and f"marked as spam {held.id} (held → spam)" in out
    code, out, _ = run(db, "actions", "--as", "carol")
    assert code == 0 and "spam" in out and "1 can be undone" in out
    assert "The last action of carol, newest first" in out

    code, out, _ = run(db, "--settings", settings, "undo", "--as", "carol")
    assert code == 0
    assert out.splitlines()[:2] == [
        "Undid spam of 1 comment.",
        f"{held.id} back to held (was spam)",
    ]
    with Store(db) as store:
        last = store.decisions.of(held.id)[-1]
        assert (last.action, last.actor, last.to_state) == ("undo", "carol", State.HELD)
    code, _out, err = run(db, "--settings", settings, "undo", "--as", "carol")
    assert code == 2 and "none of the last 20 actions of carol can be undone" in err


class ChangedWhileVerifying(argon2.PasswordHasher):
    """Argon2id whose (slow) verify is when ``moderation user passwd`` lands, from
    another connection: the interleaving of a login racing a password change."""

    def __init__(self, db, name: str, new_password: str, **cost) -> None:
        super().__init__(**cost)
        self.db, self.name, self.new_password = db, name, new_password

    def verify(self, hash, password):
        verified = super().verify(hash, password)
        if self.new_password is not None:
            new_password, self.new_password = self.new_password, None
            with Store(self.db) as other:
                accounts.change_password(other, self.name, new_password)
        return verified


CHEAP = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def test_a_login_that_checked_the_old_password_gets_no_session_after_the_change(db, monkeypatch):
    with Store(db) as store:
        accounts.add_moderator(store, "alice", PASSWORD)
        racing = ChangedWhileVerifying(db, "alice", "the new password", **CHEAP)
        monkeypatch.setattr(accounts, "PASSWORD_HASHER", racing)
        login = accounts.log_in(store, "alice", PASSWORD, LOCAL)  # checked: the old one
        with pytest.raises(accounts.LoginFailed):
            accounts.start_session(store, login)
        assert store.conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
        assert accounts.log_in(store, "alice", "the new password", LOCAL).name == "alice"


def test_a_rehash_at_login_never_undoes_a_password_change_made_meanwhile(db, monkeypatch):
    with Store(db) as store:
        accounts.add_moderator(store, "alice", PASSWORD)  # hashed with the old cost
        stronger = {**CHEAP, "time_cost": 2}  # the login finds the hash needs redoing
        racing = ChangedWhileVerifying(db, "alice", "the new password", **stronger)
        monkeypatch.setattr(accounts, "PASSWORD_HASHER", racing)
        with pytest.raises(accounts.LoginFailed):
            accounts.log_in(store, "alice", PASSWORD, LOCAL)
        stored = store.users.password_hash("alice")
        assert racing.verify(stored, "the new password")  # the change stands
        with pytest.raises(argon2.exceptions.VerifyMismatchError):
            racing.verify(stored, PASSWORD)
