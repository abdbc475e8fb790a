"""Moderator alerts: queued with the verdict, sent over real SMTP and a real webhook."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from moderation.models import State
from moderation.notify import send_due
from moderation.notify.config import NotifyConfig
from moderation.notify.events import next_digest_at, queue_daily_summaries
from moderation.screening import Screener, screen_and_record
from tests.moderation.conftest import add

from .conftest import (
    HOLD_WORD,
    MODERATOR,
    SECOND_MODERATOR,
    SPAM_WORD,
    held,
    notify_settings,
    screened,
)

LINK = re.compile(r"(\w+):\s+(http://\S+/comments/moderate/\S+)")


def test_a_held_comment_sends_an_email_with_comment_article_verdict_and_links(site, store, mail):
    settings = notify_settings(site, mail, moderators=[MODERATOR, SECOND_MODERATOR])
    comment = held(store, settings, author="Ines Alvarez", email="ines@example.net")
    assert store.outbox.counts()["queued"] == 2  # one per moderator, with the verdict

    report = send_due(store, settings)

    assert len(report.sent) == 2 and not report.failed
    assert {m.rcpt_tos[0] for m in mail.wait_for(2)} == {MODERATOR, SECOND_MODERATOR}
    email = mail.to(MODERATOR)[0]
    text = email.text
    assert email.message["From"].addresses[0].addr_spec == "blog@learning.example"
    assert "Ines Alvarez" in email.message["Subject"] and "First steps" in email.message["Subject"]
    assert comment.body in text  # the comment
    assert "First steps" in text and "first-steps" in text  # its article and address
    assert "Verdict:   hold, score " in text  # the verdict
    assert f"  - moderation keyword word: '{HOLD_WORD}'" in text.split("Why:")[1]  # its reasons
    assert comment.id in text
    assert "ines@example.net" not in text  # the address only masked
    actions = dict(LINK.findall(text))
    assert set(actions) == {"Approve", "Reject", "Spam", "Promotion"}
    assert email.message_id in {m.message_id for m in store.outbox.in_state("sent")}
    assert store.outbox.counts()["sent"] == 2


def test_alert_and_verdict_commit_together(site, store, mail, monkeypatch):
    """The outbox row is written in the screening transaction: one fails, neither stays."""
    settings = notify_settings(site, mail)
    comment = add(store, status=State.RECEIVED, body=f"Please {HOLD_WORD} my question.")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full while queueing")

    monkeypatch.setattr(store.outbox, "add", broken)
    with pytest.raises(RuntimeError):
        screen_and_record(store, Screener(settings, store), [comment])
    assert store.comments.get(comment.id).status is State.RECEIVED  # the verdict rolled back
    assert store.screenings.of(comment.id) == []
    monkeypatch.undo()
    screen_and_record(store, Screener(settings, store), [comment])
    assert store.comments.get(comment.id).status is State.HELD
    assert store.outbox.counts()["queued"] == 1


def test_no_alert_for_approved_or_spam_unless_asked_and_none_on_recheck(site, store, mail):
    settings = notify_settings(site, mail)
    screened(store, settings, body="I tried this with my study group and it worked well.")
    spam_text = f"Buy from {SPAM_WORD} today"
    spam = screened(store, settings, body=spam_text, author="Seller")
    assert spam.status is State.SPAM
    assert store.outbox.counts()["queued"] == 0
    # A recheck that keeps a comment held does not alert again.
    comment = held(store, settings)
    screen_and_record(store, Screener(settings, store), [comment])
    assert store.outbox.counts()["queued"] == 1

    asked = notify_settings(site, mail, alert_spam=True)
    screened(store, asked, body=spam_text + " again", author="Seller two")
    assert store.outbox.counts()["queued"] == 2


def test_digest_gathers_held_comments_into_one_email_at_the_next_boundary(site, store, mail):
    settings = notify_settings(site, mail, mode="digest", digest_minutes=30)
    first = held(store, settings, author="First Person")
    second = held(store, settings, author="Second Person", body=f"Another {HOLD_WORD} case.")
    assert store.outbox.counts()["queued"] == 1  # one open digest for the moderator

    now = datetime.now(UTC)
    boundary = next_digest_at(now, 30)
    assert boundary > now - timedelta(seconds=1) and boundary.minute in (0, 30)
    assert send_due(store, settings, now=boundary - timedelta(seconds=1)).sent == []
    report = send_due(store, settings, now=boundary)
    assert len(report.sent) == 1
    email = mail.wait_for(1)[0]
    assert "2 comments for review" in email.message["Subject"]
    assert "First Person" in email.text and "Second Person" in email.text
    assert len(LINK.findall(email.text)) == 8  # four links for each comment
    # A held comment after the digest went out starts the next one.
    held(store, settings, author="Third Person", body=f"Third {HOLD_WORD} case.")
    counts = store.outbox.counts()
    assert (counts["queued"], counts["sent"]) == (1, 1)
    assert f"moderation show {first.id}" in email.text
    assert f"moderation show {second.id}" in email.text


def test_webhook_gets_signed_json_a_chat_channel_can_show(site, store, webhook):
    settings = notify_settings(
        site, None, moderators=[], webhook={"url": webhook.url, "secret_env": "CHAT_HOOK_SECRET"}
    )
    comment = held(store, settings, author="Ola Nordmann")
    report = send_due(store, settings)
    assert len(report.sent) == 1
    delivery = webhook.deliveries[0]
    assert delivery.signature_ok  # HMAC-SHA256 verified with the shared secret
    data = delivery.json
    assert data["event"] == "comments.held"
    assert "Ola Nordmann" in data["text"]  # what Slack or Matrix shows
    [sent] = data["comments"]
    assert sent["id"] == comment.id and sent["status"] == "held"
    assert sent["verdict"]["decision"] == "hold" and sent["verdict"]["reasons"]
    assert "jane@example.org" not in delivery.body.decode()  # no address in the payload
    assert delivery.headers["x-comments-delivery"] == data["id"]


def test_webhook_text_cannot_mention_anyone_or_disguise_a_link(site, store, webhook):
    """A name a commenter chose reaches the channel as text: Slack's <!channel>, <@U…> and
    <url|label>, and Mattermost's @here and [label](url), are shown, never acted on."""
    settings = notify_settings(
        site, None, moderators=[], webhook={"url": webhook.url, "secret_env": "CHAT_HOOK_SECRET"}
    )
    name = "<!channel> <@U024BE7LH> @here [Approve all](https://evil.example) Tom & Jerry"
    held(store, settings, author=name)
    held(store, settings, author="<https://evil.example|Approve all>")
    send_due(store, settings)
    texts = [delivery.json["text"] for delivery in webhook.deliveries]
    assert len(texts) == 2
    for text in texts:
        assert "<" not in text and ">" not in text  # Slack: every <…> is markup
        assert "@here" not in text and "](" not in text  # Mattermost: mentions, links
    assert "&lt;!channel&gt; &lt;@\u200bU024BE7LH&gt; @\u200bhere [Approve all]\u200b(" in texts[0]
    assert "Tom &amp; Jerry" in texts[0]
    assert "&lt;https://evil.example|Approve all&gt;" in texts[1]
    # Scripts get the name as it was sent.
    assert webhook.deliveries[0].json["comments"][0]["author"] == name


def test_webhook_signature_fails_when_the_body_is_changed(site, store, webhook):
    settings = notify_settings(
        site, None, moderators=[], webhook={"url": webhook.url, "secret_env": "CHAT_HOOK_SECRET"}
    )
    held(store, settings)
    send_due(store, settings)
    delivery = webhook.deliveries[0]
    tampered = json.dumps({**delivery.json, "text": "changed"}).encode()
    assert webhook.verify(delivery.headers, delivery.body)
    assert not webhook.verify(delivery.headers, tampered)


def test_webhook_without_its_secret_waits_and_says_why(site, store, webhook, monkeypatch):
    monkeypatch.delenv("CHAT_HOOK_SECRET")
    settings = notify_settings(
        site, None, moderators=[], webhook={"url": webhook.url, "secret_env": "CHAT_HOOK_SECRET"}
    )
    held(store, settings)
    report = send_due(store, settings)
    assert not webhook.deliveries
    assert "CHAT_HOOK_SECRET" in report.retrying[0][1]


def test_daily_summary_counts_and_names_the_oldest_held_comment(site, store, mail, webhook):
    settings = notify_settings(
        site,
        mail,
        daily_summary=True,
        webhook={"url": webhook.url, "secret_env": "CHAT_HOOK_SECRET"},
    )
    old = add(store, author="Waiting Longest", received_at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    add(store, author="Newer", received_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    add(store, status=State.APPROVED, author="Fine")
    config = NotifyConfig.from_settings(settings)
    early = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)  # the site's time zone is UTC
    assert queue_daily_summaries(store, config, early) == 0
    morning = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    report = send_due(store, settings, now=morning)
    assert len(report.sent) == 2  # the moderator's email and the webhook
    email = mail.wait_for(1)[0]
    assert "daily summary for 2026-11-29" in email.message["Subject"]
    assert re.search(r"held\s+2", email.text) and re.search(r"approved\s+1", email.text)
    assert old.id in email.text and "Waiting Longest" in email.text
    assert webhook.deliveries[0].json["oldest_held"]["id"] == old.id
    # Once a day only.
    assert send_due(store, settings, now=morning + timedelta(hours=3)).sent == []
    assert len(send_due(store, settings, now=morning + timedelta(days=1)).sent) == 2
