"""The policy: every signal's result in, one decision with all its reasons out.

Scores are combined in log-odds. The learned model, when trained, gives the
starting odds (otherwise a cautious prior does); each finding of the rules,
promotion and intake signals then adds evidence, Akismet adds or removes some,
and a trusted author's record removes some. The combined score is compared with
``approve_below`` and ``spam_at`` from ``COMMENTS_MODERATION``; a signal's
``floor`` can only make the decision stricter (a filled honeypot, a disallowed
word or Akismet spam stays spam however trusted the author).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..models import Decision, SignalResult, Verdict
from .rules import TRUSTED

SEVERITY = {Decision.APPROVE: 0, Decision.HOLD: 1, Decision.SPAM: 2}

#: Starting probability when no model is trained: a comment is innocent until a
#: signal says otherwise, but not by much.
COLD_PRIOR = 0.25
#: How far the model's own log-odds are trusted: below 1 keeps a model trained on
#: a few hundred decisions from overruling what the rules plainly see.
MODEL_WEIGHT = 0.5
#: How strongly the evidence-style signals move the odds (per unit of -ln(1 - score)).
EVIDENCE_WEIGHT = {"intake": 1.5, "rules": 1.5, "promotion": 1.5}
AKISMET_SPAM_LOGIT = 3.0
AKISMET_HAM_LOGIT = -0.5
TRUSTED_LOGIT = -1.5
_CLIP = 1e-4


def _logit(p: float) -> float:
    p = min(max(p, _CLIP), 1 - _CLIP)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def combined_score(results: Sequence[SignalResult]) -> float:
    by_name = {r.signal: r for r in results}
    model = by_name.get("model")
    if model is not None and model.score is not None:
        logit = MODEL_WEIGHT * _logit(model.score)
    else:
        logit = _logit(COLD_PRIOR)
    for name, weight in EVIDENCE_WEIGHT.items():
        result = by_name.get(name)
        if result is not None and result.score:
            logit += weight * -math.log(max(1.0 - result.score, _CLIP))
    akismet = by_name.get("akismet")
    if akismet is not None and akismet.score is not None:
        logit += AKISMET_SPAM_LOGIT if akismet.score >= 0.5 else AKISMET_HAM_LOGIT
    rules = by_name.get("rules")
    if rules is not None and any(f.startswith(TRUSTED) for f in rules.findings):
        logit += TRUSTED_LOGIT
    return _sigmoid(logit)


def decide(score: float, options: Mapping[str, Any]) -> Decision:
    if score >= float(options["spam_at"]):
        return Decision.SPAM
    if score < float(options["approve_below"]):
        return Decision.APPROVE
    return Decision.HOLD


def _reasons(results: Sequence[SignalResult]) -> list[str]:
    reasons: list[str] = []
    for result in results:
        if result.findings:
            reasons.extend(f for f in result.findings if f not in reasons)
        elif result.signal in ("akismet", "model") and (
            result.score is not None or result.floor is not None or result.retry
        ):
            reasons.append(result.reason)
    return reasons


def verdict_for(
    results: Sequence[SignalResult],
    options: Mapping[str, Any],
    *,
    akismet_params: dict[str, str] | None = None,
) -> Verdict:
    """Combine one comment's signal results into a :class:`Verdict`."""
    score = combined_score(results)
    decision = decide(score, options)
    for result in results:
        if result.floor is not None and SEVERITY[result.floor] > SEVERITY[decision]:
            decision = result.floor
    reasons = _reasons(results)
    if not reasons:
        reasons = ["no signal found anything suspicious"]
    return Verdict(
        decision=decision,
        score=round(score, 4),
        reasons=tuple(reasons),
        signals=tuple(results),
        retry=any(r.retry for r in results),
        akismet_params=akismet_params,
    )
