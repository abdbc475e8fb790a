"""What can stop a publish: preflight problems, a run already going on, a failed step."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ModerationError


class DeployError(ModerationError):
    """A publish step failed; the live target was left exactly as it was."""


class PreflightError(DeployError):
    """Problems found before anything was built; one line each, saying how to fix it."""

    exit_code = 2

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        heading = (
            f"{count} problem{'s' if count != 1 else ''} found before publishing; "
            "nothing was screened, built or deployed:"
        )
        super().__init__("\n".join([heading, *(f"  - {line}" for line in self.problems)]))


class PublishLocked(DeployError):
    """Another publish holds the lock: two runs at once would race on the target."""

    exit_code = 3
