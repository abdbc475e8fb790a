"""What the store remembers about commenters, looked up once per batch.

The rules ask three questions about history: has this author had comments
approved before (known by email only: a name and website are published on every
page, so anyone could copy them to borrow a regular's trust), is this an exact
copy of an earlier comment, and has this IP sent other comments moments ago.
Asking them comment by comment would cost several queries each; a batch asks
them in a handful of queries instead. Training examples are not history (nobody
wrote them here): they live in a table of their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..models import Comment
from ..store import Store


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
    history.approved_by_email = store.comments.approved_by_email(
        [c.email for c in comments if c.email]
    )
    history.by_hash = store.comments.with_content([c.content_hash for c in comments])
    window = timedelta(seconds=flood_seconds)
    if flood_seconds > 0:
        for index, comment in enumerate(comments):
            if comment.ip:
                history.recent_from_ip[index] = store.comments.count_from_ip(
                    comment.ip,
                    comment.received_at - window,
                    before=comment.received_at,
                    exclude_id=comment.id,
                )
    return history
