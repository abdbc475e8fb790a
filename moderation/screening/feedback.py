"""Tell Akismet when a moderator overturns its verdict, as its WordPress plugin does.

The report repeats the parameters of the original check (kept with the
screening run), so Akismet learns from exactly what it judged.
"""

from __future__ import annotations

import logging

import akismet
import httpx

from ..models import Label
from ..settings import Settings
from ..store import Store
from .akismet import make_client

logger = logging.getLogger(__name__)


def report_override(
    settings: Settings,
    store: Store,
    comment_id: str,
    label: Label | str,
    *,
    http_client: httpx.Client | None = None,
) -> str | None:
    """Send submit-spam or submit-ham if ``label`` contradicts the latest screening.

    Returns a one-line message for the moderator, or ``None`` when nothing was
    sent (Akismet not configured, never asked about this comment, or it agreed).
    """
    label = Label(label)
    record = store.latest_screening(comment_id)
    if record is None or not record.akismet_params:
        return None
    akismet_result = next((s for s in record.signals if s.signal == "akismet"), None)
    if akismet_result is not None and akismet_result.score is not None:
        said_spam = akismet_result.score >= 0.5
    else:
        # Akismet did not judge (outage); the screening's own decision stands in for it.
        said_spam = record.decision.value == "spam"
    is_spam = label in (Label.SPAM, Label.PROMO)
    if is_spam == said_spam:
        return None
    client = make_client(settings, http_client=http_client)
    if client is None:
        return None
    params = dict(record.akismet_params)
    user_ip = params.pop("user_ip", "")
    params.pop("recheck_reason", None)
    kind = "spam" if is_spam else "ham"
    try:
        if is_spam:
            client.submit_spam(user_ip, **params)
        else:
            client.submit_ham(user_ip, **params)
    except akismet.AkismetError as exc:
        logger.warning("could not report comment %s to Akismet as %s: %s", comment_id, kind, exc)
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"Akismet: could not report {comment_id} as {kind} ({first_line})"
    logger.info("reported comment %s to Akismet as %s", comment_id, kind)
    return f"Akismet: reported {comment_id} as {kind}"
