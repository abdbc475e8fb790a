"""The one interface every screening signal shares, and what a signal may look at."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ..models import Comment, SignalResult, utcnow
from ..settings import Settings

if TYPE_CHECKING:
    from ..articles import ArticleInfo
    from ..store import Store

#: ``progress(done, total)``, called by a slow signal as it goes.
Progress = Callable[[int, int], None]


@dataclass
class ScreeningContext:
    """Everything a signal may consult besides the comment itself.

    ``store`` is the store the comments come from (``None`` when screening
    without a database, e.g. ``classify`` in a test); ``articles`` is the article
    index by slug; ``recheck`` is true when the comments were screened before and
    are being looked at again (Akismet is told so).
    """

    settings: Settings
    store: Store | None = None
    articles: Mapping[str, ArticleInfo] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)
    recheck: bool = False
    progress: Progress | None = None

    def article_for(self, comment: Comment) -> ArticleInfo | None:
        """The article the comment is about: described by the comment itself (a
        ``classify`` line may carry its title and text), else the content folder's."""
        if comment.article_title or comment.article_text:
            from ..articles import described_article

            return described_article(comment.article, comment.article_title, comment.article_text)
        return self.articles.get(comment.article) if comment.article else None


class Signal(Protocol):
    """A signal judges comments and explains itself.

    ``check_many`` returns one :class:`~moderation.models.SignalResult` per
    comment, in order: a score in [0, 1], the weight it adds to the combined
    log-odds (its ``kind`` says whether that is the starting point or evidence),
    findings for the moderator and, when needed, a floor. A new signal only has
    to be listed in :func:`moderation.screening.default_signals`.
    """

    name: str

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]: ...


def check(signal: Signal, comment: Comment, context: ScreeningContext) -> SignalResult:
    """Convenience: run ``signal`` on a single comment."""
    return signal.check_many([comment], context)[0]


def noisy_or(weights: Sequence[float]) -> float:
    """Combine independent pieces of evidence: 1 - Π(1 - w)."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining


#: The smallest and largest probability turned into log-odds.
_CLIP = 1e-4


def log_odds(probability: float) -> float:
    p = min(max(probability, _CLIP), 1 - _CLIP)
    return math.log(p / (1 - p))


def evidence_weight(score: float, strength: float) -> float:
    """What evidence scored ``score`` (noisy-or of its findings) adds to the log-odds."""
    return strength * -math.log(max(1.0 - score, _CLIP)) if score else 0.0
