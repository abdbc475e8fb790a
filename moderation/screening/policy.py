"""The policy: every signal's result in, one decision with all its reasons out.

Scores are combined in log-odds. A ``PRIOR`` result (the learned model, when
trained) gives the starting odds, otherwise a cautious prior does; every other
result adds its ``weight``: spam and promotion evidence up, evidence of a genuine
comment (and a trusted author) down. Each signal sets its own weight, so the
policy knows no signal by name. The combined score is compared with
``approve_below`` and ``spam_at`` from ``COMMENTS_MODERATION``; a result's
``floor`` can only make the decision stricter (a filled honeypot, a disallowed
word or Akismet spam stays spam however trusted the author).

Two checks keep the score from deciding alone where a mistake costs most:

- **Deciding spam needs grounds.** Spam exists to send readers somewhere or
  sell them something, so a comment is spam only when some signal found what it
  promotes (a link to a site, a phone number, an offer, a trade of spam:
  ``grounds``). A high score with none of that, from the model or from style
  alone (shouting, "like if you agree"), holds it for a moderator: a genuine
  comment decided spam is the costliest error, and one that promotes nothing
  costs little to read.
- **Approving what promotes something needs a voucher.** A comment with grounds
  is approved only when something also speaks for it (``vouches``: code, a
  question, its article's subject, a trusted author). A link or an offer with
  nothing around it is what a link drop looks like, however low its score.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..models import Decision, SignalKind, SignalResult, Verdict
from .base import log_odds

SEVERITY = {Decision.APPROVE: 0, Decision.HOLD: 1, Decision.SPAM: 2}

#: Starting probability when no model is trained: a comment is innocent until a
#: signal says otherwise, but not by much.
COLD_PRIOR = 0.25


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def combined_score(results: Sequence[SignalResult]) -> float:
    priors = [r.weight for r in results if r.kind is SignalKind.PRIOR and r.score is not None]
    logit = sum(priors) / len(priors) if priors else log_odds(COLD_PRIOR)
    logit += sum(r.weight for r in results if r.kind is SignalKind.EVIDENCE)
    return _sigmoid(max(min(logit, 50.0), -50.0))


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
        elif result.explains:
            reasons.append(result.reason)
    return reasons


#: Why the policy held a comment that the score alone would have decided.
NO_GROUNDS = (
    "held, not marked as spam: nothing shows what it promotes (no link, phone number, offer "
    "or trade of spam)"
)
NO_VOUCHER = (
    "held, not approved: it points somewhere or offers something, and nothing speaks "
    "for it (no question, code or discussion of the article)"
)


def checked_decision(
    score: float, results: Sequence[SignalResult], options: Mapping[str, Any]
) -> tuple[Decision, str | None]:
    """The decision for ``score`` once grounds and vouchers are checked, and the note
    that says so when they changed it (before any floor)."""
    decision = decide(score, options)
    grounds = any(r.grounds for r in results)
    if decision is Decision.SPAM and not grounds:
        return Decision.HOLD, NO_GROUNDS
    if decision is Decision.APPROVE and grounds and not any(r.vouches for r in results):
        return Decision.HOLD, NO_VOUCHER
    return decision, None


def verdict_for(results: Sequence[SignalResult], options: Mapping[str, Any]) -> Verdict:
    """Combine one comment's signal results into a :class:`Verdict`."""
    score = combined_score(results)
    decision, note = checked_decision(score, results, options)
    for result in results:
        if result.floor is not None and SEVERITY[result.floor] > SEVERITY[decision]:
            decision = result.floor
    reasons = _reasons(results) or ["no signal found anything suspicious"]
    if note is not None and decision is Decision.HOLD:
        reasons.append(note)
    return Verdict(
        decision=decision,
        score=round(score, 4),
        reasons=tuple(reasons),
        signals=tuple(results),
        retry=any(r.retry for r in results),
    )
