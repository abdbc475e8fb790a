"""The "model" signal: a classifier trained on this blog's own moderation decisions.

The decision log is the source of truth: :func:`retrain` rebuilds the model from
every labelled decision (spam and promo against ham) whenever it is called, so a
moderator's correction is never lost and the model can always be rebuilt. Word
and character n-grams are hashed (no vocabulary to keep) into a logistic
regression, which gives probabilities worth showing to a person.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from ..models import Comment, Label, SignalKind, SignalResult
from ..settings import Settings
from ..store import Store
from .base import ScreeningContext, log_odds
from .text import host_of

logger = logging.getLogger(__name__)

MODEL_NAME = "comments"
MODEL_FORMAT = 1
#: Fewer labelled examples than this of either class and the model stays untrained.
MIN_EXAMPLES_PER_CLASS = 10
N_FEATURES = 2**18
POSITIVE_LABELS = frozenset({Label.SPAM, Label.PROMO})
#: How far the model's own log-odds are trusted: below 1 keeps a model trained on
#: a few hundred decisions from overruling what the rules plainly see.
MODEL_WEIGHT = 0.5


def model_text(comment: Comment) -> str:
    """What the model reads: the body, plus the author's link host as a token."""
    if comment.author_url:
        return f"{comment.body}\n__author_url__ {host_of(comment.author_url)}"
    return comment.body


def _pipeline() -> Pipeline:
    common = {"n_features": N_FEATURES, "alternate_sign": False, "dtype": float}
    features = FeatureUnion(
        [
            (
                "words",
                HashingVectorizer(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", **common),
            ),
            ("chars", HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4), **common)),
        ]
    )
    classifier = LogisticRegression(
        C=10.0, class_weight="balanced", solver="liblinear", random_state=0, max_iter=1000
    )
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass(frozen=True)
class TrainingSummary:
    """What :func:`retrain` did."""

    positives: int  # spam and promo examples
    negatives: int  # ham examples
    trained: bool

    @property
    def examples(self) -> int:
        return self.positives + self.negatives

    @property
    def message(self) -> str:
        if self.trained:
            return (
                f"model trained on {self.examples} decisions "
                f"({self.positives} spam/promo, {self.negatives} ham)"
            )
        return f"model untrained: {missing_examples(self.positives, self.negatives)}"


def missing_examples(positives: int, negatives: int) -> str:
    wanted = []
    if positives < MIN_EXAMPLES_PER_CLASS:
        wanted.append(f"{MIN_EXAMPLES_PER_CLASS - positives} more spam/promo")
    if negatives < MIN_EXAMPLES_PER_CLASS:
        wanted.append(f"{MIN_EXAMPLES_PER_CLASS - negatives} more ham")
    return "needs " + " and ".join(wanted) + " examples"


class LearnedModel:
    """A trained pipeline (or none yet) and how many decisions it learned from."""

    def __init__(self, pipeline: Pipeline | None, positives: int, negatives: int) -> None:
        self.pipeline = pipeline
        self.positives = positives
        self.negatives = negatives

    @property
    def trained(self) -> bool:
        return self.pipeline is not None

    @property
    def examples(self) -> int:
        return self.positives + self.negatives

    @classmethod
    def fit(cls, examples: Iterable[tuple[Comment, Label]]) -> LearnedModel:
        texts, targets = [], []
        for comment, label in examples:
            texts.append(model_text(comment))
            targets.append(1 if label in POSITIVE_LABELS else 0)
        positives = sum(targets)
        negatives = len(targets) - positives
        if min(positives, negatives) < MIN_EXAMPLES_PER_CLASS:
            return cls(None, positives, negatives)
        pipeline = _pipeline()
        pipeline.fit(texts, targets)
        return cls(pipeline, positives, negatives)

    def spam_probabilities(self, comments: Sequence[Comment]) -> list[float]:
        """P(spam or promo) for each comment, computed over the whole batch at once."""
        if self.pipeline is None:
            raise RuntimeError("the model is not trained")
        if not comments:
            return []
        return self.pipeline.predict_proba([model_text(c) for c in comments])[:, 1].tolist()

    def to_bytes(self) -> bytes:
        state = {
            "format": MODEL_FORMAT,
            "pipeline": self.pipeline,
            "positives": self.positives,
            "negatives": self.negatives,
        }
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, blob: bytes) -> LearnedModel:
        # The blob was written by retrain() into our own database: trusted input.
        state = pickle.loads(blob)
        if not isinstance(state, dict) or state.get("format") != MODEL_FORMAT:
            logger.warning("stored model has an unknown format; run `moderation retrain`")
            return cls(None, 0, 0)
        return cls(state["pipeline"], state["positives"], state["negatives"])

    @classmethod
    def load(cls, store: Store | None) -> LearnedModel:
        """The model saved in ``store``; an untrained one when there is none."""
        stored = store.trained.load(MODEL_NAME) if store is not None else None
        if stored is None:
            return cls(None, 0, 0)
        return cls.from_bytes(stored.blob)


def labelled_examples(store: Store) -> list[tuple[Comment, Label]]:
    """What the model learns from: training examples, then the moderators' decisions."""
    return store.training.all() + store.comments.labelled()


def retrain(store: Store, settings: Settings | None = None) -> TrainingSummary:
    """Rebuild the model from every labelled example in ``store`` and save it there."""
    model = LearnedModel.fit(labelled_examples(store))
    store.trained.save(MODEL_NAME, model.to_bytes(), model.examples)
    summary = TrainingSummary(model.positives, model.negatives, model.trained)
    logger.info("%s", summary.message)
    return summary


class LearnedSignal:
    name = "model"

    def __init__(self, model: LearnedModel) -> None:
        self.model = model

    def reload(self, store: Store | None) -> None:
        """Pick up a model retrained since this signal was made."""
        self.model = LearnedModel.load(store)

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        if not self.model.trained:
            reason = (
                f"model: untrained, {missing_examples(self.model.positives, self.model.negatives)}"
            )
            return [SignalResult(self.name, None, reason, kind=SignalKind.PRIOR)] * len(comments)
        trained_on = f"trained on {self.model.examples} decisions"
        return [
            SignalResult(
                self.name,
                p,
                f"model: {p:.2f} spam-like, {trained_on}",
                kind=SignalKind.PRIOR,
                weight=MODEL_WEIGHT * log_odds(p),
            )
            for p in self.model.spam_probabilities(comments)
        ]
