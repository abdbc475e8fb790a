"""The "intake" signal: findings made when the comment arrived (honeypot, time trap, token)."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Comment, Decision, SignalResult
from .base import ScreeningContext, evidence_weight, noisy_or

#: How strongly intake findings move the combined log-odds.
STRENGTH = 1.5
#: How much each kind of intake flag says about a comment.
FLAG_WEIGHTS = {
    "honeypot": 1.0,
    "time trap": 0.5,
    "token": 0.4,
}


def _kind(flag: str) -> str:
    return flag.split(":", 1)[0].strip()


class IntakeSignal:
    """A filled honeypot is spam whatever else is said; other flags hold the comment."""

    name = "intake"

    def check_many(
        self, comments: Sequence[Comment], context: ScreeningContext
    ) -> list[SignalResult]:
        return [self._check(comment) for comment in comments]

    def _check(self, comment: Comment) -> SignalResult:
        flags = tuple(comment.intake_flags)
        if not flags:
            return SignalResult(self.name, 0.0, "intake: no flags")
        kinds = [_kind(flag) for flag in flags]
        floor = Decision.SPAM if "honeypot" in kinds else Decision.HOLD
        findings = tuple(
            "honeypot field filled in" if kind == "honeypot" else flag
            for kind, flag in zip(kinds, flags, strict=True)
        )
        score = noisy_or([FLAG_WEIGHTS.get(kind, 0.4) for kind in kinds])
        return SignalResult(
            self.name,
            score,
            "intake: " + "; ".join(findings),
            floor=floor,
            findings=findings,
            weight=evidence_weight(score, STRENGTH),
        )
