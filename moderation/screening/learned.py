"""The "model" signal: a classifier of this blog's comments, seeded by ours.

A fresh install screens with a model learned from the seed corpus shipped with
the project (:mod:`.seed`: blog comments written for it, labelled). From then on
the blog's own labelled decisions — a moderator's in the queue, and the lines
given to ``moderation train`` — join it, and soon outweigh it: the seed's
examples count less the more decisions there are (:func:`seed_weight`).

The decisions are the source of truth: :func:`retrain` rebuilds the model from
the seed and every labelled decision whenever it is called, so a moderator's
correction is never lost and the model can always be rebuilt. The same data
gives the same model (hashed features, a deterministic solver). Word and
character n-grams are hashed (no vocabulary to keep) into a logistic
regression, which gives probabilities worth showing to a person.
"""

from __future__ import annotations

import functools
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
from .seed import seed_digest, seed_examples

logger = logging.getLogger(__name__)

MODEL_NAME = "comments"
MODEL_FORMAT = 2
#: Fewer labelled examples than this of either class and the model stays untrained.
MIN_EXAMPLES_PER_CLASS = 10
N_FEATURES = 2**18
POSITIVE_LABELS = frozenset({Label.SPAM, Label.PROMO})
#: How far the model's own log-odds are trusted: below 1 keeps the model from
#: overruling what the rules plainly see.
MODEL_WEIGHT = 0.5
#: Most of a blog's comments are genuine: where the model cannot tell, lean to approval.
MODEL_SHIFT = -0.3
#: The blog's decisions at which the seed counts half as much as at first.
SEED_HALF_LIFE = 150


def seed_weight(blog_decisions: int) -> float:
    """What each seed example counts when the blog has made ``blog_decisions``."""
    return 1.0 / (1.0 + blog_decisions / SEED_HALF_LIFE)


#: The model reads this many characters of a body: enough to tell a pitch, and a
#: maximum-size comment stays within the screening budget.
MODEL_CHARS = 2000


def model_text(comment: Comment) -> str:
    """What the model reads: the body only, its first :data:`MODEL_CHARS` characters.

    Not the author's website: the seed corpus's writers left one mostly on spam,
    while real readers often leave theirs, so the model would learn that a website
    is suspect. The rules judge the website instead (its host in the body, a
    business name as the author).
    """
    return comment.body[:MODEL_CHARS]


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

    positives: int  # the blog's spam and promo decisions
    negatives: int  # the blog's ham decisions
    trained: bool
    seed: int = 0  # examples of the seed corpus it also learned from

    @property
    def examples(self) -> int:
        return self.positives + self.negatives

    @property
    def message(self) -> str:
        if not self.trained:
            return f"model untrained: {missing_examples(self.positives, self.negatives)}"
        text = (
            f"model trained on {self.examples} decisions "
            f"({self.positives} spam/promo, {self.negatives} ham)"
        )
        return text + (f" and the {self.seed}-comment seed corpus" if self.seed else "")


def missing_examples(positives: int, negatives: int) -> str:
    wanted = []
    if positives < MIN_EXAMPLES_PER_CLASS:
        wanted.append(f"{MIN_EXAMPLES_PER_CLASS - positives} more spam/promo")
    if negatives < MIN_EXAMPLES_PER_CLASS:
        wanted.append(f"{MIN_EXAMPLES_PER_CLASS - negatives} more ham")
    return "needs " + " and ".join(wanted) + " examples"


class LearnedModel:
    """A trained pipeline (or none yet) and what it learned from."""

    def __init__(
        self,
        pipeline: Pipeline | None,
        positives: int,
        negatives: int,
        *,
        seed: int = 0,
        seed_digest: str | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.positives = positives
        self.negatives = negatives
        self.seed = seed
        self.seed_digest = seed_digest

    @property
    def trained(self) -> bool:
        return self.pipeline is not None

    @property
    def examples(self) -> int:
        """The blog's own decisions it learned from (the seed not counted)."""
        return self.positives + self.negatives

    @classmethod
    def fit(
        cls,
        examples: Iterable[tuple[Comment, Label]],
        *,
        seed: Sequence[tuple[Comment, Label]] = (),
        digest: str | None = None,
    ) -> LearnedModel:
        """Learn from the blog's ``examples`` and the ``seed`` corpus, which counts
        less the more examples there are."""
        texts, targets, weights = [], [], []
        for comment, label in examples:
            texts.append(model_text(comment))
            targets.append(1 if label in POSITIVE_LABELS else 0)
        positives = sum(targets)
        negatives = len(targets) - positives
        weights = [1.0] * len(targets)
        share = seed_weight(len(targets))
        for comment, label in seed:
            texts.append(model_text(comment))
            targets.append(1 if label in POSITIVE_LABELS else 0)
            weights.append(share)
        if min(sum(targets), len(targets) - sum(targets)) < MIN_EXAMPLES_PER_CLASS:
            return cls(None, positives, negatives)
        pipeline = _pipeline()
        pipeline.fit(texts, targets, classifier__sample_weight=weights)
        return cls(pipeline, positives, negatives, seed=len(seed), seed_digest=digest)

    @classmethod
    def from_seed(cls) -> LearnedModel:
        """The model of a fresh install: the seed corpus alone (built once per process)."""
        return _seed_model()

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
            "seed": self.seed,
            "seed_digest": self.seed_digest,
        }
        return pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, blob: bytes) -> LearnedModel | None:
        """The stored model, or ``None`` when it was stored by another version."""
        # The blob was written by retrain() into our own database: trusted input.
        try:
            state = pickle.loads(blob)
        except Exception as exc:  # a class another scikit-learn moved or removed, say
            logger.warning("the stored model cannot be read, it will be rebuilt: %r", exc)
            return None
        if not isinstance(state, dict) or state.get("format") != MODEL_FORMAT:
            return None
        return cls(
            state["pipeline"],
            state["positives"],
            state["negatives"],
            seed=state["seed"],
            seed_digest=state["seed_digest"],
        )

    @classmethod
    def load(cls, store: Store | None) -> LearnedModel:
        """The model saved in ``store``; rebuilt first when there is none yet, or it was
        made by another version or from another seed corpus."""
        if store is None:
            return cls.from_seed()
        stored = store.trained.load(MODEL_NAME)
        model = cls.from_bytes(stored.blob) if stored is not None else None
        if model is None or (model.seed and model.seed_digest != seed_digest()):
            logger.info("building the model from the seed corpus and this blog's decisions")
            retrain(store)
            stored = store.trained.load(MODEL_NAME)
            assert stored is not None  # retrain() saved it
            model = cls.from_bytes(stored.blob)
            assert model is not None
        return model


@functools.cache
def _seed_model() -> LearnedModel:
    return LearnedModel.fit((), seed=seed_pairs(), digest=seed_digest())


def seed_pairs() -> tuple[tuple[Comment, Label], ...]:
    return tuple((example.comment, example.label) for example in seed_examples())


def labelled_examples(store: Store) -> list[tuple[Comment, Label]]:
    """The blog's own decisions: training examples, then the moderators' labels."""
    return store.training.all() + store.comments.labelled()


def retrain(store: Store, settings: Settings | None = None) -> TrainingSummary:
    """Rebuild the model from the seed corpus and every labelled decision, and save it
    (unless a retrain of newer decisions saved its model meanwhile)."""
    with store.trained.reading() as generation:
        examples = labelled_examples(store)
    model = LearnedModel.fit(examples, seed=seed_pairs(), digest=seed_digest())
    if not store.trained.save(MODEL_NAME, model.to_bytes(), model.examples, generation=generation):
        logger.info("a model of newer decisions was saved meanwhile: this one is not kept")
    summary = TrainingSummary(model.positives, model.negatives, model.trained, model.seed)
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
            missing = missing_examples(self.model.positives, self.model.negatives)
            reason = f"model: untrained, {missing}"
            return [SignalResult(self.name, None, reason, kind=SignalKind.PRIOR)] * len(comments)
        learned_from = f"{self.model.examples} decisions"
        if self.model.seed:
            learned_from += " and the seed corpus"
        return [
            SignalResult(
                self.name,
                p,
                f"model: {p:.2f} spam-like, learned from {learned_from}",
                kind=SignalKind.PRIOR,
                weight=MODEL_WEIGHT * log_odds(p) + MODEL_SHIFT,
            )
            for p in self.model.spam_probabilities(comments)
        ]
