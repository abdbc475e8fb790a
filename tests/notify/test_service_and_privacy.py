"""The running intake service sends alerts by itself; export, erase and the settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderation import cli
from moderation.errors import SettingsError
from moderation.notify import send_due
from moderation.privacy import erase_commenter, export_commenter
from moderation.settings import load_settings
from tests.intake.helpers import ServiceProcess, write_threads

from .conftest import HOLD_WORD, MODERATOR, THREADS, held, notify_settings
from .test_replies import approve_and_publish, post, subscribed_reader

READER = "reader@example.net"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_running_service_alerts_a_moderator_on_its_own(site, mail, seeded_db):
    """``moderation serve``: screened in the background, the alert goes out within seconds."""
    write_threads(site.root, THREADS)
    env = {
        "MODERATION_SECRET_KEY": "notify-tests-secret",
        "COMMENTS_SMTP": json.dumps({"host": "127.0.0.1", "port": mail.port, "from": "b@x.org"}),
        "COMMENTS_NOTIFY": json.dumps({"moderators": [MODERATOR]}),
        "COMMENTS_MODERATION": json.dumps({"moderation_keys": [HOLD_WORD]}),
    }
    service = ServiceProcess(site.root, site.db, env=env).start()
    try:
        answer = service_post(service, f"Could you {HOLD_WORD} my question about cohorts?")
        assert answer.status_code == 202
        [alert] = mail.wait_for(1, timeout=30)
        assert alert.rcpt_tos == [MODERATOR]
        assert answer.json()["id"] in alert.text
    finally:
        service.stop()


def service_post(service, body):
    import httpx

    return httpx.post(
        service.url + "/comments",
        json={"article": "first-steps", "name": "Lee", "email": "lee@example.org", "body": body},
        timeout=10,
    )


def test_export_and_erase_cover_the_subscription_and_the_emails(site, store, mail, intake):
    settings, parent = subscribed_reader(site, store, mail, intake)
    reply = post(intake, name="Sam", email="sam@example.org", reply_to=parent.id, body="Hi!")
    approve_and_publish(store, settings, reply.id)
    send_due(store, settings)
    data = export_commenter(store, settings, READER)
    subscription = data["reply_notifications"]
    assert subscription["confirmed_at"] and subscription["comments"] == [parent.id]
    assert subscription["threads"][0]["article"] == "first-steps"
    assert [e["kind"] for e in data["emails"]] == ["confirm", "reply"]
    assert data["emails"][1]["about"] == [reply.id]

    report = erase_commenter(store, settings, READER)
    assert report.comments == [parent.id] and report.notification_rows >= 3
    assert store.subscriptions.by_email(READER) is None
    assert store.outbox.to_recipient(READER) == []
    after = export_commenter(store, settings, READER)
    assert after["reply_notifications"] is None and after["emails"] == []


def test_erase_forgets_a_bounced_address_too(site, store, run_cli):
    store.subscriptions.mark_bounced("gone@example.net", "550 5.1.1 no such user")
    result = run_cli("erase", "--email", "gone@example.net")
    assert result.code == 0 and "reply-email subscription" in result.out
    assert store.subscriptions.bounced("gone@example.net") is None


def test_notify_bounce_options(site, store, run_cli):
    assert "will not be mailed again" in run_cli("notify", "--bounced", "x@example.org").out
    assert store.subscriptions.bounced("x@example.org") is not None
    assert "may be mailed again" in run_cli("notify", "--clear-bounce", "x@example.org").out
    assert store.subscriptions.bounced("x@example.org") is None


@pytest.fixture
def run_cli(site, capsys):
    class Result:
        def __init__(self, code, out, err):
            self.code, self.out, self.err = code, out, err

    def run(*args):
        capsys.readouterr()
        code = cli.main(["--db", str(site.db), "--settings", str(site.settings_file), *args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("COMMENTS_SMTP", '{"security": "ssl"}', "['security'] must be none, starttls or tls"),
        ("COMMENTS_SMTP", '{"port": 70000}', "['port'] must be between 1 and 65535"),
        ("COMMENTS_SMTP", '{"from": "not an address"}', "['from'] must be an email address"),
        ("COMMENTS_SMTP", '{"password": "x"}', "unknown keys 'password'"),
        ("COMMENTS_NOTIFY", '{"mode": "hourly"}', "['mode'] must be immediate or digest"),
        ("COMMENTS_NOTIFY", '{"digest_minutes": 0}', "['digest_minutes'] must be between 1"),
        ("COMMENTS_NOTIFY", '{"moderators": "a@b.org"}', "['moderators'] must be list"),
        ("COMMENTS_NOTIFY", '{"moderators": ["nobody"]}', "must be an email address"),
        ("COMMENTS_NOTIFY", '{"webhook": {"url": "ftp://x"}}', "['url'] must be an http://"),
        ("COMMENTS_NOTIFY", '{"webhook": {"secret_env": "X"}}', "needs the key 'url'"),
        (
            "COMMENTS_NOTIFY",
            '{"webhook": {"url": "https://chat.example/h", "secret_env": "1 bad"}}',
            "must be an environment variable name",
        ),
        ("COMMENTS_NOTIFY", '{"daily_summary": "yes"}', "['daily_summary'] must be true or false"),
    ],
)
def test_bad_notification_settings_stop_start_up_naming_the_variable(variable, value, message):
    with pytest.raises(SettingsError) as caught:
        load_settings(None, environ={variable: value})
    assert f"environment variable {variable}" in str(caught.value)
    assert message in str(caught.value)


def test_the_interface_shapes_of_the_issue_are_accepted():
    settings = load_settings(
        None,
        environ={
            "COMMENTS_SMTP": json.dumps(
                {
                    "host": "127.0.0.1",
                    "port": 25,
                    "security": "starttls",
                    "user": None,
                    "from": "blog@example.org",
                }
            ),
            "COMMENTS_NOTIFY": json.dumps(
                {
                    "moderators": ["moderator@example.org"],
                    "mode": "digest",
                    "digest_minutes": 30,
                    "webhook": {
                        "url": "https://chat.example/hook",
                        "secret_env": "MODERATION_WEBHOOK_SECRET",
                    },
                    "daily_summary": False,
                }
            ),
        },
    )
    assert settings["COMMENTS_NOTIFY"]["mode"] == "digest"
    assert settings["COMMENTS_SMTP"]["security"] == "starttls"


def test_the_project_settings_file_declares_both():
    settings = load_settings(ROOT / "pelicanconf.py", environ={})
    assert settings["COMMENTS_NOTIFY"]["moderators"] == []  # nobody is mailed until set
    assert settings["COMMENTS_SMTP"]["port"] == 25


def test_the_review_page_shows_queued_retrying_and_failed(site, store, mail, monkeypatch):
    import argon2

    from moderation import accounts
    from moderation.web.review_app import create_review_app
    from tests.review_web.helpers import ReviewClient

    # Argon2id at its smallest cost: the login is not what this test is about.
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(accounts, "PASSWORD_HASHER", cheap)
    monkeypatch.setattr(accounts, "_DUMMY_HASH", None)

    settings = notify_settings(site, mail)
    for number in range(3):
        held(store, settings, body=f"Question {number}: could you {HOLD_WORD}?")
    third = store.outbox.due()[2]
    mail.data_reply = "451 4.7.1 greylisted, come back later"
    send_due(store, settings)
    store.outbox.mark_failed(third.message_id, "554 5.7.1 relaying denied")
    held(store, settings, body=f"Question 4: could you {HOLD_WORD}?")
    accounts.add_moderator(store, "alice", "correct horse battery")

    with ReviewClient(create_review_app(site.settings(), site.db)) as client:
        assert client.login("alice", "correct horse battery").status_code == 303
        page = client.get("/").text
    assert "Alerts and reply emails: 1 queued, 2 retrying, 1 failed" in page
    assert "greylisted" in page and "relaying denied" in page
    assert MODERATOR not in page and "m***@example.org" in page
