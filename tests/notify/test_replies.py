"""Reply notifications, the whole path: subscribe on the form, confirm, reply, approve,
publish, the email arrives over SMTP, and its unsubscribe links work (RFC 8058)."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta

from moderation.models import State, utcnow
from moderation.notify import on_published, send_due
from moderation.notify.tokens import LinkSigner
from moderation.publish import publish
from moderation.screening import Screener, screen_due
from moderation.store import Store
from moderation.store.migrations import MIGRATIONS, split_sql
from tests.intake.helpers import write_threads

from .conftest import THREADS, link_in, notify_settings

READER = "reader@example.net"
REPLIER = "replier@example.org"


def post(intake, **fields):
    form = {
        "article": "first-steps",
        "reply_to": "",
        "name": "Robin Reader",
        "email": READER,
        "url": "",
        "body": "How do you keep a study group going after the first month?",
        "token": "",
        "website": "",
        **fields,
    }
    answer = intake.post("/comments", data=form)
    assert answer.status_code == 303, answer.text
    with Store(intake.service.db_path) as store:
        return store.comments.list(newest_first=True, limit=1)[0]


def answer(intake, parent, body, article="first-steps"):
    """Sam (not a subscriber) replies to ``parent``."""
    return post(intake, article=article, name="Sam", email=REPLIER, reply_to=parent.id, body=body)


def approve_and_publish(store, settings, comment_id):
    screen_due(store, Screener(settings, store))
    if store.comments.get(comment_id).status is not State.APPROVED:
        store.decisions.moderate(comment_id, "approve")
    return publish(store, settings)


def subscribed_reader(site, store, mail, intake):
    """The reader posts with the box ticked, is approved, published and confirms."""
    settings = notify_settings(site, mail, moderators=[])  # only readers' mail here
    comment = post(intake, notify_replies="1")
    subscriber = store.subscriptions.of_comment(comment.id)
    assert subscriber is not None and subscriber.email == READER
    assert subscriber.confirmed_at is None
    # Nothing is mailed while the comment waits for a moderator.
    send_due(store, settings)
    assert mail.to(READER) == []

    report = approve_and_publish(store, settings, comment.id)
    assert report.written
    send_due(store, settings)
    [confirmation] = mail.to(READER)
    assert "confirm" in confirmation.message["Subject"].lower()
    confirm = link_in(confirmation.text, "confirm")
    page = intake.get(confirm)
    assert page.status_code == 200 and "Yes, email me about replies" in page.text
    assert store.subscriptions.of_comment(comment.id).confirmed_at is None  # GET did nothing
    assert intake.post(confirm).status_code == 200
    assert store.subscriptions.of_comment(comment.id).confirmed_at is not None
    return settings, comment


def test_subscribe_confirm_reply_publish_email_and_one_click_unsubscribe(site, store, mail, intake):
    settings, parent = subscribed_reader(site, store, mail, intake)
    reply = post(
        intake,
        name="Sam Replier",
        email=REPLIER,
        reply_to=parent.id,
        body="We meet every second Tuesday and rotate who brings a question.",
    )
    report = approve_and_publish(store, settings, reply.id)
    assert report.notifications_queued == 1
    send_due(store, settings)

    [email] = mail.to(READER)[1:]
    text = email.text
    assert "Sam Replier" in email.message["Subject"] and "First steps" in email.message["Subject"]
    assert "rotate who brings a question" in text  # the reply
    assert f"http://127.0.0.1:8000/2026/first-steps.html#comment-{reply.id}" in text  # link
    assert REPLIER not in email.raw.decode()
    unsubscribe_all = str(email.message["List-Unsubscribe"]).strip()
    assert unsubscribe_all.startswith("<http://127.0.0.1:8080/comments/unsubscribe/")
    assert str(email.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert READER not in unsubscribe_all and "reader" not in unsubscribe_all  # opaque
    thread_link = link_in(text, "unsubscribe", "Stop emails about")
    all_link = link_in(text, "unsubscribe", "Stop all reply emails")
    assert all_link == unsubscribe_all.strip("<>").removeprefix("http://127.0.0.1:8080")
    assert thread_link != all_link

    # Publishing again sends nothing twice.
    assert publish(store, settings).notifications_queued == 0

    # The mail client's RFC 8058 one-click POST: no cookie, no login, just the token.
    answer = intake.post(
        all_link,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200 and "Unsubscribed" in answer.text
    assert "set-cookie" not in answer.headers
    assert store.subscriptions.by_email(READER).unsubscribed_at is not None

    another = post(
        intake,
        name="Kim",
        email="kim@example.org",
        reply_to=parent.id,
        body="Rotating the question-asker is a lovely idea, thank you.",
    )
    assert approve_and_publish(store, settings, another.id).notifications_queued == 0
    send_due(store, settings)
    assert len(mail.to(READER)) == 2  # the confirmation and the one reply: nothing more


def test_the_thread_link_stops_one_article_only(site, store, mail, intake):
    settings, parent = subscribed_reader(site, store, mail, intake)
    elsewhere = post(
        intake,
        article="second-thoughts",
        notify_replies="1",
        body="A second question, on the other article, about pacing.",
    )
    approve_and_publish(store, settings, elsewhere.id)
    send_due(store, settings)
    # Each article's thread is confirmed for itself (a confirmed address is no blank cheque).
    second_thread = mail.to(READER)[-1]
    assert "Second thoughts" in second_thread.text
    assert intake.post(link_in(second_thread.text, "confirm")).status_code == 200
    first = post(
        intake,
        name="Sam",
        email=REPLIER,
        reply_to=parent.id,
        body="An answer on the first article.",
    )
    approve_and_publish(store, settings, first.id)
    send_due(store, settings)
    thread_link = link_in(mail.to(READER)[-1].text, "unsubscribe", "Stop emails about")

    page = intake.get(thread_link)
    assert page.status_code == 200 and "First steps" in page.text
    assert intake.post(thread_link).status_code == 200
    assert "Already unsubscribed" in intake.get(thread_link).text

    later = post(
        intake,
        name="Sam",
        email=REPLIER,
        reply_to=parent.id,
        body="A second answer on the first article.",
    )
    other = post(
        intake,
        name="Sam",
        email=REPLIER,
        reply_to=elsewhere.id,
        article="second-thoughts",
        body="An answer on the second article.",
    )
    for comment in (later, other):
        approve_and_publish(store, settings, comment.id)
    report = send_due(store, settings, now=utcnow() + timedelta(minutes=11))
    assert len(report.sent) == 1
    assert "An answer on the second article." in mail.to(READER)[-1].text


def test_replies_within_ten_minutes_are_batched_into_one_email(site, store, mail, intake):
    settings, parent = subscribed_reader(site, store, mail, intake)
    first = post(intake, name="Sam", email=REPLIER, reply_to=parent.id, body="First answer.")
    approve_and_publish(store, settings, first.id)
    start = utcnow()
    assert len(send_due(store, settings, now=start).sent) == 1
    for number, text in enumerate(("Second answer.", "Third answer."), start=2):
        reply = post(
            intake,
            name=f"Person {number}",
            email=f"p{number}@example.org",
            reply_to=parent.id,
            body=text,
        )
        approve_and_publish(store, settings, reply.id)
    report = send_due(store, settings, now=start + timedelta(minutes=3))
    assert report.sent == [] and report.postponed == 1
    assert send_due(store, settings, now=start + timedelta(minutes=9, seconds=59)).sent == []
    report = send_due(store, settings, now=start + timedelta(minutes=10))
    assert len(report.sent) == 1
    batched = mail.to(READER)[-1]
    assert "2 new replies" in batched.message["Subject"]
    assert "Second answer." in batched.text and "Third answer." in batched.text
    assert len(mail.to(READER)) == 3  # confirmation, first reply, the batch


def test_nothing_but_the_confirmation_before_it_is_confirmed(site, store, mail, intake):
    settings = notify_settings(site, mail, moderators=[])  # only readers' mail here
    parent = post(intake, notify_replies="1")
    approve_and_publish(store, settings, parent.id)
    reply = post(intake, name="Sam", email=REPLIER, reply_to=parent.id, body="An early answer.")
    assert approve_and_publish(store, settings, reply.id).notifications_queued == 0
    send_due(store, settings)
    [only] = mail.to(READER)
    assert "confirm" in only.message["Subject"].lower()


def test_a_bounced_address_is_not_mailed_again(site, store, mail, intake):
    settings, parent = subscribed_reader(site, store, mail, intake)
    mail.refuse[READER] = "550 5.1.1 mailbox unknown"
    reply = post(intake, name="Sam", email=REPLIER, reply_to=parent.id, body="An answer.")
    approve_and_publish(store, settings, reply.id)
    report = send_due(store, settings)
    assert report.failed and report.bounced == ["r***@example.net"]
    assert store.subscriptions.bounced(READER) is not None
    mail.refuse.clear()
    later = post(intake, name="Sam", email=REPLIER, reply_to=parent.id, body="Another answer.")
    assert approve_and_publish(store, settings, later.id).notifications_queued == 0
    send_due(store, settings, waiting_too=True)
    assert len(mail.to(READER)) == 1  # only the confirmation, from before the bounce


def test_a_confirmation_link_that_was_changed_is_refused(site, store, mail, intake):
    settings = notify_settings(site, mail, moderators=[])  # only readers' mail here
    parent = post(intake, notify_replies="1")
    approve_and_publish(store, settings, parent.id)
    send_due(store, settings)
    confirm = link_in(mail.to(READER)[0].text, "confirm")
    assert intake.post(confirm[:-3] + "xyz").status_code == 403
    assert intake.post(confirm.replace("/confirm/", "/unsubscribe/")).status_code == 403
    assert store.subscriptions.of_comment(parent.id).confirmed_at is None


def test_a_reader_of_a_german_article_gets_german_emails(site, store, mail, intake):
    """Reader-facing email speaks the article's language, as its page does (issue 13)."""
    german = [dict(t, lang="de") if t["slug"] == "second-thoughts" else t for t in THREADS]
    write_threads(site.root, german)
    settings = notify_settings(site, mail, moderators=[])
    parent = post(intake, article="second-thoughts", notify_replies="1")
    approve_and_publish(store, settings, parent.id)
    send_due(store, settings)
    [confirmation] = mail.to(READER)
    assert str(confirmation.message["Subject"]).startswith("Bitte bestätigen")
    assert "Zur Bestätigung öffnen Sie diesen Link" in confirmation.text
    assert "„Second thoughts“" in confirmation.text
    assert "To confirm" not in confirmation.text
    assert intake.post(link_in(confirmation.text, "confirm")).status_code == 200

    reply = post(intake, article="second-thoughts", name="Sam", email=REPLIER,
                 reply_to=parent.id, body="Wir treffen uns jeden zweiten Dienstag.")  # fmt: skip
    approve_and_publish(store, settings, reply.id)
    send_due(store, settings)
    [email] = mail.to(READER)[1:]
    assert str(email.message["Subject"]) == "Neue Antwort von Sam auf „Second thoughts“"
    assert "Sam hat auf „Second thoughts“ geantwortet:" in email.text
    assert "Keine Antwort-E-Mails mehr von" in email.text
    assert "Stop all reply emails" not in email.text
    # The one-click links work whatever the language.
    assert link_in(email.text, "unsubscribe", "Keine Antwort-E-Mails mehr von")


def test_a_confirmed_address_is_not_signed_up_for_another_thread_by_someone_else(
    site, store, mail, intake
):
    """The reader confirmed replies on "First steps". A stranger comments on "Second
    thoughts" with the reader's address and ticks the box: the reader gets only a
    confirmation for that thread, never the replies, until they confirm it themselves."""
    settings, _ = subscribed_reader(site, store, mail, intake)
    stranger = post(
        intake,
        article="second-thoughts",
        name="Not The Reader",
        notify_replies="1",
        body="Typed someone else's address into the form, with the box ticked.",
    )
    approve_and_publish(store, settings, stranger.id)
    reply = answer(intake, stranger, "An answer to the stranger's comment.", "second-thoughts")
    assert approve_and_publish(store, settings, reply.id).notifications_queued == 0
    send_due(store, settings)
    first, second = mail.to(READER)  # the two confirmations, one per thread
    assert "First steps" in first.text
    assert "confirm" in second.message["Subject"].lower() and "Second thoughts" in second.text
    assert "An answer to the stranger's comment." not in second.text

    # Only the reader's own press of the button signs them up for that thread.
    assert intake.post(link_in(second.text, "confirm")).status_code == 200
    later = answer(
        intake, stranger, "A second answer, after the reader confirmed.", "second-thoughts"
    )
    assert approve_and_publish(store, settings, later.id).notifications_queued == 1
    send_due(store, settings)
    assert "A second answer, after the reader confirmed." in mail.to(READER)[-1].text


def test_a_thread_left_is_not_rejoined_by_a_form_post(site, store, mail, intake):
    """After "stop emails about this article", a form post with the reader's address and
    the box ticked needs the reader's confirmation again."""
    settings, parent = subscribed_reader(site, store, mail, intake)
    subscriber = store.subscriptions.of_comment(parent.id)
    assert store.subscriptions.unsubscribe_thread(subscriber.id, "first-steps")
    again = post(intake, notify_replies="1", body="Someone posting with the reader's address.")
    approve_and_publish(store, settings, again.id)
    reply = answer(intake, parent, "An answer.")
    assert approve_and_publish(store, settings, reply.id).notifications_queued == 0
    assert store.subscriptions.recipients([parent.id, again.id]) == []


def test_threads_confirmed_before_the_upgrade_stay_confirmed(tmp_path):
    """A database from before threads were confirmed one by one: what its readers had
    confirmed keeps working after the upgrade, and what they had not stays pending."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for script in MIGRATIONS[:5]:
        for statement in split_sql(script):
            old.execute(statement)
    now = "2026-11-01T10:00:00.000000+00:00"
    for number, (email, confirmed) in enumerate((("a@example.org", now), ("b@example.org", None))):
        comment = f"c-2026-11-01-00000{number}"
        old.execute(
            """INSERT INTO comments (id, article, author, email, body, status, origin,
                   received_at, intake_flags, content_hash, updated_at)
               VALUES (?, 'first-steps', 'A', ?, 'Hello', 'approved', 'form', ?, '[]', ?, ?)""",
            (comment, email, now, comment, now),
        )
        old.execute(
            """INSERT INTO subscribers (id, email, token, created_at, confirmed_at)
               VALUES (?, ?, ?, ?, ?)""",
            (number + 1, email, f"token-{number}", now, confirmed),
        )
        old.execute(
            """INSERT INTO subscribed_threads (subscriber_id, article, token, created_at)
               VALUES (?, 'first-steps', ?, ?)""",
            (number + 1, f"thread-{number}", now),
        )
        old.execute(
            "INSERT INTO subscriptions (comment_id, subscriber_id, created_at) VALUES (?, ?, ?)",
            (comment, number + 1, now),
        )
    old.execute("PRAGMA user_version = 5")
    old.commit()
    old.close()
    with Store(path) as upgraded:
        ids = ["c-2026-11-01-000000", "c-2026-11-01-000001"]
        assert [r.subscriber.email for r in upgraded.subscriptions.recipients(ids)] == [
            "a@example.org"
        ]
        assert upgraded.subscriptions.awaiting_confirmation() == {ids[1]}


def test_a_confirmation_link_sent_before_the_upgrade_confirms_what_it_was_sent_for(
    site, store, mail, intake
):
    """Links mailed before threads were confirmed one by one carry the address's token:
    they confirm the threads the address followed when the link was made, no later one."""
    settings = notify_settings(site, mail, moderators=[])
    parent = post(intake, notify_replies="1")
    approve_and_publish(store, settings, parent.id)
    subscriber = store.subscriptions.of_comment(parent.id)
    made = time.time()
    old_link = "/comments/confirm/" + LinkSigner(
        store.keys.secret, clock=lambda: made
    ).confirm_token(subscriber.token)
    later = post(intake, article="second-thoughts", notify_replies="1", body="Another one.")
    store.conn.execute(  # followed a minute after the link was made
        "UPDATE subscribed_threads SET created_at = ? WHERE article = 'second-thoughts'",
        ((utcnow() + timedelta(minutes=1)).isoformat(timespec="microseconds"),),
    )
    assert intake.post(old_link).status_code == 200
    assert store.subscriptions.thread(subscriber.id, "first-steps").active
    assert not store.subscriptions.thread(subscriber.id, "second-thoughts").active
    assert store.subscriptions.awaiting_confirmation() == {later.id}


def test_two_publishes_at_once_mail_a_reply_once(site, store, mail, intake):
    """Two publishes (the CLI's and the review server's, say) reach the same new reply
    together; the first queues its email and the sender sends it before the second
    goes on. The second must not queue it again: it decides in its own transaction."""
    settings, parent = subscribed_reader(site, store, mail, intake)
    reply = answer(intake, parent, "One answer.")
    store.decisions.moderate(reply.id, "approve")
    reply = store.comments.get(reply.id)
    second_has_read, first_is_done = threading.Event(), threading.Event()
    queued: dict[str, int] = {}

    def second_publish() -> None:
        with Store(site.db) as own:
            read = own.subscriptions.notified_ids

            def read_then_wait() -> set[str]:
                seen = read()
                second_has_read.set()
                assert first_is_done.wait(30)
                return seen

            own.subscriptions.notified_ids = read_then_wait  # type: ignore[method-assign]
            queued["second"] = on_published(own, settings, [reply])

    thread = threading.Thread(target=second_publish)
    thread.start()
    assert second_has_read.wait(30)
    with Store(site.db) as own:
        queued["first"] = on_published(own, settings, [reply])
        assert len(send_due(own, settings).sent) == 1
    first_is_done.set()
    thread.join(30)
    send_due(store, settings)
    assert queued == {"first": 1, "second": 0}
    assert [m.text.count("One answer.") for m in mail.to(READER)[1:]] == [1]
