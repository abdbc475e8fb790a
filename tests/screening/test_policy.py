"""The policy: thresholds from COMMENTS_MODERATION, floors, trust, grounds, vouchers and
reasons."""

from __future__ import annotations

import pytest

from moderation.models import Decision, SignalKind, SignalResult
from moderation.screening.base import evidence_weight, log_odds
from moderation.screening.learned import MODEL_WEIGHT
from moderation.screening.policy import (
    NO_GROUNDS,
    NO_VOUCHER,
    combined_score,
    decide,
    verdict_for,
)
from moderation.screening.rules import STRENGTH, TRUSTED, TRUSTED_WEIGHT

OPTIONS = {"approve_below": 0.40, "spam_at": 0.85}


# Results weighted the way the signals weigh them.
def model(score):
    return SignalResult(
        "model",
        score,
        f"model: {score:.2f} spam-like, trained on 40 decisions",
        kind=SignalKind.PRIOR,
        weight=MODEL_WEIGHT * log_odds(score),
    )


def rules(score=0.0, *findings, floor=None, grounds=False):
    weight = evidence_weight(score, STRENGTH)
    trusted = any(f.startswith(TRUSTED) for f in findings)
    if trusted:
        weight += TRUSTED_WEIGHT
    return SignalResult(
        "rules",
        score,
        "rules: ...",
        floor,
        tuple(findings),
        weight=weight,
        grounds=grounds,
        vouches=trusted,
    )


def promotion(score=0.0, *findings, grounds=True):
    weight = evidence_weight(score, 1.5)
    return SignalResult(
        "promotion",
        score,
        "promotion: ...",
        None,
        tuple(findings),
        weight=weight,
        grounds=grounds and bool(findings),
    )


def genuine(*findings):
    weight = -0.35 * len(findings)
    return SignalResult(
        "genuine", 0.0, "genuine: ...", None, tuple(findings), weight=weight, vouches=True
    )


@pytest.mark.parametrize(
    ("score", "decision"),
    [(0.0, "approve"), (0.3999, "approve"), (0.40, "hold"), (0.8499, "hold"), (0.85, "spam")],
)
def test_thresholds_are_inclusive_where_the_settings_say(score, decision):
    assert decide(score, OPTIONS) is Decision(decision)


def test_thresholds_come_from_the_options():
    results = [model(0.7), rules(), promotion()]
    assert verdict_for(results, OPTIONS).decision is Decision.HOLD
    lenient = {"approve_below": 0.9, "spam_at": 0.95}
    assert verdict_for(results, lenient).decision is Decision.APPROVE


def test_no_evidence_and_no_model_approves_with_a_reason():
    verdict = verdict_for([rules(), promotion()], OPTIONS)
    assert verdict.decision is Decision.APPROVE
    assert verdict.reasons == ("no signal found anything suspicious",)
    assert 0 <= verdict.score < 0.4


def test_evidence_adds_up():
    one = combined_score([rules(0.5, "3 links (limit 2)"), promotion()])
    two = combined_score([rules(0.5, "3 links (limit 2)"), promotion(0.5, "price: $49")])
    assert one < two <= 1.0


def test_confident_model_and_evidence_reach_spam_with_every_reason():
    verdict = verdict_for(
        [
            rules(0.4, "1 link", grounds=True),
            promotion(0.5, "call to action: 'book a demo'"),
            model(0.97),
        ],
        OPTIONS,
    )
    assert verdict.decision is Decision.SPAM
    assert verdict.reasons == (
        "1 link",
        "call to action: 'book a demo'",
        "model: 0.97 spam-like, trained on 40 decisions",
    )


def test_a_floor_only_makes_the_decision_stricter():
    held = verdict_for([model(0.01), rules(0.5, "2 links (limit 2)", floor=Decision.HOLD)], OPTIONS)
    assert held.decision is Decision.HOLD
    spam = verdict_for(
        [model(0.01), rules(1.0, "disallowed word: 'x'", floor=Decision.SPAM)], OPTIONS
    )
    assert spam.decision is Decision.SPAM


def test_trust_lowers_the_score():
    base = [model(0.6), promotion(0.3, "price: $5")]
    trusted = [*base, rules(0.0, f"{TRUSTED}: 3 earlier approved comment(s)")]
    assert verdict_for(base, OPTIONS).decision is Decision.HOLD
    verdict = verdict_for(trusted, OPTIONS)
    assert verdict.decision is Decision.APPROVE
    assert f"{TRUSTED}: 3 earlier approved comment(s)" in verdict.reasons


@pytest.mark.parametrize(
    "strict",
    [
        SignalResult(
            "intake", 1.0, "intake: honeypot", Decision.SPAM, ("honeypot field filled in",)
        ),
        SignalResult("akismet", 0.95, "Akismet: spam", Decision.SPAM, ("Akismet: spam",)),
        SignalResult(
            "akismet", 1.0, "Akismet: spam (discard)", Decision.SPAM, ("Akismet: spam (discard)",)
        ),
    ],
    ids=["honeypot", "akismet-spam", "akismet-discard"],
)
def test_trust_never_overrides_honeypot_or_akismet_spam(strict):
    trusted = rules(0.0, f"{TRUSTED}: 9 earlier approved comment(s)")
    verdict = verdict_for([model(0.01), trusted, strict], OPTIONS)
    assert verdict.decision is Decision.SPAM
    assert strict.findings[0] in verdict.reasons


def test_trust_never_overrides_a_disallowed_key():
    result = rules(1.0, "disallowed word: 'casino'", f"{TRUSTED}: 2", floor=Decision.SPAM)
    assert verdict_for([model(0.01), result], OPTIONS).decision is Decision.SPAM


def test_retry_and_what_was_sent_are_carried():
    params = {"user_ip": "192.0.2.1", "comment_content": "hi"}
    unavailable = SignalResult(
        "akismet",
        None,
        "Akismet unavailable (timed out); will recheck",
        Decision.HOLD,
        retry=True,
        sent=params,
    )
    verdict = verdict_for([unavailable, rules(), promotion()], OPTIONS)
    assert verdict.decision is Decision.HOLD and verdict.retry
    assert verdict.signal("akismet").sent == params
    assert "Akismet unavailable (timed out); will recheck" in verdict.reasons
    assert verdict.signal("akismet") is unavailable


# -- grounds to decide spam, vouchers to approve ---------------------------------------------------


def test_the_model_alone_holds_but_never_decides_spam():
    verdict = verdict_for([model(0.999), rules(), promotion()], OPTIONS)
    assert verdict.score >= OPTIONS["spam_at"]
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons[-1] == NO_GROUNDS


def test_the_model_with_something_the_comment_promotes_decides_spam():
    verdict = verdict_for([model(0.999), rules(0.3, "1 link", grounds=True), promotion()], OPTIONS)
    assert verdict.decision is Decision.SPAM
    assert NO_GROUNDS not in verdict.reasons


def test_style_alone_is_no_grounds_for_spam():
    bait = promotion(0.6, "engagement bait: 'like if you'", grounds=False)
    shouting = rules(0.3, "shouting: mostly capital letters")
    verdict = verdict_for([model(0.95), bait, shouting], OPTIONS)
    assert verdict.score >= OPTIONS["spam_at"]
    assert verdict.decision is Decision.HOLD
    offer = promotion(0.6, "call to action: 'check out my'")
    assert verdict_for([model(0.95), offer, shouting], OPTIONS).decision is Decision.SPAM


def test_a_spam_floor_needs_no_grounds():
    honeypot = SignalResult(
        "intake", 1.0, "intake: honeypot", Decision.SPAM, ("honeypot field filled in",)
    )
    verdict = verdict_for([model(0.999), honeypot], OPTIONS)
    assert verdict.decision is Decision.SPAM
    assert NO_GROUNDS not in verdict.reasons


def test_a_link_with_nothing_speaking_for_it_is_held_however_low_the_score():
    link = rules(0.3, "1 link", grounds=True)
    verdict = verdict_for([model(0.02), link, promotion()], OPTIONS)
    assert verdict.score < OPTIONS["approve_below"]
    assert verdict.decision is Decision.HOLD
    assert verdict.reasons[-1] == NO_VOUCHER


def test_a_link_in_a_comment_that_asks_about_the_article_is_approved():
    link = rules(0.3, "1 link", grounds=True)
    asks = genuine("asks a question ('how do')")
    verdict = verdict_for([model(0.02), link, promotion(), asks], OPTIONS)
    assert verdict.decision is Decision.APPROVE
    assert NO_VOUCHER not in verdict.reasons


def test_a_comment_that_promotes_nothing_needs_no_voucher():
    verdict = verdict_for([model(0.02), rules(), promotion()], OPTIONS)
    assert verdict.decision is Decision.APPROVE
