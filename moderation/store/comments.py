"""Comments: storing them as they arrive, finding them, and what screening asks about them."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime

from ..errors import StoreError, UnknownComment
from ..models import Comment, Label, Origin, State, new_comment_id, utcnow
from .db import Part, from_text, in_chunks, like_pattern, to_text
from .decisions import NOT_UNDONE, log_decision


def comment_from_row(row: sqlite3.Row) -> Comment:
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
        origin=Origin(row["origin"]),
        intake_flags=tuple(json.loads(row["intake_flags"])),
        status=State(row["status"]),
        avatar_opt_in=bool(row["avatar_opt_in"]),
        edited_at=from_text(row["edited_at"]),
        withdrawn_at=from_text(row["withdrawn_at"]),
    )


class Comments(Part):
    """The ``comments`` table: every comment ever received, with its request context."""

    # -- storing -------------------------------------------------------------------

    def add(
        self,
        comment: Comment,
        *,
        status: State = State.RECEIVED,
        actor: str = "intake",
        note: str | None = None,
        label: Label | None = None,
    ) -> Comment:
        """Store a new comment (durably, before this returns) and log its arrival."""
        return self.add_many([comment], status=status, actor=actor, note=note, label=label)[0]

    def add_many(
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
        now = to_text(utcnow())
        with self.db.transaction() as conn:
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
                        intake_flags, content_hash, updated_at, avatar_opt_in, withdrawn_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        comment_id,
                        comment.article,
                        comment.reply_to,
                        comment.author,
                        comment.email,
                        comment.author_url,
                        comment.body,
                        str(state),
                        str(comment.origin),
                        to_text(comment.received_at),
                        comment.ip,
                        comment.user_agent,
                        comment.referrer,
                        comment.language,
                        json.dumps(list(comment.intake_flags)),
                        comment.content_hash,
                        now,
                        int(comment.avatar_opt_in),
                        # An import's comment deleted on the old system (see importers.plan).
                        to_text(comment.withdrawn_at) if comment.withdrawn_at else None,
                    ),
                )
                break
            except sqlite3.IntegrityError as exc:
                # Only a clash of the random id is worth another try.
                if comment.id or "comments.id" not in str(exc):
                    raise StoreError(f"cannot store comment: {exc}") from exc
        else:
            raise StoreError("could not allocate a unique comment id")
        log_decision(
            conn, comment_id, actor, None, State(state), label, note, at=datetime.fromisoformat(now)
        )
        return comment.with_changes(id=comment_id, status=State(state))

    # -- finding -------------------------------------------------------------------

    def get(self, comment_id: str) -> Comment:
        row = self.conn.execute("SELECT * FROM comments WHERE id = ?", (comment_id,)).fetchone()
        if row is None:
            raise UnknownComment(comment_id)
        return comment_from_row(row)

    def get_many(self, comment_ids: Sequence[str]) -> list[Comment]:
        """All of ``comment_ids``, in order; an unknown id raises before anything is returned."""
        return [self.get(comment_id) for comment_id in comment_ids]

    def existing(self, comment_ids: Iterable[str | None]) -> list[Comment]:
        """Those of ``comment_ids`` still stored, in order (one may be erased meanwhile)."""
        found = []
        for comment_id in comment_ids:
            row = self.conn.execute("SELECT * FROM comments WHERE id = ?", (comment_id,)).fetchone()
            if row is not None:
                found.append(comment_from_row(row))
        return found

    def list(
        self,
        *,
        status: State | str | None = None,
        article: str | None = None,
        email: str | None = None,
        reason: str | None = None,
        label: Label | str | None = None,
        not_label: Label | str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[Comment]:
        """Comments filtered by state, article, email, a screening reason or the
        moderator's current label (``label``, or anything but ``not_label``), oldest first."""
        where, params = _filters(status, article, email, reason, label, not_label)
        order = "DESC" if newest_first else "ASC"
        sql = f"SELECT c.* FROM comments c{where} ORDER BY c.received_at {order}, c.id {order}"
        if limit is not None or offset:
            # SQLite needs a LIMIT before an OFFSET; -1 means no limit.
            sql += f" LIMIT {-1 if limit is None else int(limit)} OFFSET {int(offset)}"
        return [comment_from_row(row) for row in self.conn.execute(sql, params)]

    def count(
        self,
        *,
        status: State | str | None = None,
        article: str | None = None,
        email: str | None = None,
        reason: str | None = None,
        label: Label | str | None = None,
        not_label: Label | str | None = None,
    ) -> int:
        """How many comments :meth:`list` would return with the same filters."""
        where, params = _filters(status, article, email, reason, label, not_label)
        return self.conn.execute(f"SELECT count(*) FROM comments c{where}", params).fetchone()[0]

    def counts(self) -> dict[str, int]:
        """How many comments are in each state (every state listed, zeros included)."""
        counts = {str(state): 0 for state in State}
        for status, count in self.conn.execute(
            "SELECT status, count(*) FROM comments GROUP BY status"
        ):
            counts[status] = count
        return counts

    def labelled(self) -> list[tuple[Comment, Label]]:
        """Every comment a moderator has labelled, with its latest label, oldest decision first.

        A label whose decision was undone does not count: the one before it does. A
        label is for the text the moderator decided on: when its author edited the
        comment afterwards, the comment comes with that text (the version the first
        later edit kept), not with the new one nobody labelled.
        """
        rows = self.conn.execute(
            f"""SELECT c.*, d.label AS decided_label, r.author AS labelled_author,
                   r.author_url AS labelled_author_url, r.body AS labelled_body
               FROM comments c
               JOIN decisions d ON d.id = (
                   SELECT max(l.id) FROM decisions l
                   WHERE l.comment_id = c.id AND l.label IS NOT NULL
                   AND {NOT_UNDONE.format(alias="l")})
               LEFT JOIN comment_revisions r ON r.id = (
                   SELECT min(v.id) FROM comment_revisions v
                   WHERE v.comment_id = c.id AND v.kind = 'edit' AND v.at > d.at)
               ORDER BY d.id"""
        )
        found = []
        for row in rows:
            comment = comment_from_row(row)
            if row["labelled_body"] is not None:
                comment = comment.with_changes(
                    author=row["labelled_author"],
                    author_url=row["labelled_author_url"],
                    body=row["labelled_body"],
                )
            found.append((comment, Label(row["decided_label"])))
        return found

    def current_labels(self, comment_ids: Sequence[str]) -> dict[str, Label]:
        """The current label of each of ``comment_ids`` that has one."""
        labels: dict[str, Label] = {}
        for chunk in in_chunks(comment_ids):
            marks = ",".join("?" * len(chunk))
            for comment_id, label in self.conn.execute(
                f"SELECT c.id, {CURRENT_LABEL} FROM comments c WHERE c.id IN ({marks})",
                list(chunk),
            ):
                if label is not None:
                    labels[comment_id] = Label(label)
        return labels

    def approved_ids(self, article: str) -> set[str]:
        return {
            row[0]
            for row in self.conn.execute(
                "SELECT id FROM comments WHERE article = ? AND status = 'approved'", (article,)
            )
        }

    # -- what the rules ask about history ------------------------------------------------

    def duplicate_of(self, content_hash: str, *, exclude_id: str | None = None) -> str | None:
        """The id of an earlier comment with exactly this content, if any."""
        row = self.conn.execute(
            """SELECT id FROM comments WHERE content_hash = ? AND id IS NOT ?
               ORDER BY received_at LIMIT 1""",
            (content_hash, exclude_id),
        ).fetchone()
        return row[0] if row else None

    def with_content(self, content_hashes: Sequence[str]) -> dict[str, list[tuple[datetime, str]]]:
        """For each content hash, the (received at, id) of the comments that have it."""
        found: dict[str, list[tuple[datetime, str]]] = {}
        for chunk in in_chunks(sorted(set(content_hashes))):
            marks = ",".join("?" * len(chunk))
            for content_hash, received_at, comment_id in self.conn.execute(
                f"""SELECT content_hash, received_at, id FROM comments
                    WHERE content_hash IN ({marks}) ORDER BY received_at, id""",
                list(chunk),
            ):
                found.setdefault(content_hash, []).append(
                    (datetime.fromisoformat(received_at), comment_id)
                )
        return found

    def approved_by_email(self, emails: Sequence[str]) -> Counter[str]:
        """How many approved comments each (lower-cased) email address has."""
        approved: Counter[str] = Counter()
        for chunk in in_chunks(sorted({email.lower() for email in emails})):
            marks = ",".join("?" * len(chunk))
            for email, count in self.conn.execute(
                f"""SELECT lower(email), count(*) FROM comments WHERE status = 'approved'
                    AND lower(email) IN ({marks}) GROUP BY lower(email)""",
                list(chunk),
            ):
                approved[email] = count
        return approved

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
            (ip, to_text(since), to_text(before or utcnow()), exclude_id),
        ).fetchone()[0]


def _filters(
    status: State | str | None,
    article: str | None,
    email: str | None,
    reason: str | None,
    label: Label | str | None = None,
    not_label: Label | str | None = None,
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
    if reason is not None:
        # Each reason of the latest run, matched literally (% and _ are not wildcards),
        # not the JSON it is kept as: quotes and backslashes are searched as written.
        where.append(
            """EXISTS (SELECT 1 FROM json_each((SELECT s.reasons FROM screenings s
                WHERE s.comment_id = c.id ORDER BY s.id DESC LIMIT 1))
                WHERE value LIKE ? ESCAPE '\\')"""
        )
        params.append(like_pattern(reason))
    if label is not None:
        where.append(f"{CURRENT_LABEL} = ?")
        params.append(str(Label(label)))
    if not_label is not None:
        where.append(f"{CURRENT_LABEL} IS NOT ?")
        params.append(str(Label(not_label)))
    return (" WHERE " + " AND ".join(where) if where else ""), params


#: A comment's current label: its latest labelled decision that was not undone.
CURRENT_LABEL = f"""(SELECT l.label FROM decisions l WHERE l.comment_id = c.id
    AND l.label IS NOT NULL AND {NOT_UNDONE.format(alias="l")} ORDER BY l.id DESC LIMIT 1)"""
