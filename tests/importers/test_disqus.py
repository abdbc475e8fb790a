"""`moderation import-disqus`: the comments of a Disqus export, matched to our articles."""

from __future__ import annotations

import pytest

from comment_format.files import parse_comment_file
from moderation import cli
from moderation.importers import XmlError, import_disqus
from moderation.importers.disqus import read_disqus
from moderation.importers.plan import imported_id
from moderation.models import Label, State
from moderation.settings import load_settings
from moderation.store import Store

from .conftest import (
    DISQUS,
    DISQUS_DELETED_PARENTS,
    DISQUS_SAME_WORDS,
    built_page,
    shown_comments,
    snapshot,
)


def dq_ids(settings, export=DISQUS) -> dict[int, str]:
    """Disqus post number → the id it is stored under."""
    plan = read_disqus(export, settings)
    return {int(c.key.rpartition(":")[2]): imported_id(c.key, c.received_at) for c in plan.comments}


@pytest.fixture(scope="module")
def imported(shared_project):
    """One import, for the tests that only read what it did."""
    settings = load_settings(shared_project / "pelicanconf.py", environ={})
    with Store(shared_project / "var" / "moderation.db") as store:
        report = import_disqus(store, settings, DISQUS)
    return shared_project, settings, report


@pytest.fixture
def imported_store(imported):
    with Store(imported[0] / "var" / "moderation.db") as store:
        yield store


def test_threads_are_matched_by_url_or_identifier_and_the_rest_listed(imported, imported_store):
    _, _, report = imported
    store = imported_store
    assert report.errors == []
    by_article = {}
    for comment in report.imported:
        by_article.setdefault(comment.article, 0)
        by_article[comment.article] += 1
    # lurking-is-learning by its URL, trust-and-reputation by its identifier (?p=42 link).
    assert by_article == {"lurking-is-learning": 7, "trust-and-reputation": 2}
    assert len(report.skipped) == 1
    unmatched = report.skipped[0]
    assert unmatched.startswith("unmatched thread 'Guestbook' (https://field-notes.test/guestbook/")
    assert "no article has the slug 'guestbook'; its 1 post was not imported" in unmatched
    assert not any("guestbook" in c.body.lower() for c in store.comments.list())


def test_states_threads_and_decisions(imported, imported_store):
    project, settings, _ = imported
    store = imported_store
    ids = dq_ids(settings)
    states = {number: store.comments.get(ids[number]).status for number in ids}
    assert states == {
        8001: State.APPROVED,
        8002: State.APPROVED,  # listed before its parent in the file
        8003: State.APPROVED,
        8004: State.SPAM,
        8005: State.REJECTED,  # deleted
        8006: State.HELD,  # isApproved false
        8007: State.APPROVED,
        8101: State.APPROVED,
        8102: State.APPROVED,
    }
    assert store.comments.get(ids[8002]).reply_to == ids[8001]
    assert store.comments.get(ids[8005]).reply_to == ids[8003]
    assert store.comments.get(ids[8007]).reply_to == ids[8006]
    jonas = store.comments.get(ids[8001])
    assert jonas.author == "Jonas Weiß" and jonas.email == "jonas@mail.test"
    assert "**questions**" in jonas.body and "ein Gruß aus Köln" in jonas.body
    assert jonas.received_at.isoformat() == "2026-02-02T19:45:00+00:00"
    assert store.comments.get(ids[8101]).ip == "2001:db8::42"
    assert "> Trust arrives on foot" in store.comments.get(ids[8101]).body
    assert store.comments.get(ids[8102]).author == "Anonymous"
    deleted = store.comments.get(ids[8005])
    assert deleted.body == "(Deleted on Disqus; the export kept no text.)"
    spam_log = store.decisions.of(ids[8004])
    assert [(e.actor, e.label) for e in spam_log] == [("import-disqus", Label.SPAM)]
    assert store.decisions.of(ids[8005])[0].label is None
    for path in (project / "content" / "comments").rglob("*.md"):
        assert "@mail.test" not in path.read_text(encoding="utf-8")


def test_running_it_again_changes_nothing(project, store, settings):
    import_disqus(store, settings, DISQUS)
    files = snapshot(project / "content")
    counts = store.comments.counts()
    again = import_disqus(store, settings, DISQUS)
    assert again.imported == [] and again.already == 9 and again.retrained is None
    assert snapshot(project / "content") == files and store.comments.counts() == counts


def test_malformed_export_names_line_and_column(project, store, settings, tmp_path):
    broken = tmp_path / "disqus.xml"
    broken.write_text(DISQUS.read_text(encoding="utf-8").replace("<isSpam>true", "<isSpam true"))
    with pytest.raises(XmlError, match=r"disqus\.xml:line \d+, column \d+: not well-formed"):
        import_disqus(store, settings, broken)
    assert sum(store.comments.counts().values()) == 0
    assert not (project / "content" / "comments").exists()


@pytest.mark.slow
def test_a_site_build_shows_exactly_the_approved_threads(imported, tmp_path):
    project, settings, _ = imported
    ids = dq_ids(settings)
    page = built_page(project, tmp_path, "lurking-is-learning.html")
    # Not the spam (8004), the deleted (8005), the held (8006) or the reply waiting for it.
    assert shown_comments(page) == {ids[8001], ids[8002], ids[8003]}
    first = page.select_one(f"#comment-{ids[8001]}")
    assert first.select_one(f"#comment-{ids[8002]}").select_one(f"#comment-{ids[8003]}")
    trust = built_page(project, tmp_path / "again", "trust-and-reputation.html")
    assert shown_comments(trust) == {ids[8101], ids[8102]}


def test_cli_import_disqus(project, tmp_path, capsys):
    code = cli.main(
        [
            "--db",
            str(tmp_path / "d.db"),
            "--settings",
            str(project / "pelicanconf.py"),
            "import-disqus",
            str(DISQUS),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "skipped unmatched thread 'Guestbook'" in out
    assert "9 comments stored (6 approved, 1 held, 1 spam, 1 rejected)" in out


def test_the_same_words_by_the_same_person_are_two_comments_each_in_its_place(
    project, store, settings
):
    """Only the Disqus id says whether a post was imported: the owner's two "Thanks!"
    are two comments, and the reply to the second stays below the second."""
    report = import_disqus(store, settings, DISQUS_SAME_WORDS)
    assert report.errors == [] and report.warnings == []
    ids = dq_ids(settings, DISQUS_SAME_WORDS)
    assert len(report.imported) == 5
    first, second = store.comments.get(ids[9003]), store.comments.get(ids[9004])
    assert first.body == second.body == "Thanks!"
    assert (first.reply_to, second.reply_to) == (ids[9001], ids[9002])
    assert store.comments.get(ids[9005]).reply_to == ids[9004]
    folder = project / "content" / "comments" / "lurking-is-learning"
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(ids.values())
    assert f"reply_to: {ids[9004]}\n" in (folder / f"{ids[9005]}.md").read_text(encoding="utf-8")

    files = snapshot(project / "content")
    again = import_disqus(store, settings, DISQUS_SAME_WORDS)
    assert again.imported == [] and again.already == 5 and again.warnings == []
    assert snapshot(project / "content") == files


@pytest.mark.slow
def test_a_deleted_post_with_live_replies_stays_a_tombstone_and_they_keep_their_place(
    project, store, settings, tmp_path
):
    report = import_disqus(store, settings, DISQUS_DELETED_PARENTS)
    assert report.errors == []
    ids = dq_ids(settings, DISQUS_DELETED_PARENTS)
    deleted = (9101, 9201, 9202, 9301)
    assert {n: store.comments.get(ids[n]).status for n in deleted} == dict.fromkeys(
        deleted, State.REJECTED
    )
    folder = project / "content" / "comments" / "lurking-is-learning"
    files = {
        path.stem: parse_comment_file(path.read_bytes(), path.name) for path in folder.glob("*.md")
    }
    # Carol's and Fay's live replies are published below their places; Gil's deleted
    # post, which nobody answered, is not there at all.
    assert set(files) == {ids[n] for n in (9101, 9102, 9201, 9202, 9203)}
    assert files[ids[9102]].reply_to == ids[9101] and not files[ids[9102]].removed
    assert files[ids[9203]].reply_to == ids[9202] and files[ids[9202]].reply_to == ids[9201]
    for number in (9101, 9201, 9202):
        tombstone = files[ids[number]]
        assert tombstone.removed and tombstone.author == "[removed]"
        # Deleted on Disqus by its moderators (or Disqus): nobody says its author asked.
        assert tombstone.removed_by == "moderator"
        assert tombstone.body == "This comment was removed."
    assert "Bob" not in (folder / f"{ids[9101]}.md").read_text(encoding="utf-8")
    assert report.publish is not None and report.publish.skipped == []
    # A moderator's rejection, logged as the import's: not withdrawn by its author.
    for number in deleted:
        comment = store.comments.get(ids[number])
        assert comment.withdrawn_at is None
        assert [(d.actor, d.to_state) for d in store.decisions.of(ids[number])] == [
            ("import-disqus", State.REJECTED)
        ]

    files_before = snapshot(project / "content")
    again = import_disqus(store, settings, DISQUS_DELETED_PARENTS)
    assert again.imported == [] and again.already == 6
    assert snapshot(project / "content") == files_before

    page = built_page(project, tmp_path, "lurking-is-learning.html")
    assert {ids[9102], ids[9203]} <= shown_comments(page)
    assert page.select_one(f"#comment-{ids[9101]}").select_one(f"#comment-{ids[9102]}")
    removed = page.select_one(f"#comment-{ids[9101]} .comment__content").get_text()
    assert "This comment was removed." in removed and "request" not in removed
