"""The learned model: trained from the decision log, rebuilt at will, honest when untrained."""

from __future__ import annotations

import pickle
import sys
import threading
import types

import pytest

from moderation.models import Label, State
from moderation.privacy import erase_commenter
from moderation.screening import Screener, learned
from moderation.screening.base import ScreeningContext
from moderation.screening.learned import (
    MIN_EXAMPLES_PER_CLASS,
    MODEL_NAME,
    SEED_HALF_LIFE,
    LearnedModel,
    LearnedSignal,
    labelled_examples,
    missing_examples,
    retrain,
    seed_weight,
)
from moderation.screening.seed import seed_examples
from moderation.store import Store

PITCHES = [
    "Boost your sales with our growth agency, book a call",
    "Cheap followers and likes, visit our shop today",
    "We offer SEO packages for small business owners",
    "Get a discount on our marketing automation platform",
    "Our team builds lead funnels that convert, contact us",
    "Earn passive income from home with this one system",
    "Limited offer: premium backlinks for your website",
    "Hire our agency for social media management",
    "Grow your brand with our influencer network",
    "Try our CRM free and close more deals this quarter",
    "Sell more with our email marketing templates",
    "Upgrade your funnel with our conversion experts",
]
HAM = [
    "The part about mentors answering newcomers rang true for our reading group",
    "I learned more from the forum threads than from any course I paid for",
    "Our study circle tried writing notes in public and it changed how we ask",
    "Curious whether the community survived after the moderators left",
    "This reminds me of apprenticeships where watching came before doing",
    "Thanks for linking the older essay on communities of practice",
    "We had the same problem when questions turned into status contests",
    "Reflection journals helped our team more than the quarterly reviews",
    "How do you keep a community friendly to beginners as it grows",
    "The story about the knitting circle made me smile",
    "I disagree a little: some structure helps quiet members speak",
    "Learning out loud felt scary at first but the replies were kind",
]


def label_all(store, make_comment, bodies, action):
    for body in bodies:
        comment = store.comments.add(make_comment(body))
        store.decisions.moderate(comment.id, action)


def test_a_fresh_install_screens_with_the_seed_model(settings, store, make_comment):
    """No decision yet: the model is the one learned from the shipped seed corpus."""
    verdict = Screener(settings, store, articles={}).screen_many(
        [make_comment("Use promo code SAVE20 for 20% off our agency's SEO packages")]
    )[0]
    model = verdict.signal("model")
    assert model.score is not None and model.score > 0.5
    assert model.reason.endswith("learned from 0 decisions and the seed corpus")
    stored = LearnedModel.load(store)
    assert stored.seed == len(seed_examples()) >= 500 and stored.examples == 0


def test_without_the_seed_a_model_needs_examples_of_both_kinds(make_comment):
    model = LearnedModel.fit([(make_comment(b), Label.SPAM) for b in PITCHES[:3]])
    assert not model.trained
    assert missing_examples(model.positives, model.negatives) == (
        f"needs {MIN_EXAMPLES_PER_CLASS - 3} more spam/promo and "
        f"{MIN_EXAMPLES_PER_CLASS} more ham examples"
    )


def test_the_seed_model_is_reproducible(store, tmp_path, make_comment):
    """Same corpus, same model: two databases retrain to identical probabilities."""
    from moderation.store import Store

    retrain(store)
    with Store(tmp_path / "other.db") as other:
        retrain(other)
        probes = [make_comment(b) for b in (*PITCHES[:3], *HAM[:3])]
        assert LearnedModel.load(store).spam_probabilities(probes) == LearnedModel.load(
            other
        ).spam_probabilities(probes)


def test_the_blogs_decisions_outweigh_the_seed_as_they_accumulate():
    assert seed_weight(0) == 1.0
    assert seed_weight(SEED_HALF_LIFE) == 0.5
    assert seed_weight(1000) < 0.15


def test_retrain_from_the_log_learns_this_blogs_decisions(settings, store, make_comment):
    label_all(store, make_comment, PITCHES, "promo")
    label_all(store, make_comment, HAM, "approve")
    summary = retrain(store)
    assert summary.trained and (summary.positives, summary.negatives) == (12, 12)
    assert store.trained.load(MODEL_NAME).examples == 24
    screener = Screener(settings, store, articles={})
    pitch, reply = screener.screen_many(
        [
            make_comment("Our agency offers marketing packages for your business"),
            make_comment("The mentors in our reading group answered every newcomer"),
        ]
    )
    assert pitch.signal("model").score > 0.5 > reply.signal("model").score
    assert "learned from 24 decisions and the seed corpus" in pitch.signal("model").reason
    assert any(r.startswith("model: ") and "spam-like" in r for r in pitch.reasons)


def test_a_moderators_correction_changes_the_next_model(settings, store, make_comment):
    label_all(store, make_comment, PITCHES, "spam")
    label_all(store, make_comment, HAM, "approve")
    retrain(store)
    probe = make_comment("Knitting circle stories and beginners")
    context = ScreeningContext(settings=settings)
    before = LearnedSignal(LearnedModel.load(store)).check_many([probe], context)[0].score
    # The moderator decides that this kind of comment is promotion after all.
    for index in range(8):
        comment = store.comments.add(make_comment(f"Knitting circle stories and beginners {index}"))
        store.decisions.moderate(comment.id, "promo")
    retrain(store)
    after = LearnedSignal(LearnedModel.load(store)).check_many([probe], context)[0].score
    assert after > before + 0.2


def test_latest_label_wins_and_unlabelled_moves_are_ignored(store, make_comment):
    label_all(store, make_comment, PITCHES, "spam")
    label_all(store, make_comment, HAM, "approve")
    flipped = store.comments.list(status=State.APPROVED)[0]
    store.decisions.moderate(flipped.id, "spam")
    rejected = store.comments.add(make_comment("Just not for this blog"))
    store.decisions.moderate(rejected.id, "reject")  # a reject carries no label
    summary = retrain(store)
    assert (summary.positives, summary.negatives) == (13, 11)


def test_training_is_deterministic(store, make_comment):
    label_all(store, make_comment, PITCHES, "spam")
    label_all(store, make_comment, HAM, "approve")
    examples = labelled_examples(store)
    probes = [make_comment("Our agency offers a discount"), make_comment("Beginners felt welcome")]
    first = LearnedModel.fit(examples).spam_probabilities(probes)
    second = LearnedModel.fit(examples).spam_probabilities(probes)
    assert first == second


def test_model_round_trips_through_the_store(store, make_comment):
    label_all(store, make_comment, PITCHES, "spam")
    label_all(store, make_comment, HAM, "approve")
    model = LearnedModel.fit(labelled_examples(store))
    restored = LearnedModel.from_bytes(model.to_bytes())
    probe = [make_comment("Hire our agency")]
    assert restored.spam_probabilities(probe) == model.spam_probabilities(probe)
    assert (restored.positives, restored.negatives) == (12, 12)


def test_labels_count_promo_and_spam_as_positive(store, make_comment):
    examples = [(make_comment(b), Label.PROMO) for b in PITCHES[:6]]
    examples += [(make_comment(b), Label.SPAM) for b in PITCHES[6:]]
    examples += [(make_comment(b), Label.HAM) for b in HAM]
    model = LearnedModel.fit(examples)
    assert model.trained and model.positives == 12 and model.negatives == 12


def test_reload_model_picks_up_a_retrain(settings, store, make_comment):
    screener = Screener(settings, store, articles={})
    probe = make_comment("Knitting circle stories and beginners")
    before = screener.screen_many([probe])[0].signal("model").score
    for index in range(20):
        comment = store.comments.add(make_comment(f"Knitting circle stories and beginners {index}"))
        store.decisions.moderate(comment.id, "promo")
    retrain(store)
    assert screener.screen_many([probe])[0].signal("model").score == before  # not yet
    screener.reload()
    assert screener.screen_many([probe])[0].signal("model").score > before + 0.2


def test_a_model_stored_by_another_version_that_cannot_be_unpickled_is_rebuilt(store):
    """After an upgrade a class named in the blob may be gone: load() rebuilds the model."""
    gone = types.ModuleType("estimator_of_an_older_sklearn")

    class Estimator:
        pass

    Estimator.__module__ = gone.__name__
    Estimator.__qualname__ = "Estimator"
    gone.Estimator = Estimator
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(sys.modules, gone.__name__, gone)
        state = {"format": 2, "pipeline": Estimator(), "positives": 0, "negatives": 0}
        blob = pickle.dumps(state | {"seed": 1, "seed_digest": "older"})
    store.trained.save(MODEL_NAME, blob, 0, generation=store.trained.generation())
    assert LearnedModel.from_bytes(blob) is None
    model = LearnedModel.load(store)
    assert model.trained and model.seed == len(seed_examples())
    assert LearnedModel.from_bytes(store.trained.load(MODEL_NAME).blob) is not None


def test_a_label_teaches_the_text_it_was_given_for_not_a_later_edit(store, make_comment):
    comment = store.comments.add(make_comment("Good point about caching.", author="Bob"))
    store.decisions.moderate(comment.id, "approve")
    for body in ("Cheap pills at http://pharma.example, order now", "Pills, third version"):
        store.revisions.edit(comment.id, author="Bob", author_url=None, body=body)
    [(taught, label)] = labelled_examples(store)
    assert (taught.id, taught.body, label) == (comment.id, "Good point about caching.", Label.HAM)
    # Labelled again, now for the text it has: that text is what the model learns.
    store.decisions.moderate(comment.id, "spam")
    [(taught, label)] = labelled_examples(store)
    assert (taught.body, label) == ("Pills, third version", Label.SPAM)


class PausedRetrain:
    """A retrain in a thread of its own (its own connection, like the review server's
    retrainer or another process) that stops once it has read its examples, until
    :meth:`finish`: the slow fit, during which others can act."""

    def __init__(self, db, monkeypatch) -> None:
        self.read, self.go, self.errors = threading.Event(), threading.Event(), []
        real = learned.labelled_examples

        def reading(store):
            examples = real(store)
            if threading.current_thread() is self.thread:
                self.read.set()
                assert self.go.wait(30), "never told to finish"
            return examples

        monkeypatch.setattr(learned, "labelled_examples", reading)
        self.thread = threading.Thread(target=self._run, args=(db,), name="older retrain")
        self.thread.start()
        assert self.read.wait(30), "the older retrain did not start"

    def _run(self, db) -> None:
        try:
            with Store(db) as store:
                learned.retrain(store)
        except Exception as exc:  # reported by finish()
            self.errors.append(exc)

    def finish(self) -> None:
        self.go.set()
        self.thread.join(30)
        assert not self.thread.is_alive() and self.errors == []


def stored_model(store) -> LearnedModel:
    return LearnedModel.from_bytes(store.trained.load(MODEL_NAME).blob)


def test_an_older_retrain_that_finishes_last_leaves_the_newer_model(
    tmp_path, make_comment, monkeypatch
):
    db = tmp_path / "moderation.db"
    with Store(db) as store:
        comments = [store.comments.add(make_comment(f"note {n} on caching")) for n in range(12)]
    older = PausedRetrain(db, monkeypatch)  # read: no decision yet
    with Store(db) as store:
        for comment in comments:
            store.decisions.moderate(comment.id, "approve")
        assert retrain(store).examples == 12
    older.finish()  # its model, of no decision, is not kept
    with Store(db) as store:
        assert stored_model(store).examples == 12
        assert store.trained.load(MODEL_NAME).generation == store.trained.generation()


def test_a_retrain_overlapping_an_erasure_never_brings_back_the_erased_commenter(
    tmp_path, settings, make_comment, monkeypatch
):
    settings = settings.with_overrides(PATH=str(tmp_path / "content"))
    db = tmp_path / "moderation.db"
    with Store(db) as store:
        label_all(store, make_comment, PITCHES, "spam")
        for body in HAM:
            comment = store.comments.add(make_comment(body, email="jane@example.org"))
            store.decisions.moderate(comment.id, "approve")
        assert retrain(store).examples == 24
    older = PausedRetrain(db, monkeypatch)  # read: Jane's twelve comments among them
    with Store(db) as store:
        report = erase_commenter(store, settings, "jane@example.org")
        assert report.model_retrained and stored_model(store).examples == 12
    older.finish()
    with Store(db) as store:
        assert stored_model(store).examples == 12  # not 24: nothing of Jane's is learned
