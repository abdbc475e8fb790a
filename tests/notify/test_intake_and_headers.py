"""The opt-in at intake, and header injection: refused at intake, harmless past it."""

from __future__ import annotations

import pytest

from moderation.models import State
from moderation.notify import send_due
from moderation.store import Store
from tests.moderation.conftest import add

from .conftest import MODERATOR, held, notify_settings

FORM = {
    "article": "first-steps",
    "reply_to": "",
    "name": "Robin Reader",
    "email": "robin@example.net",
    "url": "",
    "body": "How do you keep a study group going after the first month?",
    "token": "",
    "website": "",
}


def latest(intake):
    with Store(intake.service.db_path) as store:
        comment = store.comments.list(newest_first=True, limit=1)[0]
        return comment, store.subscriptions.of_comment(comment.id)


def test_the_form_box_subscribes_and_an_unticked_form_does_not(intake):
    assert intake.post("/comments", data=FORM).status_code == 303
    assert latest(intake)[1] is None
    answer = intake.post("/comments", data={**FORM, "body": "Another one.", "notify_replies": "1"})
    assert answer.status_code == 303
    _, subscriber = latest(intake)
    assert subscriber.email == "robin@example.net" and subscriber.confirmed_at is None


def test_json_accepts_notify_replies_true(intake):
    answer = intake.post("/comments", json={**FORM, "notify_replies": True})
    assert answer.status_code == 202
    comment, subscriber = latest(intake)
    assert comment.id == answer.json()["id"] and subscriber is not None
    answer = intake.post("/comments", json={**FORM, "body": "Second.", "notify_replies": False})
    assert answer.status_code == 202 and latest(intake)[1] is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"notify_replies": "1", "email": ""}, "email"),
        ({"notify_replies": "please"}, "notify_replies"),
        ({"notify_replies": 3}, "notify_replies"),
    ],
)
def test_a_bad_opt_in_is_refused_naming_the_field(intake, fields, field):
    answer = intake.post("/comments", json={**FORM, **fields})
    assert answer.status_code == 400
    assert answer.json()["field"] == field


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "Eve\r\nBcc: victim@example.com"}, "name"),
        ({"name": "Eve\nSubject: free money"}, "name"),
        ({"email": "eve@example.org\r\nBcc: victim@example.com"}, "email"),
        ({"email": "eve@example.org\nBcc: victim@example.com", "notify_replies": "1"}, "email"),
        ({"email": "eve@exa\rmple.org"}, "email"),
    ],
)
def test_header_injection_is_refused_at_intake_with_400_naming_the_field(intake, fields, field):
    before = latest_count(intake)
    json_answer = intake.post("/comments", json={**FORM, **fields})
    assert json_answer.status_code == 400 and json_answer.json()["field"] == field
    form_answer = intake.post("/comments", data={**FORM, **fields})
    assert form_answer.status_code == 400
    assert f'id="{field}-error"' in form_answer.text or f"{field} " in form_answer.text
    assert latest_count(intake) == before  # nothing stored


def latest_count(intake) -> int:
    with Store(intake.service.db_path) as store:
        return store.comments.count()


def test_the_form_page_has_the_box_unticked(intake):
    page = intake.get("/comments/form?article=first-steps")
    assert page.status_code == 200
    assert 'name="notify_replies" type="checkbox" value="1"' in page.text
    assert "Email me when someone replies" in page.text
    refused = intake.post("/comments", data={**FORM, "email": "", "notify_replies": "1"})
    assert refused.status_code == 400
    assert 'name="notify_replies" type="checkbox" value="1" checked' in refused.text


def test_text_that_got_past_intake_still_cannot_add_a_header(site, store, mail):
    """A name stored with line breaks (by hand, an old import) reaches no header."""
    settings = notify_settings(site, mail)
    held(store, settings, author="Eve\r\nBcc: victim@example.com\r\nX-Evil: 1")
    send_due(store, settings)
    [delivered] = mail.wait_for(1)
    assert delivered.rcpt_tos == [MODERATOR]
    headers = delivered.raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Evil" not in headers
    assert delivered.message["Bcc"] is None and delivered.message["X-Evil"] is None
    assert "Eve Bcc: victim@example.com X-Evil: 1" in str(delivered.message["Subject"])


def test_an_address_with_a_line_break_is_never_mailed(site, store, mail):
    settings = notify_settings(site, mail, moderators=[])
    comment = add(store, status=State.APPROVED, email="x@example.org\r\nBcc: v@example.com")
    store.subscriptions.subscribe(comment.id, comment.email, comment.article)
    subscriber = store.subscriptions.of_comment(comment.id)
    store.outbox.add(
        channel="email",
        kind="confirm",
        recipient=subscriber.email,
        group_key="confirm",
        message_id="<injected@learning.example>",
        not_before=comment.received_at,
        item=comment.id,
    )
    report = send_due(store, settings)
    assert report.cancelled and "cannot be used" in report.cancelled[0][1]
    assert mail.messages == []
