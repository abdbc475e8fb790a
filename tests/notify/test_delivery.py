"""Delivery: retries with backoff for a day, permanent failures, the CLI faces, and a
sender killed mid-batch that, restarted, delivers every message exactly once."""

from __future__ import annotations

import os
import re
import signal
import ssl
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from moderation import cli
from moderation.models import State
from moderation.notify import outbox_summary, send_due
from moderation.notify.sender import backoff
from moderation.store import Store
from tests.moderation.conftest import add

from .conftest import MODERATOR, held, notify_settings
from .servers import MailServer

ROOT = Path(__file__).resolve().parents[2]


def test_backoff_doubles_up_to_an_hour():
    assert [backoff(n).total_seconds() / 60 for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_temporary_failures_are_retried_with_backoff_then_given_up_after_a_day(site, store, mail):
    settings = notify_settings(site, mail)
    held(store, settings)
    [message] = store.outbox.due()
    mail.data_reply = "451 4.3.0 try again later"
    start = message.created_at

    report = send_due(store, settings, now=start)
    assert report.retrying and "451" in report.retrying[0][1]
    waiting = store.outbox.get(message.message_id)
    assert waiting.status == "retrying" and waiting.next_attempt_at == start + timedelta(minutes=1)
    # Not due before its backoff is over; --all (waiting_too) tries it anyway.
    assert send_due(store, settings, now=start + timedelta(seconds=30)).retrying == []
    send_due(store, settings, now=start + timedelta(seconds=30), waiting_too=True)
    assert store.outbox.get(message.message_id).next_attempt_at == start + timedelta(
        seconds=30, minutes=2
    )
    report = send_due(store, settings, now=start + timedelta(hours=24))
    assert report.failed and "gave up after 24 hours" in report.failed[0][1]
    assert store.outbox.get(message.message_id).status == "failed"
    assert mail.messages == []


def test_the_day_of_retries_counts_from_the_first_try_not_from_when_it_was_queued(
    site, store, mail
):
    """A daily digest is queued hours before it is due, and the sender may first try it
    later still: temporary failures get their 24 hours from that first try."""
    settings = notify_settings(site, mail, mode="digest", digest_minutes=1440)
    held(store, settings)
    [message] = store.outbox.in_state("queued")
    assert message.not_before > message.created_at  # tomorrow's digest
    mail.data_reply = "451 4.3.0 try again later"
    first_try = message.not_before + timedelta(hours=3)  # the sender was not running

    assert send_due(store, settings, now=first_try).retrying
    later = first_try + timedelta(hours=23, minutes=59)
    report = send_due(store, settings, now=later, waiting_too=True)
    assert report.failed == [] and report.retrying
    report = send_due(store, settings, now=first_try + timedelta(hours=24), waiting_too=True)
    assert report.failed and "gave up after 24 hours" in report.failed[0][1]
    assert mail.messages == [] and mail.data_calls == 3


def test_a_retry_that_succeeds_is_sent_once(site, store, mail):
    settings = notify_settings(site, mail)
    held(store, settings)
    mail.data_reply = "421 4.4.5 too busy"
    [message] = store.outbox.due()
    send_due(store, settings, now=message.created_at)
    mail.data_reply = None
    report = send_due(store, settings, now=message.created_at + timedelta(minutes=1))
    assert report.sent == [message.message_id]
    assert len(mail.wait_for(1)) == 1
    assert store.outbox.get(message.message_id).attempts == 2


def test_a_5xx_is_a_permanent_failure_at_once(site, store, mail):
    settings = notify_settings(site, mail)
    held(store, settings)
    mail.data_reply = "554 5.6.0 message content refused"
    report = send_due(store, settings)
    assert report.failed and "554" in report.failed[0][1]
    assert report.bounced == []  # the message was refused, not the address
    assert store.subscriptions.bounced(MODERATOR) is None


def test_a_server_that_cannot_be_reached_is_a_temporary_failure(site, store):
    settings = notify_settings(site, None).with_overrides(
        COMMENTS_SMTP={"host": "127.0.0.1", "port": 1, "from": "blog@learning.example"}
    )
    held(store, settings)
    held(store, settings, body="A second question, review-me please?")
    report = send_due(store, settings)
    assert len(report.retrying) == 2
    assert all("cannot reach the SMTP server 127.0.0.1:1" in why for _, why in report.retrying)


def command(site, *args) -> list[str]:
    """``python -m moderation`` on the test site's database and settings."""
    db, settings = str(site.db), str(site.settings_file)
    return [sys.executable, "-m", "moderation", "--db", db, "--settings", settings, *args]


def run_cli(site, *args, env=None):
    return subprocess.run(
        command(site, *args),
        cwd=site.root,
        env={**_base_env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMENTS_", "MODERATION_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["MODERATION_SECRET_KEY"] = "notify-tests-secret"
    return env


def _mail_env(mail, **notify) -> dict[str, str]:
    import json

    return {
        "COMMENTS_SMTP": json.dumps(
            {"host": "127.0.0.1", "port": mail.port, "from": "blog@learning.example"}
        ),
        "COMMENTS_NOTIFY": json.dumps({"moderators": [MODERATOR], **notify}),
    }


def test_status_shows_queued_retrying_and_failed_and_notify_sends(site, store, mail, capsys):
    settings = notify_settings(site, mail)
    for number in range(3):
        held(store, settings, body=f"Question {number}: could you review-me?")
    third = store.outbox.due()[2]
    mail.data_reply = "451 later"
    send_due(store, settings)
    store.outbox.mark_failed(third.message_id, "550 5.1.1 no such user")  # as a bounce leaves it
    held(store, settings, body="Question 4: review-me please?")

    code = cli.main(["--db", str(site.db), "--settings", str(site.settings_file), "status"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Outbox" in out
    for state, count in (("queued", 1), ("retrying", 2), ("failed", 1)):
        assert re.search(rf"│ {state}\s+│\s+{count} │", out), (state, out)
    assert "550 5.1.1 no such user" in out and "451 later" in out
    assert "m***@example.org" in out and MODERATOR not in out  # masked
    summary = outbox_summary(store)
    assert (summary.queued, summary.retrying, summary.failed) == (1, 2, 1)

    mail.data_reply = None
    result = run_cli(site, "notify", env=_mail_env(mail))
    assert result.returncode == 0, result.stderr
    assert "sent 1, retrying 0" in result.stdout  # only the queued one was due
    result = run_cli(site, "notify", "--all", env=_mail_env(mail))
    assert "sent 2" in result.stdout  # --all: the two waiting out their backoff
    assert len(mail.wait_for(3)) == 3


def test_a_sender_killed_mid_batch_delivers_everything_exactly_once(site, store, mail):
    """A real ``moderation notify`` process, SIGKILLed while the server holds its 4th
    message; restarted, it sends the rest. Every message arrives exactly once."""
    settings = notify_settings(site, mail, moderators=[MODERATOR, "other@example.org"])
    for number in range(5):
        held(store, settings, body=f"Question {number}: could you review-me here?")
    queued = {m.message_id for m in store.outbox.due()}
    assert len(queued) == 10
    process: dict[str, subprocess.Popen] = {}

    def kill_on_fourth(envelope) -> str | None:
        if mail.data_calls == 4:
            os.kill(process["sender"].pid, signal.SIGKILL)
            process["sender"].wait(10)
            return "421 4.3.0 the connection is going away"
        return None

    mail.on_data = kill_on_fourth
    process["sender"] = subprocess.Popen(
        command(site, "notify"),
        cwd=site.root,
        env={**_base_env(), **_mail_env(mail, moderators=[MODERATOR, "other@example.org"])},
    )
    process["sender"].wait(60)
    assert process["sender"].returncode == -signal.SIGKILL
    assert len(mail.messages) == 3  # mid-batch: three accepted, the fourth in flight
    with Store(site.db) as check:
        counts = check.outbox.counts()
    assert (counts["sent"], counts["sending"]) == (3, 1)  # marked right after acceptance

    mail.on_data = None
    result = run_cli(
        site, "notify", env=_mail_env(mail, moderators=[MODERATOR, "other@example.org"])
    )
    assert result.returncode == 0, result.stderr
    assert "1 left half-sent by a stopped sender" in result.stdout
    delivered = Counter(m.message_id for m in mail.wait_for(10))
    assert set(delivered) == queued
    assert all(count == 1 for count in delivered.values()), delivered
    with Store(site.db) as check:
        assert check.outbox.counts()["sent"] == 10


def test_an_orphan_is_not_taken_while_its_sender_still_runs(site, store, mail):
    """The lock: a second sender while one holds it does nothing."""
    from moderation.notify.sender import sender_lock

    settings = notify_settings(site, mail)
    held(store, settings)
    with sender_lock(store.path) as ours:
        assert ours
        report = send_due(store, settings)
    assert report.busy and report.sent == []
    assert len(send_due(store, settings).sent) == 1


@pytest.mark.parametrize("status", [State.APPROVED, State.REJECTED])
def test_an_alert_about_a_comment_decided_meanwhile_carries_no_links(site, store, mail, status):
    settings = notify_settings(site, mail)
    comment = held(store, settings)
    store.decisions.moderate(comment.id, "approve" if status is State.APPROVED else "reject")
    send_due(store, settings)
    text = mail.wait_for(1)[0].text
    assert f"Already {status}" in text and "/comments/moderate/" not in text


def test_an_alert_about_an_erased_comment_is_cancelled(site, store, mail):
    settings = notify_settings(site, mail)
    held(store, settings, email="gone@example.net")
    store.privacy.erase_by_email("gone@example.net")
    report = send_due(store, settings)
    assert report.cancelled and "erased" in report.cancelled[0][1]
    assert mail.messages == []
    add(store)  # the store still works


# The test server takes AUTH on an implicit-TLS connection, which aiosmtpd warns about
# because it only knows of STARTTLS; the connection is encrypted all the same.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_starttls_or_tls_with_a_login_and_the_password_from_the_environment(
    site, store, security, tmp_path, monkeypatch
):
    import trustme

    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the client trusts our test authority

    login = ("blog@learning.example", "an app password")
    with MailServer(tls=security, ssl_context=server_context, login=login) as mail:
        settings = notify_settings(site, mail).with_overrides(
            COMMENTS_SMTP={
                "host": "127.0.0.1",
                "port": mail.port,
                "security": security,
                "user": login[0],
                "from": "blog@learning.example",
            }
        )
        held(store, settings)
        report = send_due(store, settings)
        assert "MODERATION_SMTP_PASSWORD is not set" in report.retrying[0][1]

        monkeypatch.setenv("MODERATION_SMTP_PASSWORD", "a wrong password")
        report = send_due(store, settings, waiting_too=True)
        assert "login as 'blog@learning.example' refused" in report.retrying[0][1]

        monkeypatch.setenv("MODERATION_SMTP_PASSWORD", login[1])
        report = send_due(store, settings, waiting_too=True)
        assert len(report.sent) == 1
        assert mail.wait_for(1)[0].rcpt_tos == [MODERATOR]
        assert mail.logins == [login[0]]
