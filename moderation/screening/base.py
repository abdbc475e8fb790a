"""The one interface every screening signal shares, and what a signal may look at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from ..models import Comment, SignalResult, utcnow
from ..settings import Settings

if TYPE_CHECKING:
    from ..articles import ArticleInfo
    from ..store import Store


@dataclass
class ScreeningContext:
    """Everything a signal may consult besides the comment itself.

    ``history`` is the store the comments come from (``None`` when screening
    without a database, e.g. in unit tests); ``articles`` is the article index by
    slug; ``recheck`` is true when the comments were screened before and are
    being looked at again (Akismet is told so).
    """

    settings: Settings
    history: Store | None = None
    articles: Mapping[str, ArticleInfo] = field(default_factory=dict)
    now: datetime = field(default_factory=utcnow)
    recheck: bool = False


class Signal(Protocol):
    """A signal judges comments and explains itself: a score in [0, 1] and reasons."""

    name: str

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        """One result per comment, in order."""


def check(signal: Signal, comment: Comment, context: ScreeningContext) -> SignalResult:
    """Convenience: run ``signal`` on a single comment."""
    return signal.check_many([comment], context)[0]


def noisy_or(weights: Sequence[float]) -> float:
    """Combine independent pieces of evidence: 1 - Π(1 - w)."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining
