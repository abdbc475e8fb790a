"""What puts messages into the outbox, each in the transaction of its event.

- :func:`on_screened`: a comment screened for the first time and held (or spam,
  when ``alert_spam`` asks for it) queues an alert per moderator and for the
  webhook; one approved at once queues its author's confirmation email;
- (the intake stores a reader's wish to hear about replies with the comment, in
  :meth:`~moderation.store.subscriptions.Subscriptions.subscribe`: nothing is sent then);
- :func:`on_published`: a reply that is approved and published queues one
  email per confirmed subscriber above it in the thread (and a comment whose
  author still has to confirm queues the confirmation, once);
- :func:`queue_daily_summaries`: the day's summary, once per day.

Alerts in ``digest`` mode wait for the next multiple of ``digest_minutes``
(counted from midnight UTC) and gather in one message per moderator meanwhile.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from comment_format.closing import site_timezone

from ..errors import UnknownComment
from ..models import Comment, State, Verdict, utcnow
from ..settings import Settings
from ..store import Store
from .config import NotifyConfig

logger = logging.getLogger(__name__)

EMAIL, WEBHOOK = "email", "webhook"
#: The recipient of webhook messages (its address is read from the settings when sent).
WEBHOOK_RECIPIENT = "webhook"
#: A reader who has not confirmed gets at most one confirmation email per day.
CONFIRM_AGAIN_AFTER = timedelta(hours=24)
#: The daily summary goes out with the first send on or after this hour, site time.
SUMMARY_HOUR = 8


def new_message_id(config: NotifyConfig) -> str:
    """A globally unique Message-ID: the key that makes a resent message recognisable."""
    return f"<{uuid.uuid4().hex}@{config.mail_domain}>"


def next_digest_at(now: datetime, minutes: float) -> datetime:
    """The next multiple of ``minutes`` since midnight UTC, at or after ``now``."""
    period = minutes * 60
    epoch = now.astimezone(UTC).timestamp()
    return datetime.fromtimestamp(math.ceil(epoch / period) * period, UTC)


def _queue(
    store: Store,
    config: NotifyConfig,
    *,
    channel: str,
    kind: str,
    recipient: str,
    group_key: str,
    item: str | None,
    not_before: datetime,
    now: datetime,
) -> None:
    store.outbox.add(
        channel=channel,
        kind=kind,
        recipient=recipient,
        group_key=group_key,
        item=item,
        message_id=new_message_id(config),
        not_before=not_before,
        now=now,
    )


def moderator_targets(config: NotifyConfig) -> list[tuple[str, str]]:
    """(channel, recipient) for every moderator's email, and the webhook if there is one."""
    targets = [(EMAIL, moderator) for moderator in config.moderators]
    if config.webhook is not None:
        targets.append((WEBHOOK, WEBHOOK_RECIPIENT))
    return targets


def queue_alert(store: Store, config: NotifyConfig, comment_id: str, now: datetime) -> None:
    """An alert about ``comment_id`` for every moderator and the webhook."""
    digest = config.mode == "digest"
    not_before = next_digest_at(now, config.digest_minutes) if digest else now
    group_key = "digest" if digest else comment_id
    for channel, recipient in moderator_targets(config):
        _queue(
            store,
            config,
            channel=channel,
            kind="held",
            recipient=recipient,
            group_key=group_key,
            item=comment_id,
            not_before=not_before,
            now=now,
        )


def on_screened(
    store: Store,
    settings: Settings,
    comment: Comment,
    state: State,
    verdict: Verdict,
    *,
    now: datetime | None = None,
) -> None:
    """Queue what a screening result calls for; call it in the screening's transaction.

    ``comment`` is the comment as it was before screening: only a first screening
    (it was ``received``) alerts, so a recheck that keeps a comment held does not
    alert again.
    """
    if comment.status is not State.RECEIVED or comment.id is None:
        return
    now = now or utcnow()
    config = NotifyConfig.from_settings(settings)
    if state is State.HELD or (state is State.SPAM and config.alert_spam):
        queue_alert(store, config, comment.id, now)
        logger.debug("alert queued for %s comment %s (%s)", state, comment.id, verdict.decision)
    if state is State.APPROVED:
        queue_confirmation(store, config, comment.id, now)


def _recently(moment: datetime | None, now: datetime) -> bool:
    return moment is not None and now - moment < CONFIRM_AGAIN_AFTER


def queue_confirmation(store: Store, config: NotifyConfig, comment_id: str, now: datetime) -> bool:
    """The confirmation email for the thread of ``comment_id``'s subscriber, when one is
    due: each thread is confirmed for itself, at most one email a day each, and an
    address that never confirmed anything gets at most one a day in all. Decided and
    recorded in one transaction, so two publishes at once do not both queue it."""
    with store.transaction():
        thread = store.subscriptions.thread_of(comment_id)
        if thread is None or thread.confirmed_at or thread.unsubscribed_at:
            return False
        subscriber = thread.subscriber
        if subscriber.unsubscribed_at is not None or store.subscriptions.bounced(subscriber.email):
            return False
        if _recently(thread.confirm_sent_at, now) or (
            subscriber.confirmed_at is None and _recently(subscriber.confirm_sent_at, now)
        ):
            return False
        _queue(
            store,
            config,
            channel=EMAIL,
            kind="confirm",
            recipient=subscriber.email,
            group_key=thread.article,
            # The comment it is about: the email names its article and carries its
            # private link to change or withdraw it (issue 13).
            item=comment_id,
            not_before=now,
            now=now,
        )
        store.subscriptions.mark_confirm_sent(subscriber.id, thread.article, now)
    return True


def _ancestors(store: Store, comment: Comment) -> list[str]:
    """The ids above ``comment`` in its thread, nearest first."""
    ids: list[str] = []
    parent = comment.reply_to
    while parent and parent not in ids:
        ids.append(parent)
        try:
            parent = store.comments.get(parent).reply_to
        except UnknownComment:  # a comment file written by hand: the chain ends here
            break
    return ids


def on_published(
    store: Store,
    settings: Settings,
    comments: Iterable[Comment],
    *,
    now: datetime | None = None,
) -> int:
    """Queue reply emails for published comments not notified before; returns how many.

    ``comments`` are the approved comments publish has just put (or kept) on the
    site. Each reply is handled once: whether it was, its emails and the record that
    it now is are read and written in one transaction, so neither running publish
    again nor two publishes at the same moment mail it twice.
    """
    now = now or utcnow()
    config = NotifyConfig.from_settings(settings)
    comments = list(comments)
    queued = 0
    unconfirmed = store.subscriptions.awaiting_confirmation()
    for comment in comments:
        if comment.id in unconfirmed:
            queue_confirmation(store, config, comment.id, now)
    notified = store.subscriptions.notified_ids()  # most are: passed over without a write
    for reply in comments:
        if not reply.reply_to or reply.id in notified:
            continue
        with store.transaction():
            if store.subscriptions.notified(reply.id):  # another publish, since the read
                continue
            recipients = [
                r
                for r in store.subscriptions.recipients(_ancestors(store, reply))
                if not (reply.email and r.subscriber.email.lower() == reply.email.lower())
            ]
            for recipient in recipients:
                _queue(
                    store,
                    config,
                    channel=EMAIL,
                    kind="reply",
                    recipient=recipient.subscriber.email,
                    group_key=recipient.article,
                    item=reply.id,
                    not_before=now,
                    now=now,
                )
            store.subscriptions.mark_notified(reply.id, len(recipients), now)
        queued += len(recipients)
    if queued:
        logger.info("queued %d reply notifications", queued)
    return queued


def queue_daily_summaries(store: Store, config: NotifyConfig, now: datetime) -> int:
    """Today's summary for each moderator and the webhook, unless already queued."""
    if not config.daily_summary:
        return 0
    local = now.astimezone(site_timezone(config.timezone))
    if local.hour < SUMMARY_HOUR:
        return 0
    day = local.date().isoformat()
    due = [
        (channel, recipient)
        for channel, recipient in moderator_targets(config)
        if not store.outbox.exists("summary", recipient, day)
    ]
    if not due:
        return 0
    with store.transaction():
        for channel, recipient in due:
            _queue(
                store,
                config,
                channel=channel,
                kind="summary",
                recipient=recipient,
                group_key=day,
                item=None,
                not_before=now,
                now=now,
            )
    return len(due)
