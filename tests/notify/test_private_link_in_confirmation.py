"""Issue 13 in issue 11's confirmation email: the private link to change or withdraw the
comment travels with it while the comment can still be changed."""

from __future__ import annotations

from datetime import timedelta

from moderation.models import utcnow
from moderation.notify import send_due
from moderation.store import Store

from .conftest import link_in, notify_settings
from .test_replies import READER, approve_and_publish, post


def test_the_confirmation_repeats_the_private_link(site, store, mail, intake):
    settings = notify_settings(site, mail, moderators=[])
    comment = post(intake, notify_replies="1")
    approve_and_publish(store, settings, comment.id)
    send_due(store, settings)
    [confirmation] = mail.to(READER)
    edit = link_in(confirmation.text, "edit")
    assert "change or withdraw your comment" in confirmation.text
    page = intake.get(edit)
    assert page.status_code == 200 and "How do you keep a study group going" in page.text


def test_no_link_once_the_comment_can_no_longer_be_changed(site, store, mail, intake):
    settings = notify_settings(site, mail, moderators=[])
    comment = post(intake, notify_replies="1")
    approve_and_publish(store, settings, comment.id)
    later = utcnow() + timedelta(minutes=settings["COMMENTS_EDIT_MINUTES"] + 1)
    send_due(store, settings, now=later)
    [confirmation] = mail.to(READER)
    assert "/comments/edit/" not in confirmation.text
    with Store(site.db) as check:
        assert check.comments.get(comment.id).withdrawn_at is None
