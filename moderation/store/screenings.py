"""Screening runs: every verdict with every signal's result, and the recheck schedule."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from datetime import datetime

from ..errors import UnknownComment
from ..models import (
    STATE_FOR_DECISION,
    Comment,
    Decision,
    SignalKind,
    SignalResult,
    State,
    Verdict,
    text_version,
    utcnow,
)
from .comments import comment_from_row
from .db import Part, from_text, to_text
from .decisions import log_decision

#: Added to the reasons of a run whose text was changed while it was screened.
STALE_NOTE = "the text was changed while it was screened: this run decided nothing"


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
    #: What Akismet was sent, kept by version 1 of the schema; newer runs keep it
    #: with the signal's own result (``SignalResult.sent``).
    akismet_params: dict[str, str] | None

    def signal(self, name: str) -> SignalResult | None:
        return next((s for s in self.signals if s.signal == name), None)


class Screenings(Part):
    """The ``screenings`` and ``signal_results`` tables, and when a comment is due."""

    def due(self, now: datetime | None = None) -> list[Comment]:
        """Comments never screened, then held ones whose recheck time has come."""
        rows = self.conn.execute(
            """SELECT * FROM comments
               WHERE status = 'received' OR (status = 'held' AND next_check_at <= ?)
               ORDER BY received_at, id""",
            (to_text(now or utcnow()),),
        )
        return [comment_from_row(row) for row in rows]

    def record(
        self,
        comment_id: str,
        verdict: Verdict,
        *,
        version: str,
        next_check_at: datetime | None = None,
        actor: str = "screening",
        now: datetime | None = None,
    ) -> State:
        """Keep a screening run and move the comment to the state its verdict asks for.

        ``version`` is the :attr:`~moderation.models.Comment.version` that was
        screened. Only a comment still waiting for screening moves (``received``,
        or ``held`` with a recheck due), and only while its text is still that
        version: one a moderator has already acted on, or one its author edited
        meanwhile, keeps its state, but the run is kept all the same. Returns the
        comment's state afterwards, which is ``received`` only in that second case:
        the edited text waits to be screened.
        """
        now = now or utcnow()
        with self.db.transaction() as conn:
            row = conn.execute(
                """SELECT status, next_check_at, first_failure_at, author, author_url, body
                   FROM comments WHERE id = ?""",
                (comment_id,),
            ).fetchone()
            if row is None:
                raise UnknownComment(comment_id)
            stale = text_version(row["author"], row["author_url"], row["body"]) != version
            if stale:
                verdict = replace(verdict, reasons=(*verdict.reasons, STALE_NOTE))
            cursor = conn.execute(
                """INSERT INTO screenings (comment_id, screened_at, decision, score, reasons)
                   VALUES (?, ?, ?, ?, ?)""",
                (
                    comment_id,
                    to_text(now),
                    str(verdict.decision),
                    verdict.score,
                    json.dumps(list(verdict.reasons), ensure_ascii=False),
                ),
            )
            conn.executemany(
                """INSERT INTO signal_results (screening_id, signal, kind, weight, score, reason,
                       floor, findings, retry, sent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    (
                        cursor.lastrowid,
                        s.signal,
                        str(s.kind),
                        s.weight,
                        s.score,
                        s.reason,
                        s.floor and str(s.floor),
                        json.dumps(list(s.findings), ensure_ascii=False),
                        int(s.retry),
                        json.dumps(s.sent) if s.sent is not None else None,
                    )
                    for s in verdict.signals
                ],
            )
            current = State(row["status"])
            waiting = current is State.RECEIVED or (
                current is State.HELD and row["next_check_at"] is not None
            )
            if not waiting or stale:
                return current
            target = STATE_FOR_DECISION[verdict.decision]
            first_failure = row["first_failure_at"]
            if verdict.retry and first_failure is None:
                first_failure = to_text(now)
            conn.execute(
                """UPDATE comments SET status = ?, next_check_at = ?, first_failure_at = ?,
                       updated_at = ? WHERE id = ?""",
                (
                    str(target),
                    next_check_at and to_text(next_check_at),
                    first_failure if verdict.retry else None,
                    to_text(now),
                    comment_id,
                ),
            )
            if target is not current:
                note = "; ".join(verdict.reasons) or None
                log_decision(conn, comment_id, actor, current, target, None, note)
            return target

    def _schedule(self, comment_id: str, column: str) -> datetime | None:
        row = self.conn.execute(
            f"SELECT {column} FROM comments WHERE id = ?", (comment_id,)
        ).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return from_text(row[0])

    def first_failure_at(self, comment_id: str) -> datetime | None:
        """When the current run of failed (retried) screenings began, if one is going on."""
        return self._schedule(comment_id, "first_failure_at")

    def next_check_at(self, comment_id: str) -> datetime | None:
        return self._schedule(comment_id, "next_check_at")

    def of(self, comment_id: str) -> list[ScreeningRecord]:
        """Every screening run of a comment, oldest first, with each signal's result."""
        rows = self.conn.execute(
            "SELECT * FROM screenings WHERE comment_id = ? ORDER BY id", (comment_id,)
        )
        return [self._record(row) for row in rows]

    def latest(self, comment_id: str) -> ScreeningRecord | None:
        """The newest screening run only (a held comment may have been rechecked often)."""
        row = self.conn.execute(
            "SELECT * FROM screenings WHERE comment_id = ? ORDER BY id DESC LIMIT 1",
            (comment_id,),
        ).fetchone()
        return self._record(row) if row is not None else None

    def _record(self, row: sqlite3.Row) -> ScreeningRecord:
        signals = tuple(
            SignalResult(
                signal=s["signal"],
                kind=SignalKind(s["kind"]),
                weight=s["weight"],
                score=s["score"],
                reason=s["reason"],
                floor=Decision(s["floor"]) if s["floor"] else None,
                findings=tuple(json.loads(s["findings"])),
                retry=bool(s["retry"]),
                sent=json.loads(s["sent"]) if s["sent"] else None,
            )
            for s in self.conn.execute(
                "SELECT * FROM signal_results WHERE screening_id = ? ORDER BY rowid",
                (row["id"],),
            )
        )
        return ScreeningRecord(
            id=row["id"],
            comment_id=row["comment_id"],
            screened_at=datetime.fromisoformat(row["screened_at"]),
            decision=Decision(row["decision"]),
            score=row["score"],
            reasons=tuple(json.loads(row["reasons"])),
            signals=signals,
            akismet_params=json.loads(row["akismet_params"]) if row["akismet_params"] else None,
        )
