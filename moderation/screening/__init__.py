"""Screening: every signal runs on every comment, and the policy explains its verdict.

Signals (one module each, one interface in :mod:`.base`): ``akismet``, ``intake``
(findings made when the comment arrived), ``rules`` (what WordPress checks),
``blocklist`` (senders a moderator blocked), ``commercial`` (support numbers and
the trades of comment spam), ``promotion`` (human-written pitches), ``relevance``
(does it discuss its article), ``genuine`` (what speaks for it) and the learned
``model``. :mod:`.policy` combines their results into a
:class:`~moderation.models.Verdict` that keeps every result and every reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from ..articles import ArticleInfo, load_articles
from ..models import Comment, Decision, State, Verdict, utcnow
from ..settings import Settings
from ..store import Store
from .akismet import (
    KEY_VARIABLE,
    AkismetSignal,
    akismet_config,
    load_permalinks,
    make_client,
    make_http_client,
)
from .base import Progress, ScreeningContext, Signal
from .blocklist import BlocklistSignal
from .commercial import CommercialSignal
from .genuine import GenuineSignal
from .intake import IntakeSignal
from .learned import MODEL_NAME, LearnedModel, LearnedSignal, TrainingSummary, retrain
from .policy import verdict_for
from .promotion import PromotionSignal
from .relevance import RelevanceSignal
from .rules import RulesSignal
from .text import shared_for_batch

__all__ = [
    "ScreenReport",
    "Screener",
    "ScreeningContext",
    "Signal",
    "TrainingSummary",
    "default_signals",
    "retrain",
    "screen_and_record",
    "screen_due",
]

if TYPE_CHECKING:
    # Not imported at run time: this package's own ``akismet`` module shadows it here.
    import akismet

logger = logging.getLogger(__name__)


def default_signals(
    settings: Settings,
    store: Store | None,
    *,
    akismet_client: akismet.SyncClient | None = None,
    model: LearnedModel | None = None,
) -> list[Signal]:
    """Every signal, in the order they run: Akismet first (it is slow and reports
    progress), then the local ones."""
    return [
        AkismetSignal(akismet_client, load_permalinks(settings)),
        IntakeSignal(),
        RulesSignal(),
        BlocklistSignal(),  # senders blocked from the review page
        CommercialSignal(),
        PromotionSignal(),
        RelevanceSignal(),
        GenuineSignal(),
        LearnedSignal(LearnedModel.load(store) if model is None else model),
    ]


class Screener:
    """Runs every signal over batches of comments and applies the policy."""

    def __init__(
        self,
        settings: Settings,
        store: Store | None = None,
        *,
        akismet_client: akismet.SyncClient | None = None,
        articles: Mapping[str, ArticleInfo] | None = None,
        model: LearnedModel | None = None,
        signals: Sequence[Signal] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.articles = load_articles(settings) if articles is None else articles
        #: The stored model's save this screener has (read before loading it).
        self._model_saved = store.trained.saved(MODEL_NAME) if store is not None else None
        self.signals = (
            list(signals)
            if signals is not None
            else default_signals(settings, store, akismet_client=akismet_client, model=model)
        )
        #: HTTP clients this screener made for itself, closed by :meth:`close`.
        self.owned: list[httpx.Client] = []

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        store: Store | None,
        *,
        http_client: httpx.Client | None = None,
        articles: Mapping[str, ArticleInfo] | None = None,
    ) -> Screener:
        """A screener with Akismet when the environment configures it, and the stored model.

        Without ``http_client`` it makes its own for Akismet: :meth:`close` it (or use
        the screener as a context manager).
        """
        owned = None
        if http_client is None and akismet_config(settings) is not None:
            http_client = owned = make_http_client()
        client = make_client(settings, http_client=http_client)
        if client is None:
            logger.info("Akismet not configured (set %s)", KEY_VARIABLE)
        try:
            screener = cls(settings, store, akismet_client=client, articles=articles)
        except BaseException:
            if owned is not None:
                owned.close()
            raise
        if owned is not None:
            screener.owned.append(owned)
        return screener

    def close(self) -> None:
        """Close the HTTP clients this screener made (not one it was given)."""
        while self.owned:
            self.owned.pop().close()

    def __enter__(self) -> Screener:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def reload(self) -> None:
        """Let signals that keep state (the learned model) pick up what changed."""
        for signal in self.signals:
            reload = getattr(signal, "reload", None)
            if reload is not None:
                reload(self.store)

    def reload_if_retrained(self) -> bool:
        """:meth:`reload` when a model was saved since this screener loaded its own: a
        long-lived screener (the intake's worker) then screens with the new one at once."""
        if self.store is None:
            return False
        saved = self.store.trained.saved(MODEL_NAME)
        if saved == self._model_saved:
            return False
        self._model_saved = saved
        self.reload()
        return True

    def screen_many(
        self,
        comments: Sequence[Comment],
        *,
        recheck: bool = False,
        progress: Progress | None = None,
        now: datetime | None = None,
    ) -> list[Verdict]:
        """A verdict for each comment, in order. Nothing is stored."""
        comments = list(comments)
        context = ScreeningContext(
            settings=self.settings,
            store=self.store,
            articles=self.articles,
            now=now or utcnow(),
            recheck=recheck,
            progress=progress,
        )
        with shared_for_batch():
            per_signal = [signal.check_many(comments, context) for signal in self.signals]
        options = self.settings.moderation
        verdicts = [
            verdict_for([results[index] for results in per_signal], options)
            for index in range(len(comments))
        ]
        if progress is not None:
            progress(len(comments), len(comments))
        return verdicts


@dataclass
class ScreenReport:
    """What a screening run did: how many comments went where."""

    screened: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {str(s): 0 for s in State})
    rechecks_scheduled: int = 0
    gave_up: int = 0
    changed_meanwhile: int = 0  # edited while screened: screened again

    def __str__(self) -> str:
        parts = [f"{count} {state}" for state, count in self.outcomes.items() if count]
        text = f"screened {self.screened}" + (f": {', '.join(parts)}" if parts else "")
        if self.rechecks_scheduled:
            text += f"; {self.rechecks_scheduled} to recheck when Akismet answers"
        if self.gave_up:
            text += f"; gave up rechecking {self.gave_up}"
        if self.changed_meanwhile:
            text += f"; {self.changed_meanwhile} changed while screened, screened again"
        return text


#: How many times in a row a comment edited while it is screened is screened again
#: at once; after that it waits, ``received``, for the next sweep or ``moderation screen``.
SCREEN_AGAIN_ROUNDS = 3


def _give_up(verdict: Verdict, since: datetime, days: float) -> Verdict:
    note = (
        f"Akismet unavailable since {since:%Y-%m-%d %H:%M} UTC: stopped rechecking after "
        f"{days:g} days; left held for a moderator"
    )
    decision = Decision.SPAM if verdict.decision is Decision.SPAM else Decision.HOLD
    return replace(verdict, decision=decision, retry=False, reasons=(*verdict.reasons, note))


def screen_and_record(
    store: Store,
    screener: Screener,
    comments: Sequence[Comment],
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
    report: ScreenReport | None = None,
) -> list[State]:
    """Screen stored comments, keep each verdict and move each comment; states in order.

    A held comment is being rechecked (Akismet is told ``recheck_reason=retry``).
    When Akismet could not answer, the comment is held and rechecked after
    COMMENTS_AKISMET_RECHECK_MINUTES, until the failures have lasted
    COMMENTS_AKISMET_GIVE_UP_DAYS: then it stays held with no further recheck.

    A comment whose text changes while it is screened (its author edits it) keeps
    that run, which decides nothing (:meth:`~moderation.store.screenings.Screenings.record`);
    its new text is screened straight after, up to :data:`SCREEN_AGAIN_ROUNDS` times.
    """
    now = now or utcnow()
    report = report if report is not None else ScreenReport()
    unsaved = [c for c in comments if c.id is None]
    if unsaved:
        raise ValueError("screen_and_record needs stored comments; use Screener.screen_many")
    comments = list(comments)
    states = _screen_once(store, screener, comments, now, progress, report)
    for _round in range(SCREEN_AGAIN_ROUNDS):
        changed = {c.id: i for i, c in enumerate(comments) if states[i] is State.RECEIVED}
        again = [c for c in store.comments.existing(changed) if c.status is State.RECEIVED]
        if not again:
            break
        report.changed_meanwhile += len(again)
        logger.info("%d comments changed while screened: screening them again", len(again))
        for comment, state in zip(
            again, _screen_once(store, screener, again, now, None, report), strict=True
        ):
            states[changed[comment.id]] = state
    return states


def _screen_once(
    store: Store,
    screener: Screener,
    comments: list[Comment],
    now: datetime,
    progress: Progress | None,
    report: ScreenReport,
) -> list[State]:
    settings = screener.settings
    recheck_after = timedelta(minutes=float(settings["COMMENTS_AKISMET_RECHECK_MINUTES"]))
    give_up_days = float(settings["COMMENTS_AKISMET_GIVE_UP_DAYS"])
    verdicts: list[Verdict | None] = [None] * len(comments)
    groups = {
        False: [i for i, c in enumerate(comments) if c.status is not State.HELD],
        True: [i for i, c in enumerate(comments) if c.status is State.HELD],
    }
    done = 0
    for recheck, indexes in groups.items():
        if not indexes:
            continue

        def step(finished: int, _total: int, offset: int = done) -> None:
            if progress is not None:
                progress(offset + finished, len(comments))

        batch = [comments[i] for i in indexes]
        for index, verdict in zip(
            indexes,
            screener.screen_many(batch, recheck=recheck, progress=step, now=now),
            strict=True,
        ):
            verdicts[index] = verdict
        done += len(indexes)
    states = []
    for comment, verdict in zip(comments, verdicts, strict=True):
        assert verdict is not None and comment.id is not None  # both checked above
        next_check = None
        if verdict.retry and verdict.decision is Decision.HOLD:
            since = store.screenings.first_failure_at(comment.id) or now
            if now - since >= timedelta(days=give_up_days):
                verdict = _give_up(verdict, since, give_up_days)
                report.gave_up += 1
                logger.warning("comment %s: gave up rechecking with Akismet", comment.id)
            else:
                next_check = now + recheck_after
                report.rechecks_scheduled += 1
        elif verdict.retry:
            verdict = replace(verdict, retry=False)  # spam anyway: Akismet cannot change that
        from ..notify import on_screened  # issue 11: alerts commit with the verdict

        with store.transaction():
            state = store.screenings.record(
                comment.id, verdict, version=comment.version, next_check_at=next_check, now=now
            )
            on_screened(store, settings, comment, state, verdict, now=now)
        states.append(state)
        if state is State.RECEIVED:
            continue  # its text changed meanwhile: screened again below
        report.screened += 1
        report.outcomes[str(state)] += 1
    return states


def screen_due(
    store: Store,
    screener: Screener,
    *,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> ScreenReport:
    """Screen every comment waiting for it: new ones, then held ones due a recheck."""
    report = ScreenReport()
    comments = store.screenings.due(now)
    if comments:
        screen_and_record(store, screener, comments, now=now, progress=progress, report=report)
    return report
