"""One-click moderation links: a page on GET, the decision on POST, once, for 7 days."""

from __future__ import annotations

import html
import re
import sqlite3
import threading
import time

import pytest

from moderation.models import State
from moderation.notify import LinkSigner, send_due
from moderation.screening import learned

from .conftest import MODERATOR, held, link_in, notify_settings


def alert_links(site, store, mail) -> tuple[str, dict[str, str]]:
    settings = notify_settings(site, mail)
    comment = held(store, settings, author="Pat Reader")
    send_due(store, settings)
    text = mail.wait_for(1)[0].text
    links = {
        label: link_in(text, "moderate", f"{label}:")
        for label in ("Approve", "Reject", "Spam", "Promotion")
    }
    return comment.id, links


def test_approve_link_shows_a_page_then_acts_once_on_post(site, store, mail, intake):
    comment_id, links = alert_links(site, store, mail)

    page = intake.get(links["Approve"])  # what a link scanner or a click does
    assert page.status_code == 200
    assert '<form method="post"' in page.text and "Approve this comment" in page.text
    assert "Pat Reader" in page.text
    assert store.comments.get(comment_id).status is State.HELD  # GET decided nothing
    assert page.headers["cache-control"] == "no-store"

    done = intake.post(links["Approve"])
    assert done.status_code == 200
    assert "1 comment approved" in done.text
    assert store.comments.get(comment_id).status is State.APPROVED
    last = store.decisions.of(comment_id)[-1]
    assert last.actor == MODERATOR  # logged under the moderator the email went to
    assert last.to_state is State.APPROVED and "one-click" in (last.note or "")

    again = intake.post(links["Approve"])
    assert again.status_code == 410 and "has been used" in again.text
    assert intake.get(links["Approve"]).status_code == 410
    # The other links of the same alert were for the same decision: spent too.
    assert intake.post(links["Spam"]).status_code == 410
    assert store.comments.get(comment_id).status is State.APPROVED


def test_a_tampered_link_is_refused_with_403(site, store, mail, intake):
    comment_id, links = alert_links(site, store, mail)
    token = links["Spam"].rsplit("/", 1)[1]
    nonce = token.split(".")[0]
    other_action = links["Spam"].replace(f"{nonce}.spam.", f"{nonce}.approve.")
    changed_signature = links["Spam"][:-2] + ("AA" if not links["Spam"].endswith("AA") else "BB")
    for path in (other_action, changed_signature, links["Spam"][:-10]):
        assert intake.get(path).status_code == 403
        answer = intake.post(path)
        assert answer.status_code == 403 and "not valid" in answer.text
    assert store.comments.get(comment_id).status is State.HELD
    assert intake.post(links["Spam"]).status_code == 200  # the real one still works
    assert store.comments.get(comment_id).status is State.SPAM


def test_a_link_older_than_seven_days_has_expired(site, store, mail, intake):
    comment_id, links = alert_links(site, store, mail)
    nonce = links["Approve"].rsplit("/", 1)[1].split(".")[0]
    secret = store.keys.secret
    eight_days_ago = LinkSigner(secret, clock=lambda: time.time() - 8 * 86400)
    six_days_ago = LinkSigner(secret, clock=lambda: time.time() - 6 * 86400)
    old = f"/comments/moderate/{eight_days_ago.moderate_token(nonce, 'approve')}"
    recent = f"/comments/moderate/{six_days_ago.moderate_token(nonce, 'approve')}"

    for answer in (intake.get(old), intake.post(old)):
        assert answer.status_code == 410 and "expired" in answer.text
    assert store.comments.get(comment_id).status is State.HELD
    assert intake.post(recent).status_code == 200
    assert store.comments.get(comment_id).status is State.APPROVED


def test_a_comment_edited_after_the_link_page_showed_it_is_not_approved(site, store, mail, intake):
    comment_id, links = alert_links(site, store, mail)
    page = intake.get(links["Approve"])
    seen = re.search(r'name="seen" value="([0-9a-f]{16})"', page.text).group(1)
    assert seen == store.comments.get(comment_id).version
    edited = "Call +1 888 555 0147"
    store.revisions.edit(comment_id, author="Pat Reader", author_url=None, body=edited)

    refused = intake.post(links["Approve"], data={"seen": seen})
    assert refused.status_code == 409
    assert f"comment {comment_id} was edited at " in html.unescape(refused.text)
    assert store.comments.get(comment_id).status is State.RECEIVED
    # The link was not spent: its page now shows the new text, and acting on that works.
    page = intake.get(links["Approve"])
    assert edited in page.text
    seen = re.search(r'name="seen" value="([0-9a-f]{16})"', page.text).group(1)
    assert intake.post(links["Spam"], data={"seen": seen}).status_code == 200
    assert store.comments.get(comment_id).status is State.SPAM


def test_the_model_is_retrained_in_the_background_not_in_the_request(
    site, store, mail, intake, monkeypatch
):
    """A labelled decision asks for a retrain: the service's retrainer thread does it
    (on the service's write lock), after the page has answered."""
    _comment_id, links = alert_links(site, store, mail)
    ran_in: list[str] = []
    release = threading.Event()
    real = learned.retrain

    def recording(*args, **kwargs):
        ran_in.append(threading.current_thread().name)
        if threading.current_thread().name == "retrainer":
            assert release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(learned, "retrain", recording)
    assert intake.post(links["Spam"]).status_code == 200
    assert set(ran_in) <= {"retrainer"}, f"retrained in the request's thread: {ran_in}"
    release.set()
    assert intake.service.retrainer.wait(30)
    assert ran_in == ["retrainer"]


def test_a_link_is_not_spent_when_its_action_fails(site, store, mail, intake):
    comment_id, links = alert_links(site, store, mail)
    nonce = links["Approve"].rsplit("/", 1)[1].split(".")[0]
    # The decision's write fails in SQLite itself, as a full or broken disk would make it.
    store.conn.execute(
        """CREATE TRIGGER broken_disk BEFORE UPDATE OF status ON comments
           BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"""
    )
    with pytest.raises(sqlite3.DatabaseError, match="disk I/O error"):
        intake.post(links["Approve"])
    assert store.outbox.link(nonce).used_at is None
    assert store.comments.get(comment_id).status is State.HELD

    store.conn.execute("DROP TRIGGER broken_disk")
    done = intake.post(links["Approve"])
    assert done.status_code == 200 and "1 comment approved" in done.text
    assert store.outbox.link(nonce).used_action == "approve"


def test_pages_behind_email_links_never_send_their_token_on(site, store, mail, intake):
    """The token in the address is the whole authority: no Referer from these pages (a
    link on them followed, the site's own pages included) may carry it, so the policy is
    strict-origin (origin at most), on every answer: the page, the result, a refusal."""
    _, links = alert_links(site, store, mail)
    answers = [
        intake.get(links["Approve"]),
        intake.post(links["Approve"]),
        intake.post(links["Approve"]),  # spent: 410
        intake.get(links["Spam"][:-10]),  # tampered: 403
        intake.get("/comments/confirm/not-a-token"),
        intake.post("/comments/unsubscribe/not-a-token"),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 410, 403, 403, 403]
    for answer in answers:
        assert answer.headers["referrer-policy"] == "strict-origin", answer.request.url
        assert answer.headers["cache-control"] == "no-store"


def test_an_oversized_post_to_a_link_is_a_413_that_spends_nothing(site, store, mail, intake):
    comment_id, links = alert_links(site, store, mail)
    nonce = links["Approve"].rsplit("/", 1)[1].split(".")[0]
    for path in (links["Approve"], "/comments/moderate/not-a-token"):
        answer = intake.post(path, data={"seen": "x" * (200 * 1024)})
        assert answer.status_code == 413, answer.text
    assert store.outbox.link(nonce).used_at is None
    assert store.comments.get(comment_id).status is State.HELD
