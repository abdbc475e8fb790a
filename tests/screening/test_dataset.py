"""Real labelled comments from ../shared/data: the cold-start promise on one video."""

from __future__ import annotations

import csv

import pytest

from moderation.models import Decision
from moderation.screening import Screener
from moderation.submission import parse_submission

from .conftest import ROOT

VIDEO = ROOT.parent / "shared" / "data" / "youtube-spam-collection" / "Youtube01-Psy.csv"


@pytest.mark.skipif(
    not VIDEO.exists(), reason=f"labelled data not found at {VIDEO} (see ../shared/data)"
)
def test_cold_start_meets_its_targets_on_a_real_video(settings):
    with VIDEO.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["CONTENT"].strip()]
    comments = [
        parse_submission(
            {"author": row["AUTHOR"] or "Anonymous", "body": row["CONTENT"]},
            origin="test",
            require_article=False,
        )
        for row in rows
    ]
    # No store: no model, no history; rules and promotion alone.
    verdicts = Screener(settings, None, articles={}).screen_many(comments)
    spam = [v for v, row in zip(verdicts, rows, strict=True) if row["CLASS"] == "1"]
    ham = [v for v, row in zip(verdicts, rows, strict=True) if row["CLASS"] == "0"]
    leaked = sum(v.decision is Decision.APPROVE for v in spam) / len(spam)
    rejected = sum(v.decision is Decision.SPAM for v in ham) / len(ham)
    assert len(spam) > 100 and len(ham) > 100
    assert leaked <= 0.10, f"{leaked:.1%} of spam approved"
    assert rejected <= 0.01, f"{rejected:.1%} of ham auto-rejected"
    assert all(v.reasons for v in verdicts)
