"""Tell Akismet when a moderator overturns its verdict, as its WordPress plugin does.

The report repeats the parameters of the original check (kept with the
screening run), so Akismet learns from exactly what it judged. A bulk action
reports many comments at once, a few at a time, each with a short timeout; once
Akismet fails to answer, the rest are not even tried, so a moderator never waits
minutes on an outage. A failed report never undoes the decision itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import akismet
import httpx

from ..models import Label
from ..settings import Settings
from ..store import Store
from .akismet import make_client, make_http_client

logger = logging.getLogger(__name__)

#: Seconds to wait for each report: the moderator is waiting for the page.
FEEDBACK_TIMEOUT = 2.0
FEEDBACK_CONCURRENCY = 8


@dataclass
class FeedbackReport:
    """One line per comment reported, and one per comment that could not be."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def _akismet_said_spam(store: Store, comment_id: str) -> tuple[bool, dict[str, str]] | None:
    """What Akismet said about the comment's latest screening, with what it was sent."""
    record = store.screenings.latest(comment_id)
    if record is None:
        return None
    result = record.signal("akismet")
    params = (result.sent if result is not None else None) or record.akismet_params
    if not params:
        return None  # Akismet was never asked about this comment
    if result is not None and result.score is not None:
        return result.score >= 0.5, dict(params)
    # Akismet did not judge (outage); the screening's own decision stands in for it.
    return record.decision.value == "spam", dict(params)


def report_overrides(
    settings: Settings,
    store: Store,
    decisions: Sequence[tuple[str, Label]],
    *,
    http_client: httpx.Client | None = None,
) -> FeedbackReport:
    """Send submit-spam or submit-ham for each decision that contradicts Akismet."""
    todo = [(cid, not said, params) for cid, said, params in _contradicting(store, decisions)]
    return _send(settings, todo, http_client)


def report_reversals(
    settings: Settings,
    store: Store,
    undone: Sequence[tuple[str, Label]],
    *,
    http_client: httpx.Client | None = None,
) -> FeedbackReport:
    """Take back what :func:`report_overrides` said for decisions that were undone.

    ``undone`` pairs a comment with the label of the undone decision. Where that
    label contradicted Akismet, the decision was reported; Akismet is now told its
    own verdict again (submit-spam after an undone approve, submit-ham after an
    undone spam). :func:`report_overrides` cannot do it: Akismet's verdict agrees
    with the state the undo restores, so it would report nothing.
    """
    return _send(settings, _contradicting(store, undone), http_client)


def _contradicting(
    store: Store, decisions: Sequence[tuple[str, Label]]
) -> list[tuple[str, bool, dict[str, str]]]:
    """(comment id, Akismet said spam, what it was sent) for each decision whose label
    contradicts Akismet's verdict."""
    found = []
    for comment_id, label in decisions:
        said = _akismet_said_spam(store, comment_id)
        if said is None:
            continue
        said_spam, params = said
        if (Label(label) in (Label.SPAM, Label.PROMO)) != said_spam:
            found.append((comment_id, said_spam, params))
    return found


def _send(
    settings: Settings,
    todo: list[tuple[str, bool, dict[str, str]]],
    http_client: httpx.Client | None,
) -> FeedbackReport:
    """Send submit-spam (True) or submit-ham (False) for each (comment id, is spam, params)."""
    report = FeedbackReport()
    if not todo:
        return report
    own_client = http_client is None
    http = http_client or make_http_client(timeout=FEEDBACK_TIMEOUT)
    try:
        client = make_client(settings, http_client=http)
        if client is None:
            return report
        _send_all(client, todo, report)
    finally:
        if own_client:
            http.close()
    return report


def _send_all(
    client: akismet.SyncClient, todo: list[tuple[str, bool, dict[str, str]]], report: FeedbackReport
) -> None:
    """Send the reports a few at a time; once Akismet stops answering, the rest are not tried."""
    outage = threading.Event()

    def send(comment_id: str, is_spam: bool, params: dict[str, str]) -> tuple[str, bool]:
        kind = "spam" if is_spam else "ham"
        if outage.is_set():
            return (
                f"Akismet: did not report {comment_id} as {kind} (Akismet is not answering)",
                False,
            )
        user_ip = params.pop("user_ip", "")
        params.pop("recheck_reason", None)
        try:
            if is_spam:
                client.submit_spam(user_ip, **params)
            else:
                client.submit_ham(user_ip, **params)
        except akismet.AkismetError as exc:
            if isinstance(exc, akismet.RequestError):
                outage.set()
            logger.warning(
                "could not report comment %s to Akismet as %s: %s", comment_id, kind, exc
            )
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return f"Akismet: could not report {comment_id} as {kind} ({first})", False
        logger.info("reported comment %s to Akismet as %s", comment_id, kind)
        return f"Akismet: reported {comment_id} as {kind}", True

    with ThreadPoolExecutor(min(FEEDBACK_CONCURRENCY, len(todo))) as pool:
        for message, ok in pool.map(lambda item: send(*item), todo):
            (report.sent if ok else report.failed).append(message)
