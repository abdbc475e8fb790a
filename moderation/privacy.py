"""Privacy: retention of request context, and export and erasure for one commenter.

An email address never leaves the database except as the salted avatar hash in a
published file, in the commenter's own export, and masked (``j***@example.org``)
where a moderator needs to tell commenters apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .comment_files import (
    comment_path,
    existing_comment_files,
    remove_file,
    replies_in_file_tree,
    tombstone_text,
    tombstones_needed,
    write_atomically,
)
from .models import Comment, utcnow
from .redaction import mask_email
from .settings import Settings
from .store import Store

logger = logging.getLogger(__name__)


def apply_retention(store: Store, settings: Settings, now: datetime | None = None) -> int:
    """Hash the IP and user agent of comments older than ``COMMENTS_RETENTION_DAYS``."""
    return store.privacy.apply_retention(settings["COMMENTS_RETENTION_DAYS"], now=now)


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _published_file(comments_dir: Path, comment: Comment) -> Path | None:
    path = comment_path(comments_dir, comment.article, comment.id)
    return path if path.is_file() else None


def export_commenter(
    store: Store, settings: Settings, email: str, now: datetime | None = None
) -> dict[str, Any]:
    """Everything held about the commenter who used ``email``, as JSON-ready data."""
    comments_dir = settings.comments_dir.resolve()
    exported = []
    for comment in store.comments.list(email=email):
        context = store.privacy.request_context(comment.id)
        published = _published_file(comments_dir, comment)
        exported.append(
            {
                "id": comment.id,
                "article": comment.article,
                "status": str(comment.status),
                "origin": comment.origin,
                "received_at": _time(comment.received_at),
                "author": comment.author,
                "email": comment.email,
                "author_url": comment.author_url,
                "reply_to": comment.reply_to,
                "body": comment.body,
                "request": {
                    "ip": context["ip"],
                    "ip_hash": context["ip_hash"],
                    "user_agent": context["user_agent"],
                    "user_agent_hash": context["user_agent_hash"],
                    "referrer": comment.referrer,
                    "language": comment.language,
                    "intake_flags": list(comment.intake_flags),
                },
                "published_file": str(published) if published else None,
                "published_text": published.read_text(encoding="utf-8") if published else None,
                # Issue 13: what its author changed, and the versions that were replaced.
                "avatar_opt_in": comment.avatar_opt_in,
                "edited_at": _time(comment.edited_at),
                "withdrawn_at": _time(comment.withdrawn_at),
                "revisions": [
                    {
                        "replaced_at": _time(revision.at),
                        "kind": revision.kind,
                        "author": revision.author,
                        "author_url": revision.author_url,
                        "body": revision.body,
                    }
                    for revision in store.revisions.of(comment.id)
                ],
                "screenings": [
                    {
                        "screened_at": _time(run.screened_at),
                        "decision": str(run.decision),
                        "score": run.score,
                        "reasons": list(run.reasons),
                        "signals": [
                            {
                                "signal": s.signal,
                                "score": s.score,
                                "reason": s.reason,
                                "floor": s.floor and str(s.floor),
                                "findings": list(s.findings),
                                "retry": s.retry,
                                "sent": s.sent,
                            }
                            for s in run.signals
                        ],
                        "akismet_params": run.akismet_params,
                    }
                    for run in store.screenings.of(comment.id)
                ],
                "decisions": [
                    {
                        "at": _time(entry.at),
                        "actor": entry.actor,
                        "from": entry.from_state and str(entry.from_state),
                        "to": str(entry.to_state),
                        "label": entry.label and str(entry.label),
                        "note": entry.note,
                    }
                    for entry in store.decisions.of(comment.id)
                ],
            }
        )
    return {
        "email": email,
        "exported_at": _time(now or utcnow()),
        "avatar": store.keys.avatar_hash(email),
        "comments": exported,
        "training_examples": store.training.by_email(email),
        # Issue 11: the wish to hear about replies, and every email sent to the address.
        "reply_notifications": store.subscriptions.export(email),
        "emails": [
            {
                "kind": message.kind,
                "about": list(message.items),
                "status": str(message.status),
                "queued_at": _time(message.created_at),
                "sent_at": _time(message.sent_at),
            }
            for message in store.outbox.to_recipient(email)
        ],
    }


@dataclass
class EraseReport:
    email: str  # masked
    comments: list[str] = field(default_factory=list)
    files_removed: list[Path] = field(default_factory=list)
    tombstones: list[Path] = field(default_factory=list)
    training_examples: int = 0
    model_retrained: bool = False
    #: Subscription, bounce and outbox rows removed (issue 11).
    notification_rows: int = 0


def _needs_tombstone(erased: dict[str, Comment], comments_dir: Path) -> set[str]:
    """Erased, published comments that other people's published replies still hang from.

    A reply by the same person goes too; if someone else answered that reply, the
    chain above it must stay, so this runs until nothing more is added.
    """
    children: dict[str, set[str]] = {}
    for article in {c.article for c in erased.values()}:
        for parent, kids in replies_in_file_tree(comments_dir, article).items():
            children.setdefault(parent, set()).update(kids)
    published = {i for i, c in erased.items() if _published_file(comments_dir, c)}
    return tombstones_needed(published, children)


def erase_commenter(store: Store, settings: Settings, email: str) -> EraseReport:
    """Delete everything held about ``email``: rows, screenings, decisions and files.

    Files go first: if anything fails half-way, running erase again still finds
    the rows and finishes the job.
    """
    comments_dir = settings.comments_dir.resolve()
    report = EraseReport(email=mask_email(email))
    erased = {c.id: c for c in store.comments.list(email=email)}
    training = store.training.erase_by_email(email)
    # Issue 11: the reply subscription, a bounce record, and the emails to the address.
    report.notification_rows = store.subscriptions.erase(email)
    report.notification_rows += store.outbox.erase_recipient(email)
    if not erased and not training:
        return report
    tombstoned = _needs_tombstone(erased, comments_dir)
    # A file for one of these ids in some other folder is ours too (a stale copy).
    for path in existing_comment_files(comments_dir):
        comment = erased.get(path.stem)
        if comment is None:
            continue
        if path.stem in tombstoned and path.parent.name == comment.article:
            write_atomically(path, tombstone_text(comment))
            report.tombstones.append(path)
        else:
            remove_file(path)
            report.files_removed.append(path)
    labelled = training > 0 or bool({c.id for c, _label in store.comments.labelled()} & set(erased))
    report.comments = [c.id for c in store.privacy.erase_by_email(email)]
    report.training_examples = training
    logger.info(
        "erased %d comments of %s (%d files removed, %d tombstones)",
        len(report.comments),
        report.email,
        len(report.files_removed),
        len(report.tombstones),
    )
    if labelled:
        # The model's vocabulary was learned from these comments too.
        from .screening import learned

        learned.retrain(store, settings)
        report.model_retrained = True
    return report
