"""The connection: pragmas, write transactions (nested ones as savepoints), migrations.

Connections run in autocommit mode and every write is an explicit ``BEGIN
IMMEDIATE`` transaction, so a second writer waits on the busy timeout instead of
failing half-way. One :class:`Database` belongs to one thread.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..errors import StoreError
from .migrations import MIGRATIONS, split_sql

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 30.0
#: Values bound to one ``IN (...)`` at most: far below SQLite's limit on parameters.
IN_CHUNK = 500


def to_text(moment: datetime) -> str:
    """A UTC timestamp in one fixed format, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: the store keeps aware times only")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_text(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def in_chunks(values: Iterable[str]) -> list[list[str]]:
    """``values`` without repeats, in pieces small enough for one ``IN (...)`` each."""
    unique = list(dict.fromkeys(values))
    return [unique[i : i + IN_CHUNK] for i in range(0, len(unique), IN_CHUNK)]


def like_pattern(text: str) -> str:
    """``text`` as a LIKE pattern that matches it literally anywhere (``ESCAPE '\\'``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Database:
    """One SQLite connection with the project's pragmas, transactions and migrations."""

    def __init__(
        self,
        path: str | Path,
        *,
        timeout: float = BUSY_TIMEOUT_SECONDS,
        synchronous: str = "NORMAL",
    ) -> None:
        self.path = Path(path)
        self._depth = 0  # how many transaction() blocks are open
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # NORMAL is durable across a killed process in WAL mode; only a power cut
        # can lose the last commits. The intake, which promises a submission is
        # stored before it answers, asks for FULL.
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
        try:
            self.conn = sqlite3.connect(
                str(path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open moderation database {self.path}: {exc}") from exc
        try:
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._use_wal(timeout)
            self.conn.execute(f"PRAGMA synchronous = {synchronous}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except BaseException as exc:
            # Nobody gets this object to close: close the file here (a newer schema,
            # a failed migration, a file that is not a database).
            self.conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StoreError(f"cannot open moderation database {self.path}: {exc}") from exc
            raise

    def __enter__(self) -> Database:
        return self

    def _use_wal(self, timeout: float) -> None:
        """Turn WAL on, waiting for the file as every other statement does.

        Switching a new file to WAL needs it to itself, and SQLite gives up at once
        there instead of calling the busy handler: two services opening a new
        database together would fail with "database is locked".
        """
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as exc:
                busy = exc.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY  # BUSY_RECOVERY too
                if not busy or time.monotonic() > deadline:
                    raise
            time.sleep(0.005)

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the lock up front (waits, never deadlocks).

        Nested inside another, it becomes a savepoint: the outer transaction commits
        or rolls back everything, so several store calls can form one unit. Nesting
        is counted here, not read off the connection, so a transaction left open by
        a failure can never turn later writes into savepoints that never commit.
        """
        if self._depth:
            yield from self._savepoint()
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite may already have rolled back (disk full, I/O error): then a
            # second ROLLBACK would fail and hide the error that matters.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._depth = 0

    def _savepoint(self) -> Iterator[sqlite3.Connection]:
        name = f"nested_{self._depth}"
        self.conn.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield self.conn
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute(f"ROLLBACK TO {name}")
                self.conn.execute(f"RELEASE {name}")
            raise
        else:
            self.conn.execute(f"RELEASE {name}")
        finally:
            self._depth -= 1

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """A read transaction: every read inside sees the database as of one moment.

        Writers go on meanwhile (WAL); a write inside it is an error. Inside a write
        transaction it is that transaction.
        """
        if self._depth or self.conn.in_transaction:
            yield
            return
        self.conn.execute("BEGIN DEFERRED")  # the snapshot is taken at the first read
        try:
            yield
        finally:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")  # nothing was written: only the reads end

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        if self.schema_version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path} has schema version {self.schema_version}, newer than this "
                f"program knows ({len(MIGRATIONS)}); upgrade the program"
            )
        # Read the version once a round: read twice, another process could migrate
        # in between, and this one would run a migration past the last.
        while (version := self.schema_version) < len(MIGRATIONS):
            with self.transaction() as conn:
                # Re-check under the lock: another process may have migrated meanwhile.
                if conn.execute("PRAGMA user_version").fetchone()[0] != version:
                    continue
                for statement in split_sql(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            logger.info("migrated %s to schema version %d", self.path, version + 1)

    def backup_to(self, path: str | Path) -> None:
        """Copy the whole database, consistent as of one moment, into a new file ``path``.

        A dry run of ``invoke publish`` screens and publishes on such a copy, so it
        can show what would happen without changing anything (issue 12).
        """
        target = sqlite3.connect(str(path))
        try:
            self.conn.backup(target)
        finally:
            target.close()

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]


class Part:
    """One concern of the store (comments, screenings, ...), sharing the database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn
