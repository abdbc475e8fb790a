"""The store: one SQLite file that owns every piece of moderation state.

It keeps every comment with its request context, each screening run with every
signal's result, an append-only decision log, the learned model and the secret
used for keyed hashes. Nothing is deleted except by :meth:`Store.apply_retention`
(which only blanks request context) and :meth:`Store.erase_by_email`.

Connections run in autocommit mode and every write is an explicit
``BEGIN IMMEDIATE`` transaction, so a second writer waits on the busy timeout
instead of failing half-way. One :class:`Store` belongs to one thread.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .errors import InvalidTransition, StoreError, UnknownComment
from .models import (
    STATE_FOR_DECISION,
    Comment,
    Decision,
    Label,
    SignalResult,
    State,
    Verdict,
    new_comment_id,
    utcnow,
)

logger = logging.getLogger(__name__)

DEFAULT_DB = Path("var") / "moderation.db"
BUSY_TIMEOUT_SECONDS = 30.0

#: Each entry upgrades the schema by one version (PRAGMA user_version).
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE comments (
        id TEXT PRIMARY KEY,
        article TEXT NOT NULL,
        reply_to TEXT,
        author TEXT NOT NULL,
        email TEXT,
        author_url TEXT,
        body TEXT NOT NULL,
        status TEXT NOT NULL
            CHECK (status IN ('received', 'approved', 'held', 'spam', 'rejected')),
        origin TEXT NOT NULL,
        received_at TEXT NOT NULL,
        ip TEXT,
        ip_hash TEXT,
        user_agent TEXT,
        user_agent_hash TEXT,
        referrer TEXT,
        language TEXT,
        intake_flags TEXT NOT NULL DEFAULT '[]',
        content_hash TEXT NOT NULL,
        next_check_at TEXT,
        first_failure_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX comments_by_status ON comments (status, received_at);
    CREATE INDEX comments_by_ip ON comments (ip, received_at);
    CREATE INDEX comments_by_email ON comments (email);
    CREATE INDEX comments_by_hash ON comments (content_hash);
    CREATE INDEX comments_by_article ON comments (article);
    CREATE INDEX comments_due ON comments (next_check_at) WHERE next_check_at IS NOT NULL;
    CREATE TABLE screenings (
        id INTEGER PRIMARY KEY,
        comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        screened_at TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'hold', 'spam')),
        score REAL,
        reasons TEXT NOT NULL,
        akismet_params TEXT
    );
    CREATE INDEX screenings_by_comment ON screenings (comment_id, id);
    CREATE TABLE signal_results (
        screening_id INTEGER NOT NULL REFERENCES screenings (id) ON DELETE CASCADE,
        signal TEXT NOT NULL,
        score REAL,
        reason TEXT NOT NULL,
        floor TEXT,
        findings TEXT NOT NULL DEFAULT '[]',
        retry INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (screening_id, signal)
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        label TEXT CHECK (label IN ('ham', 'spam', 'promo')),
        note TEXT
    );
    CREATE INDEX decisions_by_comment ON decisions (comment_id, id);
    CREATE INDEX decisions_labelled ON decisions (comment_id, id) WHERE label IS NOT NULL;
    CREATE TRIGGER decisions_are_append_only BEFORE UPDATE ON decisions
    BEGIN
        SELECT RAISE(ABORT, 'the decision log is append-only');
    END;
    CREATE TABLE models (
        name TEXT PRIMARY KEY,
        trained_at TEXT NOT NULL,
        examples INTEGER NOT NULL,
        blob BLOB NOT NULL
    );
    """,
]

#: The moves a moderator may make, by action: allowed from-states and the target.
MODERATOR_ACTIONS: dict[str, tuple[frozenset[State], State, Label | None]] = {
    "approve": (
        frozenset({State.RECEIVED, State.HELD, State.SPAM, State.REJECTED}),
        State.APPROVED,
        Label.HAM,
    ),
    "reject": (
        frozenset({State.RECEIVED, State.HELD, State.APPROVED, State.SPAM}),
        State.REJECTED,
        None,
    ),
    "spam": (
        frozenset({State.RECEIVED, State.HELD, State.APPROVED, State.REJECTED}),
        State.SPAM,
        Label.SPAM,
    ),
    "promo": (
        frozenset({State.RECEIVED, State.HELD, State.APPROVED, State.REJECTED, State.SPAM}),
        State.SPAM,
        Label.PROMO,
    ),
    "restore": (frozenset({State.SPAM, State.REJECTED}), State.HELD, None),
}


def _ts(moment: datetime) -> str:
    """A UTC timestamp in one fixed format, so text order is time order."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: the store keeps aware times only")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class DecisionEntry:
    """One line of the append-only decision log."""

    id: int
    comment_id: str
    at: datetime
    actor: str
    from_state: State | None
    to_state: State
    label: Label | None
    note: str | None


@dataclass(frozen=True)
class ScreeningRecord:
    """One screening run of one comment, as stored."""

    id: int
    comment_id: str
    screened_at: datetime
    decision: Decision
    score: float | None
    reasons: tuple[str, ...]
    signals: tuple[SignalResult, ...]
    akismet_params: dict[str, str] | None


@dataclass(frozen=True)
class StoredModel:
    name: str
    trained_at: datetime
    examples: int
    blob: bytes


def default_db_path() -> Path:
    """``MODERATION_DB`` from the environment, else ``var/moderation.db``."""
    return Path(os.environ.get("MODERATION_DB") or DEFAULT_DB)


class Store:
    """The moderation database. Open with ``Store(path)`` or ``with Store(path) as store``."""

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
        try:
            self.conn = sqlite3.connect(
                str(path), timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self.conn.row_factory = sqlite3.Row
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable across a killed process in WAL mode; only a power
            # cut can lose the last commits. The intake service, which promises a
            # submission is stored before it answers, asks for FULL.
            if synchronous not in ("NORMAL", "FULL"):
                raise ValueError(f"synchronous must be NORMAL or FULL, not {synchronous!r}")
            self.conn.execute(f"PRAGMA synchronous = {synchronous}")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open moderation database {self.path}: {exc}") from exc
        self._secret: bytes | None = None

    # -- plumbing ---------------------------------------------------------------

    def __enter__(self) -> Store:
        return self

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
        while self.schema_version < len(MIGRATIONS):
            version = self.schema_version
            with self.transaction() as conn:
                # Re-check under the lock: another process may have migrated meanwhile.
                if conn.execute("PRAGMA user_version").fetchone()[0] != version:
                    continue
                for statement in _split_sql(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            logger.info("migrated %s to schema version %d", self.path, version + 1)

    def integrity_check(self) -> str:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0]

    # -- secrets and keyed hashes -----------------------------------------------

    @property
    def secret_key(self) -> bytes:
        """``MODERATION_SECRET_KEY`` from the environment, else one made and kept here."""
        if self._secret is None:
            from_env = os.environ.get("MODERATION_SECRET_KEY")
            if from_env:
                self._secret = from_env.encode("utf-8")
            else:
                with self.transaction() as conn:
                    conn.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('secret_key', ?)",
                        (secrets.token_hex(32),),
                    )
                    row = conn.execute("SELECT value FROM meta WHERE key = 'secret_key'").fetchone()
                self._secret = row[0].encode("utf-8")
        return self._secret

    def keyed_hash(self, purpose: str, value: str, length: int = 32) -> str:
        """An HMAC of ``value``: stable for this site, useless without the key."""
        digest = hmac.new(self.secret_key, f"{purpose}\x1f{value}".encode(), hashlib.sha256)
        return digest.hexdigest()[:length]

    def avatar_hash(self, email: str | None) -> str | None:
        """The only form in which an email ever leaves the database."""
        return self.keyed_hash("avatar", email.strip().lower(), 16) if email else None

    # -- comments ---------------------------------------------------------------

    def add_comment(
        self,
        comment: Comment,
        *,
        status: State = State.RECEIVED,
        actor: str = "intake",
        note: str | None = None,
        label: Label | None = None,
    ) -> Comment:
        """Store a new comment (durably, before this returns) and log its arrival."""
        return self.add_comments([comment], status=status, actor=actor, note=note, label=label)[0]

    def add_comments(
        self,
        comments: Iterable[Comment],
        *,
        status: State = State.RECEIVED,
        actor: str = "intake",
        note: str | None = None,
        label: Label | None = None,
    ) -> list[Comment]:
        """Store many comments in one transaction: all of them or none."""
        stored = []
        now = _ts(utcnow())
        with self.transaction() as conn:
            for comment in comments:
                stored.append(self._insert(conn, comment, status, actor, note, label, now))
        return stored

    def _insert(
        self,
        conn: sqlite3.Connection,
        comment: Comment,
        status: State,
        actor: str,
        note: str | None,
        label: Label | None,
        now: str,
    ) -> Comment:
        state = comment.status or status
        for _attempt in range(5):
            comment_id = comment.id or new_comment_id(comment.received_at)
            try:
                conn.execute(
                    """INSERT INTO comments (id, article, reply_to, author, email, author_url,
                        body, status, origin, received_at, ip, user_agent, referrer, language,
                        intake_flags, content_hash, updated_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        comment_id,
                        comment.article,
                        comment.reply_to,
                        comment.author,
                        comment.email,
                        comment.author_url,
                        comment.body,
                        str(state),
                        comment.origin,
                        _ts(comment.received_at),
                        comment.ip,
                        comment.user_agent,
                        comment.referrer,
                        comment.language,
                        json.dumps(list(comment.intake_flags)),
                        comment.content_hash,
                        now,
                    ),
                )
                break
            except sqlite3.IntegrityError as exc:
                # Only a clash of the random id is worth another try.
                if comment.id or "comments.id" not in str(exc):
                    raise StoreError(f"cannot store comment: {exc}") from exc
        else:
            raise StoreError("could not allocate a unique comment id")
        conn.execute(
            """INSERT INTO decisions (comment_id, at, actor, from_state, to_state, label, note)
               VALUES (?, ?, ?, NULL, ?, ?, ?)""",
            (comment_id, now, actor, str(state), label and str(label), note),
        )
        return comment.with_changes(id=comment_id, status=State(state))

    def get(self, comment_id: str) -> Comment:
        row = self.conn.execute("SELECT * FROM comments WHERE id = ?", (comment_id,)).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return _comment_from_row(row)

    def get_many(self, comment_ids: Sequence[str]) -> list[Comment]:
        """All of ``comment_ids``, in order; an unknown id raises before anything is returned."""
        return [self.get(comment_id) for comment_id in comment_ids]

    def list_comments(
        self,
        *,
        status: State | str | None = None,
        article: str | None = None,
        email: str | None = None,
        reason: str | None = None,
        include_training: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Comment]:
        """Comments, oldest first, filtered by state, article, email or a screening reason."""
        where, params = _comment_filters(status, article, email, reason, include_training)
        sql = f"SELECT c.* FROM comments c{where} ORDER BY c.received_at, c.id"
        if limit is not None or offset:
            # SQLite needs a LIMIT before an OFFSET; -1 means no limit.
            sql += f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
        return [_comment_from_row(row) for row in self.conn.execute(sql, params)]

    def count_comments(
        self,
        *,
        status: State | str | None = None,
        article: str | None = None,
        email: str | None = None,
        reason: str | None = None,
        include_training: bool = False,
    ) -> int:
        """How many comments :meth:`list_comments` would return with the same filters."""
        where, params = _comment_filters(status, article, email, reason, include_training)
        return self.conn.execute(f"SELECT count(*) FROM comments c{where}", params).fetchone()[0]

    def counts(self) -> dict[str, int]:
        """How many comments are in each state (every state listed, zeros included)."""
        counts = {str(state): 0 for state in State}
        rows = self.conn.execute(
            "SELECT status, count(*) FROM comments WHERE origin != 'training' GROUP BY status"
        )
        for status, count in rows:
            counts[status] = count
        return counts

    # -- state changes ------------------------------------------------------------

    def moderate(
        self,
        comment_id: str,
        action: str,
        *,
        actor: str = "moderator",
        note: str | None = None,
    ) -> DecisionEntry:
        """Apply a moderator's ``action`` (approve, reject, spam, promo, restore)."""
        allowed_from, target, label = MODERATOR_ACTIONS[action]
        with self.transaction() as conn:
            current = self._status(conn, comment_id)
            if current not in allowed_from:
                raise InvalidTransition(
                    f"cannot {action} comment {comment_id}: it is {current} "
                    f"(allowed from: {', '.join(sorted(allowed_from))})"
                )
            conn.execute(
                """UPDATE comments SET status = ?, next_check_at = NULL, updated_at = ?
                   WHERE id = ?""",
                (str(target), _ts(utcnow()), comment_id),
            )
            return self._log(conn, comment_id, actor, current, target, label, note)

    def _status(self, conn: sqlite3.Connection, comment_id: str) -> State:
        row = conn.execute("SELECT status FROM comments WHERE id = ?", (comment_id,)).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return State(row[0])

    def _log(
        self,
        conn: sqlite3.Connection,
        comment_id: str,
        actor: str,
        from_state: State | None,
        to_state: State,
        label: Label | None,
        note: str | None,
    ) -> DecisionEntry:
        at = utcnow()
        cursor = conn.execute(
            """INSERT INTO decisions (comment_id, at, actor, from_state, to_state, label, note)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (
                comment_id,
                _ts(at),
                actor,
                from_state and str(from_state),
                str(to_state),
                label and str(label),
                note,
            ),
        )
        return DecisionEntry(
            cursor.lastrowid, comment_id, at, actor, from_state, to_state, label, note
        )

    def decisions(self, comment_id: str | None = None) -> list[DecisionEntry]:
        """The decision log, oldest first, for one comment or all."""
        sql, params = "SELECT * FROM decisions", ()
        if comment_id is not None:
            sql, params = sql + " WHERE comment_id = ?", (comment_id,)
        return [_decision_from_row(row) for row in self.conn.execute(sql + " ORDER BY id", params)]

    def labelled_examples(self) -> list[tuple[Comment, Label]]:
        """Every comment a human has labelled, with its latest label: the model's truth."""
        rows = self.conn.execute(
            """SELECT c.*, d.label AS decided_label FROM comments c
               JOIN decisions d ON d.id = (
                   SELECT max(id) FROM decisions
                   WHERE comment_id = c.id AND label IS NOT NULL)
               ORDER BY d.id"""
        )
        return [(_comment_from_row(row), Label(row["decided_label"])) for row in rows]

    # -- screening ----------------------------------------------------------------

    def due_for_screening(self, now: datetime | None = None) -> list[Comment]:
        """Comments never screened, then held ones whose recheck time has come."""
        now_ts = _ts(now or utcnow())
        rows = self.conn.execute(
            """SELECT * FROM comments
               WHERE origin != 'training'
                 AND (status = 'received' OR (status = 'held' AND next_check_at <= ?))
               ORDER BY received_at, id""",
            (now_ts,),
        )
        return [_comment_from_row(row) for row in rows]

    def record_screening(
        self,
        comment_id: str,
        verdict: Verdict,
        *,
        next_check_at: datetime | None = None,
        actor: str = "screening",
        now: datetime | None = None,
    ) -> State:
        """Keep a screening run and move the comment to the state its verdict asks for.

        Only a comment still waiting for screening moves (``received``, or ``held``
        with a recheck due); one a moderator has already acted on keeps its state,
        but the run is kept all the same. Returns the comment's state afterwards.
        """
        now = now or utcnow()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT status, next_check_at, first_failure_at FROM comments WHERE id = ?",
                (comment_id,),
            ).fetchone()
            if row is None:
                raise UnknownComment(comment_id)
            cursor = conn.execute(
                """INSERT INTO screenings (comment_id, screened_at, decision, score, reasons,
                       akismet_params) VALUES (?, ?, ?, ?, ?, ?)""",
                (
                    comment_id,
                    _ts(now),
                    str(verdict.decision),
                    verdict.score,
                    json.dumps(list(verdict.reasons)),
                    json.dumps(verdict.akismet_params) if verdict.akismet_params else None,
                ),
            )
            conn.executemany(
                """INSERT INTO signal_results (screening_id, signal, score, reason, floor,
                       findings, retry) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [
                    (
                        cursor.lastrowid,
                        s.signal,
                        s.score,
                        s.reason,
                        s.floor and str(s.floor),
                        json.dumps(list(s.findings)),
                        int(s.retry),
                    )
                    for s in verdict.signals
                ],
            )
            current = State(row["status"])
            waiting = current is State.RECEIVED or (
                current is State.HELD and row["next_check_at"] is not None
            )
            if not waiting:
                return current
            target = STATE_FOR_DECISION[verdict.decision]
            first_failure = row["first_failure_at"]
            if verdict.retry and first_failure is None:
                first_failure = _ts(now)
            conn.execute(
                """UPDATE comments SET status = ?, next_check_at = ?, first_failure_at = ?,
                       updated_at = ? WHERE id = ?""",
                (
                    str(target),
                    next_check_at and _ts(next_check_at),
                    first_failure if verdict.retry else None,
                    _ts(now),
                    comment_id,
                ),
            )
            if target is not current:
                self._log(
                    conn,
                    comment_id,
                    actor,
                    current,
                    target,
                    None,
                    "; ".join(verdict.reasons) or None,
                )
            return target

    def first_failure_at(self, comment_id: str) -> datetime | None:
        """When the current run of failed (retried) screenings began, if one is going on."""
        row = self.conn.execute(
            "SELECT first_failure_at FROM comments WHERE id = ?", (comment_id,)
        ).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return _dt(row[0])

    def next_check_at(self, comment_id: str) -> datetime | None:
        row = self.conn.execute(
            "SELECT next_check_at FROM comments WHERE id = ?", (comment_id,)
        ).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return _dt(row[0])

    def screenings(self, comment_id: str) -> list[ScreeningRecord]:
        """Every screening run of a comment, oldest first, with each signal's result."""
        rows = self.conn.execute(
            "SELECT * FROM screenings WHERE comment_id = ? ORDER BY id", (comment_id,)
        )
        return [self._screening_record(row) for row in rows]

    def latest_screening(self, comment_id: str) -> ScreeningRecord | None:
        """The newest screening run only (a held comment may have been rechecked often)."""
        row = self.conn.execute(
            "SELECT * FROM screenings WHERE comment_id = ? ORDER BY id DESC LIMIT 1",
            (comment_id,),
        ).fetchone()
        return self._screening_record(row) if row is not None else None

    def _screening_record(self, row: sqlite3.Row) -> ScreeningRecord:
        comment_id = row["comment_id"]
        signals = tuple(
            SignalResult(
                signal=s["signal"],
                score=s["score"],
                reason=s["reason"],
                floor=Decision(s["floor"]) if s["floor"] else None,
                findings=tuple(json.loads(s["findings"])),
                retry=bool(s["retry"]),
            )
            for s in self.conn.execute(
                "SELECT * FROM signal_results WHERE screening_id = ? ORDER BY rowid",
                (row["id"],),
            )
        )
        return ScreeningRecord(
            id=row["id"],
            comment_id=comment_id,
            screened_at=_dt(row["screened_at"]),
            decision=Decision(row["decision"]),
            score=row["score"],
            reasons=tuple(json.loads(row["reasons"])),
            signals=signals,
            akismet_params=json.loads(row["akismet_params"]) if row["akismet_params"] else None,
        )

    # -- history the rules ask about (batched versions live in screening/history.py) ----

    def duplicate_of(self, content_hash: str, *, exclude_id: str | None = None) -> str | None:
        """The id of an earlier comment with exactly this content, if any."""
        row = self.conn.execute(
            """SELECT id FROM comments WHERE content_hash = ? AND id IS NOT ?
               AND origin != 'training' ORDER BY received_at LIMIT 1""",
            (content_hash, exclude_id),
        ).fetchone()
        return row[0] if row else None

    def count_from_ip(
        self,
        ip: str,
        since: datetime,
        *,
        before: datetime | None = None,
        exclude_id: str | None = None,
    ) -> int:
        """Comments from ``ip`` received in [since, before)."""
        return self.conn.execute(
            """SELECT count(*) FROM comments WHERE ip = ? AND received_at >= ?
               AND received_at < ? AND id IS NOT ?""",
            (ip, _ts(since), _ts(before or utcnow()), exclude_id),
        ).fetchone()[0]

    def approved_ids(self, article: str) -> set[str]:
        return {
            row[0]
            for row in self.conn.execute(
                "SELECT id FROM comments WHERE article = ? AND status = 'approved'", (article,)
            )
        }

    # -- the learned model ----------------------------------------------------------

    def save_model(self, name: str, blob: bytes, examples: int) -> None:
        with self.transaction() as conn:
            conn.execute(
                """INSERT INTO models (name, trained_at, examples, blob) VALUES (?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET trained_at = excluded.trained_at,
                       examples = excluded.examples, blob = excluded.blob""",
                (name, _ts(utcnow()), examples, blob),
            )

    def load_model(self, name: str) -> StoredModel | None:
        row = self.conn.execute("SELECT * FROM models WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        return StoredModel(row["name"], _dt(row["trained_at"]), row["examples"], row["blob"])

    # -- privacy -------------------------------------------------------------------

    def apply_retention(self, days: int, now: datetime | None = None) -> int:
        """Replace IP and user agent older than ``days`` by keyed hashes; returns how many."""
        cutoff = _ts((now or utcnow()) - timedelta(days=days))
        self.secret_key  # noqa: B018 - make or read the key before taking the write lock
        with self.transaction() as conn:
            rows = conn.execute(
                """SELECT id, ip, user_agent FROM comments WHERE received_at < ?
                   AND (ip IS NOT NULL OR user_agent IS NOT NULL)""",
                (cutoff,),
            ).fetchall()
            conn.executemany(
                """UPDATE comments SET ip = NULL, user_agent = NULL,
                       ip_hash = coalesce(?, ip_hash),
                       user_agent_hash = coalesce(?, user_agent_hash)
                   WHERE id = ?""",
                [
                    (
                        row["ip"] and self.keyed_hash("ip", row["ip"]),
                        row["user_agent"] and self.keyed_hash("user_agent", row["user_agent"]),
                        row["id"],
                    )
                    for row in rows
                ],
            )
        if rows:
            logger.info("retention: hashed the request context of %d comments", len(rows))
        return len(rows)

    def request_context(self, comment_id: str) -> dict[str, str | None]:
        """IP, user agent and their hashes (what retention has left of them)."""
        row = self.conn.execute(
            "SELECT ip, ip_hash, user_agent, user_agent_hash FROM comments WHERE id = ?",
            (comment_id,),
        ).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return dict(row)

    def erase_by_email(self, email: str) -> list[Comment]:
        """Delete every comment written with ``email``, with its screenings and decisions."""
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM comments WHERE lower(email) = lower(?)", (email,)
            ).fetchall()
            conn.execute("DELETE FROM comments WHERE lower(email) = lower(?)", (email,))
        return [_comment_from_row(row) for row in rows]


def _comment_filters(
    status: State | str | None,
    article: str | None,
    email: str | None,
    reason: str | None,
    include_training: bool,
) -> tuple[str, list[str]]:
    """The WHERE clause (with its leading space, or empty) and parameters for a comment query."""
    where, params = [], []
    if status is not None:
        where.append("c.status = ?")
        params.append(str(State(status)))
    if article is not None:
        where.append("c.article = ?")
        params.append(article)
    if email is not None:
        where.append("lower(c.email) = lower(?)")
        params.append(email)
    if not include_training:
        where.append("c.origin != 'training'")
    if reason is not None:
        where.append(
            """(SELECT s.reasons FROM screenings s WHERE s.comment_id = c.id
                ORDER BY s.id DESC LIMIT 1) LIKE ?"""
        )
        params.append(f"%{reason}%")
    return (" WHERE " + " AND ".join(where) if where else ""), params


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (triggers contain ';' inside BEGIN ... END)."""
    statements, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        candidate = "\n".join(current).strip()
        if candidate.endswith(";") and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    if "\n".join(current).strip():
        statements.append("\n".join(current).strip())
    return statements


def _comment_from_row(row: sqlite3.Row) -> Comment:
    return Comment(
        id=row["id"],
        article=row["article"],
        author=row["author"],
        body=row["body"],
        email=row["email"],
        author_url=row["author_url"],
        reply_to=row["reply_to"],
        ip=row["ip"],
        user_agent=row["user_agent"],
        referrer=row["referrer"],
        language=row["language"],
        received_at=datetime.fromisoformat(row["received_at"]),
        origin=row["origin"],
        intake_flags=tuple(json.loads(row["intake_flags"])),
        status=State(row["status"]),
    )


def _decision_from_row(row: sqlite3.Row) -> DecisionEntry:
    return DecisionEntry(
        id=row["id"],
        comment_id=row["comment_id"],
        at=datetime.fromisoformat(row["at"]),
        actor=row["actor"],
        from_state=State(row["from_state"]) if row["from_state"] else None,
        to_state=State(row["to_state"]),
        label=Label(row["label"]) if row["label"] else None,
        note=row["note"],
    )
