"""What the store remembers about commenters, looked up once per batch.

The rules ask three questions about history: has this author had comments
approved before (known by email only: a name and website are published on every
page, so anyone could copy them to borrow a regular's trust), is this an exact
copy of an earlier comment, and has this IP sent other comments moments ago.
Asking them comment by comment would cost several queries each; a batch asks
them in a handful of queries instead.
Training examples (origin ``training``) are not history: nobody wrote them here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..models import Comment
from ..store import Store

_CHUNK = 500  # stays far below SQLite's limit on bound parameters


@dataclass
class History:
    """Answers for one batch of comments."""

    approved_by_email: Counter[str] = field(default_factory=Counter)
    by_hash: dict[str, list[tuple[datetime, str]]] = field(default_factory=dict)
    recent_from_ip: dict[int, int] = field(default_factory=dict)

    def approved_count(self, comment: Comment) -> int:
        return self.approved_by_email[comment.email.lower()] if comment.email else 0

    def duplicate_of(self, comment: Comment) -> str | None:
        """The earliest other stored comment with the same content, received before this one."""
        if not self.by_hash:
            return None  # the usual case: no stored comment shares any text of this batch
        for received_at, comment_id in self.by_hash.get(comment.content_hash, ()):
            if comment_id != comment.id and (
                comment.id is None or received_at < comment.received_at
            ):
                return comment_id
        return None

    def flood_count(self, index: int) -> int:
        return self.recent_from_ip.get(index, 0)


def load_history(store: Store | None, comments: Sequence[Comment], flood_seconds: float) -> History:
    """Ask ``store`` everything the rules need about ``comments``."""
    history = History()
    if store is None or not comments:
        return history
    conn = store.conn
    emails = sorted({c.email.lower() for c in comments if c.email})
    for chunk in _chunks(emails):
        marks = ",".join("?" * len(chunk))
        for email, count in conn.execute(
            f"""SELECT lower(email), count(*) FROM comments WHERE status = 'approved'
                AND origin != 'training' AND lower(email) IN ({marks}) GROUP BY lower(email)""",
            chunk,
        ):
            history.approved_by_email[email] = count
    hashes = sorted({c.content_hash for c in comments})
    for chunk in _chunks(hashes):
        marks = ",".join("?" * len(chunk))
        for content_hash, received_at, comment_id in conn.execute(
            f"""SELECT content_hash, received_at, id FROM comments
                WHERE origin != 'training' AND content_hash IN ({marks})
                ORDER BY received_at, id""",
            chunk,
        ):
            history.by_hash.setdefault(content_hash, []).append(
                (datetime.fromisoformat(received_at), comment_id)
            )
    window = timedelta(seconds=flood_seconds)
    if flood_seconds > 0:
        for index, comment in enumerate(comments):
            if comment.ip:
                history.recent_from_ip[index] = store.count_from_ip(
                    comment.ip,
                    comment.received_at - window,
                    before=comment.received_at,
                    exclude_id=comment.id,
                )
    return history


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i : i + _CHUNK] for i in range(0, len(values), _CHUNK)]
