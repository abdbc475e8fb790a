"""What the stats page draws (issue 10): arrivals per state per day, signals, moderators."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from .comments import CURRENT_LABEL
from .db import Part, to_text


class Stats(Part):
    """Counts over a window of time, computed by SQLite."""

    def states_per_day(self, since: datetime) -> dict[str, Counter[str]]:
        """For each UTC day (``YYYY-MM-DD``) since ``since``: comments received, by their
        state now (spam labelled as promotion counted as ``promo``)."""
        days: dict[str, Counter[str]] = {}
        for day, state, count in self.conn.execute(
            f"""SELECT substr(c.received_at, 1, 10) AS day,
                    CASE WHEN c.status = 'spam' AND {CURRENT_LABEL} = 'promo'
                         THEN 'promo' ELSE c.status END AS state,
                    count(*)
                FROM comments c WHERE c.received_at >= ? GROUP BY day, state""",
            (to_text(since),),
        ):
            days.setdefault(day, Counter())[state] = count
        return days

    def signals_fired(self, since: datetime) -> Counter[str]:
        """For each signal, how many comments screened since ``since`` it found something
        against: weight towards spam, or a floor. A finding in the comment's favour (it
        discusses the article, asks a question) is not counted."""
        return Counter(
            {
                signal: count
                for signal, count in self.conn.execute(
                    """SELECT r.signal, count(DISTINCT s.comment_id)
                       FROM signal_results r JOIN screenings s ON s.id = r.screening_id
                       WHERE s.screened_at >= ?
                         AND (r.floor IS NOT NULL OR r.weight > 0)
                       GROUP BY r.signal""",
                    (to_text(since),),
                )
            }
        )

    def actions_per_moderator(self, since: datetime) -> dict[str, Counter[str]]:
        """For each moderator, how many comments each kind of action moved since ``since``."""
        found: dict[str, Counter[str]] = {}
        for actor, action, count in self.conn.execute(
            """SELECT actor, action, count(*) FROM decisions
               WHERE action IS NOT NULL AND at >= ? GROUP BY actor, action""",
            (to_text(since),),
        ):
            found.setdefault(actor, Counter())[action] = count
        return found
