"""The private link (issue 13): shown after posting, signed, allowed while held or within
COMMENTS_EDIT_MINUTES; an edit is screened again and published with "edited"; a
withdrawal removes the file at the next publish, or leaves a tombstone for replies."""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest

from moderation.editing import EditLinks, LinkExpired, changeable, edit_comment, link_for
from moderation.errors import InvalidTransition, ValidationError
from moderation.models import Comment, Decision, State, utcnow
from moderation.store import Store
from moderation.store.screenings import STALE_NOTE
from tests.fakes.akismet import FakeAkismet

from .conftest import ARTICLE, ORIGIN, SITE, parse

PARENT = "c-2026-07-14-aa01"  # published in the fixture content


def form(**changes: str) -> dict[str, str]:
    base = {
        "article": ARTICLE,
        "reply_to": "",
        "token": "",
        "name": "Eda Editor",
        "email": "eda@example.org",
        "url": "",
        "body": "A first version with a tpyo in it.",
        "website": "",
    }
    base.update(changes)
    return base


def post_and_follow(client) -> tuple[str, str]:
    """Post the form like a browser without JavaScript; returns (comment id, edit path)."""
    answer = client.post("/comments", data=form(), headers=ORIGIN)
    assert answer.status_code == 303
    thanks = client.get(answer.headers["location"])
    assert thanks.status_code == 200
    assert thanks.headers["cache-control"] == "no-store"
    assert thanks.headers["referrer-policy"] == "strict-origin"
    link = re.search(r'id="edit-link" href="([^"]+)"', thanks.text).group(1)
    assert link.startswith("http://127.0.0.1:8080/comments/edit/"), link
    path = link.removeprefix("http://127.0.0.1:8080")
    with Store(client.service.db_path) as store:
        [comment] = store.comments.list()
    return comment.id, path


def test_the_answer_page_gives_the_link_and_it_opens_the_comment(reader_site):
    client = reader_site.client()
    comment_id, path = post_and_follow(client)
    page = client.get(path)
    assert page.status_code == 200
    assert "A first version with a tpyo in it." in page.text
    assert 'name="action" value="save"' in page.text and 'value="withdraw"' in page.text
    with Store(reader_site.db) as store:
        assert EditLinks(store.keys.secret).comment_id(path.rsplit("/", 1)[1]) == comment_id


def test_a_changed_link_is_refused_with_403(reader_site):
    client = reader_site.client()
    _, path = post_and_follow(client)
    token = path.rsplit("/", 1)[1]
    # Change the signature's first character: its last one carries padding bits, and
    # base64 decodes some changes there to the very same bytes.
    payload, _, signature = token.rpartition(".")
    changed = f"{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"
    for forged in (changed, "nonsense", "a.b"):
        assert client.get(f"/comments/edit/{forged}").status_code == 403
        answer = client.post(f"/comments/edit/{forged}", data={"action": "save"}, headers=ORIGIN)
        assert answer.status_code == 403
    # Signed with another site's key: as good as forged.
    other = EditLinks(b"another site").mint("c-2026-07-14-aa01")
    assert client.get(f"/comments/edit/{other}").status_code == 403


def test_an_edit_keeps_the_old_text_and_is_screened_again(reader_site, approve):
    client = reader_site.client()
    comment_id, path = post_and_follow(client)
    with Store(reader_site.db) as store:
        approve(store, comment_id)
    saved = client.post(
        path,
        data={
            "name": "Eda Editor",
            "url": "",
            "body": "The second, fixed version.",
            "action": "save",
        },
        headers=ORIGIN,
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    assert "Your changes are saved" in client.get(saved.headers["location"]).text
    with Store(reader_site.db) as store:
        comment = store.comments.get(comment_id)
        assert comment.body == "The second, fixed version."
        assert comment.status is State.RECEIVED, "an edit is screened again"
        assert comment.edited_at is not None
        [old] = store.revisions.of(comment_id)
        assert (old.body, old.status, old.kind) == (
            "A first version with a tpyo in it.",
            State.APPROVED,
            "edit",
        )
        log = [(d.actor, d.from_state, d.to_state, d.note) for d in store.decisions.of(comment_id)]
        assert log[-1] == ("author", State.APPROVED, State.RECEIVED, "edited by its author")


def test_an_edit_is_checked_like_a_new_comment(reader_site):
    client = reader_site.client()
    comment_id, path = post_and_follow(client)
    refused = client.post(
        path,
        data={"name": "Eda Editor", "url": "ftp://x", "body": "Kept", "action": "save"},
        headers=ORIGIN,
    )
    assert refused.status_code == 400
    assert "url must be an http:// or https:// address" in refused.text
    assert ">Kept</textarea>" in refused.text
    preview = client.post(
        path,
        data={"name": "Eda", "url": "", "body": "Now *better*", "preview": "1"},
        headers=ORIGIN,
    )
    assert preview.status_code == 200 and "<em>better</em>" in preview.text
    with Store(reader_site.db) as store:
        assert store.comments.get(comment_id).body == "A first version with a tpyo in it."


def test_the_window_held_comments_and_expiry(reader_site, approve):
    now = utcnow()
    with Store(reader_site.db) as store:
        old = store.comments.add(
            Comment(ARTICLE, "Old", "Written an hour ago.", received_at=now - timedelta(hours=1))
        )
        fresh = store.comments.add(Comment(ARTICLE, "New", "Written just now.", received_at=now))
        settings = reader_site.settings()
        # Received or held: changeable however old; approved: only within the minutes.
        assert changeable(store.comments.get(old.id), 15, now).allowed
        approve(store, old.id)
        approve(store, fresh.id)
        assert not changeable(store.comments.get(old.id), 15, now).allowed
        window = changeable(store.comments.get(fresh.id), 15, now)
        assert window.allowed and window.until == fresh.received_at + timedelta(minutes=15)
        with pytest.raises(LinkExpired):
            edit_comment(store, settings, old.id, {"name": "Old", "body": "Too late"})
        old_link = link_for(store, settings, old.id)
    client = reader_site.client()
    expired = client.get(old_link.removeprefix("http://127.0.0.1:8080"))
    assert expired.status_code == 410
    assert "This link has expired" in expired.text and "15 minutes" in expired.text


def test_an_erased_comment_has_nothing_left_to_change(reader_site):
    client = reader_site.client()
    _, path = post_and_follow(client)
    from moderation.privacy import erase_commenter

    with Store(reader_site.db) as store:
        erase_commenter(store, reader_site.settings(), "eda@example.org")
    assert client.get(path).status_code == 404


def test_edited_comment_is_published_with_edited_and_shown_so(reader_site, approve):
    client = reader_site.client()
    comment_id, path = post_and_follow(client)
    with Store(reader_site.db) as store:
        approve(store, comment_id)
    reader_site.publish()
    client.post(
        path,
        data={"name": "Eda Editor", "url": "", "body": "Fixed: a typo, no more.", "action": "save"},
        headers=ORIGIN,
    )
    with Store(reader_site.db) as store:
        approve(store, comment_id)  # what screening or a moderator would do
    reader_site.publish()
    text = (reader_site.content / "comments" / ARTICLE / f"{comment_id}.md").read_text()
    assert re.search(r"^edited: \d{4}-\d\d-\d\dT", text, re.M), text
    assert text.rstrip().endswith("Fixed: a typo, no more.")
    reader_site.build()
    article = parse(reader_site.output / "2026/open-thread.html").find(
        "article", id=f"comment-{comment_id}"
    )
    assert article.select_one(".comment__edited").get_text() == "edited"
    assert "Fixed: a typo, no more." in article.select_one(".comment__content").get_text()


def test_withdrawing_removes_the_file_at_the_next_publish(reader_site, approve):
    client = reader_site.client()
    comment_id, path = post_and_follow(client)
    with Store(reader_site.db) as store:
        approve(store, comment_id)
    reader_site.publish()
    file = reader_site.content / "comments" / ARTICLE / f"{comment_id}.md"
    assert file.exists()
    ask = client.post(path, data={"action": "withdraw"}, headers=ORIGIN)
    assert ask.status_code == 200 and 'value="confirm-withdraw"' in ask.text
    assert file.exists(), "asking is not withdrawing"
    done = client.post(path, data={"action": "confirm-withdraw"}, headers=ORIGIN)
    assert done.status_code == 200 and "Your comment is withdrawn" in done.text
    report = reader_site.publish()
    assert file in report.removed and not file.exists()
    assert client.get(path).status_code == 410
    with Store(reader_site.db) as store:
        comment = store.comments.get(comment_id)
        assert comment.status is State.REJECTED and comment.withdrawn_at is not None
        assert store.revisions.of(comment_id)[-1].body == "A first version with a tpyo in it."
        # Nobody brings it back against its author's wish.
        for action in ("restore", "approve"):
            with pytest.raises(InvalidTransition, match="its author withdrew it"):
                store.decisions.moderate(comment_id, action)
        store.decisions.moderate(comment_id, "spam")  # labelling it stays possible
    reader_site.publish()
    assert not file.exists()


def test_a_withdrawn_comment_with_replies_leaves_a_tombstone(reader_site, approve):
    client = reader_site.client()
    comment_id, path = post_and_follow(client)
    with Store(reader_site.db) as store:
        approve(store, comment_id)
        reply = store.comments.add(
            Comment(ARTICLE, "Rae Replier", "I disagree, kindly.", reply_to=comment_id)
        )
        approve(store, reply.id)
    reader_site.publish()
    client.post(path, data={"action": "confirm-withdraw"}, headers=ORIGIN)
    reader_site.publish()
    folder = reader_site.content / "comments" / ARTICLE
    tombstone = (folder / f"{comment_id}.md").read_text()
    assert "removed: true" in tombstone and "tpyo" not in tombstone
    assert (folder / f"{reply.id}.md").exists()
    reader_site.build()
    page = parse(reader_site.output / "2026/open-thread.html")
    gone = page.find("article", id=f"comment-{comment_id}")
    assert "comment--removed" in gone["class"]
    assert "removed at its author's request" in gone.select_one(".comment__content").get_text()
    assert gone.select_one(f"article#comment-{reply.id}") is not None, "the reply still hangs there"
    # A tombstone is no news: not in the feeds, not among the recent comments.
    feed = (reader_site.output / "feeds/comments/open-thread.atom.xml").read_text()
    assert "[removed]" not in feed and "removed at its author" not in feed
    assert "I disagree, kindly." in feed
    recent = parse(reader_site.output / "index.html").select_one(".recent-comments").get_text(" ")
    assert "[removed]" not in recent and "Rae Replier" in recent


def test_a_validation_error_names_the_field(reader_site):
    with Store(reader_site.db) as store:
        comment = store.comments.add(Comment(ARTICLE, "Val", "Some text."))
        with pytest.raises(ValidationError) as caught:
            edit_comment(store, reader_site.settings(), comment.id, {"name": "", "body": "x"})
    assert caught.value.field == "name"


def test_moderators_still_cannot_make_impossible_moves(reader_site):
    with Store(reader_site.db) as store:
        comment = store.comments.add(Comment(ARTICLE, "Mo", "Text."))
        with pytest.raises(InvalidTransition):
            store.decisions.moderate(comment.id, "restore")


def test_an_edit_saved_while_the_worker_screens_the_old_text_is_screened_too(
    reader_site, monkeypatch
):
    """The real worker thread asks Akismet about the first text; the author saves a scam
    meanwhile. The first verdict must not decide the new text: that is screened too."""
    asked, saved = threading.Event(), threading.Event()

    def decide(sent: dict[str, str]) -> str:
        if "tpyo" in sent["comment_content"]:
            asked.set()
            assert saved.wait(30), "the author's edit did not arrive"
            return "ham"
        return "spam"

    akismet = FakeAkismet(decide=decide)
    monkeypatch.setenv("PYTHON_AKISMET_API_KEY", akismet.key)
    monkeypatch.setenv("PYTHON_AKISMET_BLOG_URL", SITE)
    client = reader_site.client(screen=True, http_client=akismet.http_client())
    comment_id, path = post_and_follow(client)
    assert asked.wait(30), "the worker did not screen the comment"
    scam = "Printer support: call toll free +1 888 555 0147, 24/7 customer service"
    fields = {"name": "Eda Editor", "url": "", "body": scam, "action": "save"}
    assert client.post(path, data=fields, headers=ORIGIN).status_code == 303
    saved.set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with Store(reader_site.db) as store:
            if len(store.screenings.of(comment_id)) == 2:
                break
        time.sleep(0.05)
    with Store(reader_site.db) as store:
        comment = store.comments.get(comment_id)
        log = [(d.actor, d.to_state) for d in store.decisions.of(comment_id)]
        first, second = store.screenings.of(comment_id)
    assert [s["comment_content"] for s in akismet.sent("comment-check")][1:] == [scam]
    assert first.reasons[-1] == STALE_NOTE and second.decision is Decision.SPAM
    assert (comment.body, comment.status) == (scam, State.SPAM)
    assert log == [
        ("intake", State.RECEIVED),
        ("author", State.RECEIVED),
        ("screening", State.SPAM),
    ]
