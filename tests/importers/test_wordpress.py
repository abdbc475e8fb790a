"""`moderation import-wordpress`: a WordPress export (WXR) moved in, end to end."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from moderation import cli
from moderation.importers import XmlError, import_wordpress
from moderation.importers.plan import imported_id
from moderation.importers.wordpress import read_wordpress
from moderation.models import Label, State
from moderation.settings import load_settings
from moderation.store import Store

from .conftest import (
    SITE,
    WXR,
    WXR_SLUG_CLASH,
    WXR_TRASHED_PARENT,
    built_page,
    emptied,
    shown_comments,
    snapshot,
)

ARTICLES = "content/articles"


def wp_id(store: Store, number: int, export=WXR) -> str:
    """The stored id of WordPress comment ``number`` (derived from the export's id)."""
    plan = read_wordpress(export, _settings_of(store))
    planned = next(c for c in plan.comments if c.key == f"wordpress:{SITE}:{number}")
    return imported_id(planned.key, planned.received_at)


def _settings_of(store: Store):
    return load_settings(store.path.parent.parent / "pelicanconf.py", environ={})


@pytest.fixture(scope="module")
def imported(shared_project):
    """One import into a blog with no articles yet, for the tests that only read."""
    project = emptied(shared_project)
    settings = load_settings(project / "pelicanconf.py", environ={})
    with Store(project / "var" / "moderation.db") as store:
        report = import_wordpress(store, settings, WXR)
    return project, report


@pytest.fixture
def imported_store(imported):
    with Store(imported[0] / "var" / "moderation.db") as store:
        yield store


def metadata(path) -> dict[str, str]:
    head = path.read_text(encoding="utf-8").split("\n\n", 1)[0]
    return dict(line.split(": ", 1) for line in head.splitlines())


def test_posts_and_pages_become_markdown_files_with_their_metadata(imported):
    empty_project, report = imported
    articles = empty_project / ARTICLES
    assert sorted(p.name for p in articles.glob("*.md")) == [
        "half-finished-thoughts-on-mentoring.md",
        "notes-from-a-reading-circle.md",
        "tables-pictures-furniture.md",
    ]
    circle = metadata(articles / "notes-from-a-reading-circle.md")
    assert circle == {
        "Title": "Notes from a reading circle",
        "Date": "2019-03-04 10:15+01:00",
        "Author": "Inès Vartanian",
        "Category": "Reading circles",
        "Tags": "Practice, questions, shared notes",
        "Slug": "notes-from-a-reading-circle",
        "Summary": "What fourteen months of a reading circle taught six colleagues.",
    }
    tables = metadata(articles / "tables-pictures-furniture.md")
    assert tables["Title"] == "Tables, pictures & other furniture"
    assert tables["Date"] == "2019-07-13 09:00+02:00", "summer time keeps its own offset"
    assert tables["Comments"] == "closed"
    draft = metadata(articles / "half-finished-thoughts-on-mentoring.md")
    assert draft["Status"] == "draft"
    # A draft has no GMT date yet: its local date is read in the site's time zone.
    assert draft["Date"] == "2020-01-20 16:45+01:00"
    assert draft["Slug"] == "half-finished-thoughts-on-mentoring"
    # The blog already has an about page: it is kept, not overwritten.
    about = empty_project / "content" / "pages" / "about.md"
    assert about in report.kept and metadata(about)["Title"] == "About"
    skipped = "\n".join(report.skipped)
    assert "1 attachment item" in skipped and "1 nav_menu_item item" in skipped
    assert "'An old announcement'" in skipped and "'trash'" in skipped
    assert not (articles / "old-announcement.md").exists()


def test_an_html_heavy_post_becomes_markdown(imported):
    empty_project, _ = imported
    text = (empty_project / ARTICLES / "tables-pictures-furniture.md").read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1]
    assert "wp:" not in body and "<!--" not in body
    assert "Our learning room was rearranged **four times** in one summer." in body
    assert "[reading circle](https://field-notes.test/2019/03/notes-from-a-reading-circle/)" in body
    assert "## What we measured" in body
    assert "| Layout | Questions asked | Notes |" in body
    assert "| Horseshoe | 11 | cross-talk \\| side remarks |" in body
    assert "| Café tables | 17 | noisy, but *everyone* spoke |" in body
    # Captioned images (a shortcode and a block) are images whose title is the caption.
    assert (
        "![Chairs in a horseshoe around a whiteboard]"
        "(https://field-notes.test/wp-content/uploads/2019/07/horseshoe.jpg "
        '"The horseshoe, week three")'
    ) in body
    assert '"Café tables: louder, and better")' in body
    assert "- Move the tables *before* people arrive." in body
    assert "> The furniture is the first thing a group reads." in body
    assert '```\nlayout = choose(["rows", "horseshoe", "café"])\n\nprint(' in body


def test_comments_keep_states_threads_dates_and_history(imported, imported_store):
    empty_project, report = imported
    store = imported_store
    assert report.errors == []
    assert report.counts() == {"approved": 5, "held": 4, "spam": 2, "rejected": 2}
    expected = {
        101: State.APPROVED,
        102: State.APPROVED,
        103: State.APPROVED,
        104: State.HELD,
        105: State.APPROVED,
        106: State.SPAM,
        107: State.REJECTED,
        108: State.HELD,  # a pingback, approved in WordPress
        109: State.HELD,  # a trackback
        110: State.HELD,
        111: State.SPAM,
        112: State.REJECTED,
        201: State.APPROVED,
    }
    ids = {number: wp_id(store, number) for number in expected}
    for number, state in expected.items():
        assert store.comments.get(ids[number]).status is state, number
    assert store.comments.get(ids[103]).reply_to == ids[102]
    assert store.comments.get(ids[102]).reply_to == ids[101]
    assert store.comments.get(ids[111]).reply_to == ids[103]
    assert store.comments.get(ids[112]).reply_to == ids[104]

    zoe = store.comments.get(ids[101])
    assert zoe.author == "Zoë Łukasiewicz"
    assert zoe.email == "zoe@mail.test" and zoe.author_url == "https://zoe.test/"
    assert zoe.ip == "192.0.2.10"
    assert zoe.received_at.isoformat() == "2019-03-04T18:02:00+00:00"
    assert "読書会" in zoe.body and "*they*" in zoe.body
    assert store.comments.get(ids[201]).ip == "2001:db8::17"

    # Each comment's old decision is in the log, as the import's, with what it teaches.
    log = store.decisions.of(ids[106])
    assert [(e.actor, e.to_state, e.label) for e in log] == [
        ("import-wordpress", State.SPAM, Label.SPAM)
    ]
    assert log[0].note == "imported from WordPress: WordPress comment 106"
    assert store.decisions.of(ids[101])[0].label is Label.HAM
    assert store.decisions.of(ids[104])[0].label is None
    assert store.decisions.count_labelled() == 7
    assert report.retrained and "trained on" in report.retrained

    pingback = store.comments.get(ids[108])
    assert pingback.intake_flags == ("pingback: imported from WordPress, where it was approved",)
    assert "a pingback, held for review" in store.decisions.of(ids[108])[0].note
    trackback = store.comments.get(ids[109])
    assert trackback.intake_flags[0].startswith("trackback:")

    # Emails stay in the database: no published file holds one.
    for path in (empty_project / "content").rglob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "@mail.test" not in text and "@field-notes.test" not in text, path


def test_the_model_is_trained_on_the_imported_history(imported, imported_store):
    from moderation.screening.learned import MODEL_NAME, LearnedModel

    assert imported[1].retrained and "trained on" in imported[1].retrained
    assert imported_store.trained.load(MODEL_NAME) is not None
    model = LearnedModel.load(imported_store)
    # The seed corpus plus the blog's own 2 spam and 5 ham decisions.
    assert model.positives >= 2 and model.negatives >= 5
    decided = {(c.author, label) for c, label in imported_store.comments.labelled()}
    assert ("Best Essay Writers", Label.SPAM) in decided
    assert ("Björn Åkesson", Label.HAM) in decided


def test_running_the_import_again_changes_no_file_and_adds_nothing(empty_project, store, settings):
    import_wordpress(store, settings, WXR)
    files = snapshot(empty_project / "content")
    counts = store.comments.counts()
    log = len(store.decisions.of())
    again = import_wordpress(store, settings, WXR)
    assert again.imported == [] and again.already == 13
    assert again.written == [] and again.retrained is None
    assert again.publish is not None and not again.publish.changed
    assert snapshot(empty_project / "content") == files
    assert store.comments.counts() == counts and len(store.decisions.of()) == log

    # An article edited since is not overwritten by a later run.
    article = empty_project / ARTICLES / "notes-from-a-reading-circle.md"
    article.write_text(article.read_text(encoding="utf-8") + "\nAn update.\n", encoding="utf-8")
    edited = article.read_bytes()
    third = import_wordpress(store, settings, WXR)
    assert article.read_bytes() == edited
    assert article in third.kept


def test_malformed_xml_is_reported_with_line_and_column_and_nothing_is_written(
    empty_project, store, settings, tmp_path
):
    broken = tmp_path / "broken.xml"
    text = WXR.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines) if "<wp:comment_id>106<" in line)
    lines[number] = lines[number].replace("</wp:comment_id>", "</wp:comment_idd>")
    broken.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(XmlError) as failed:
        import_wordpress(store, settings, broken)
    message = str(failed.value)
    assert message.startswith(f"{broken}:line {number + 1}, column ")
    assert "mismatched tag" in message
    assert list((empty_project / "content" / "articles").iterdir()) == []
    assert not (empty_project / "content" / "comments").exists()
    assert sum(store.comments.counts().values()) == 0


def test_entity_declarations_are_refused(empty_project, store, settings, tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<rss><channel>&b;</channel></rss>\n',
        encoding="utf-8",
    )
    with pytest.raises(XmlError, match=r"bomb\.xml:line 2, column \d+: refused"):
        import_wordpress(store, settings, bomb)


def test_a_file_that_is_not_a_wordpress_export_is_refused(store, settings, tmp_path):
    other = tmp_path / "feed.xml"
    other.write_text("<rss><channel><title>A feed</title></channel></rss>", encoding="utf-8")
    with pytest.raises(XmlError, match="not a WordPress export"):
        import_wordpress(store, settings, other)


def test_a_failed_transaction_writes_no_file(empty_project, store, settings, monkeypatch):
    def broken_add(*args, **kwargs):
        raise OSError("disk I/O error")

    monkeypatch.setattr(store.comments, "add", broken_add)
    with pytest.raises(OSError):
        import_wordpress(store, settings, WXR)
    assert list((empty_project / ARTICLES).iterdir()) == [], "no article and no temporary file"
    assert sum(store.comments.counts().values()) == 0


@pytest.mark.slow
def test_a_site_build_after_the_import_shows_exactly_the_approved_threads(
    imported, imported_store, tmp_path
):
    empty_project = imported[0]
    store = imported_store
    ids = {number: wp_id(store, number) for number in (101, 102, 103, 104, 105, 108, 201)}
    page = built_page(empty_project, tmp_path, "notes-from-a-reading-circle.html")
    # 105 is approved, but it answers 104, which is held: it waits for its parent.
    assert shown_comments(page) == {ids[101], ids[102], ids[103]}
    outer = page.select_one(f"#comment-{ids[101]}")
    assert outer.select_one(f"#comment-{ids[102]}").select_one(f"#comment-{ids[103]}")
    assert "読書会" in outer.get_text()
    tables = built_page(empty_project, tmp_path / "again", "tables-pictures-furniture.html")
    assert shown_comments(tables) == {ids[201]}
    figure = tables.select_one("figure figcaption")
    assert figure is not None and "The horseshoe, week three" in figure.get_text()
    assert tables.select("table td")


def test_cli_import_wordpress_into_another_content_folder(project, tmp_path, capsys):
    content = tmp_path / "other-content"
    shutil.copytree(project / "content" / "pages", content / "pages")
    (content / "articles").mkdir()
    db = tmp_path / "moved.db"
    settings_file = str(project / "pelicanconf.py")
    code = cli.main(
        [
            "--db",
            str(db),
            "--settings",
            settings_file,
            "import-wordpress",
            str(WXR),
            "--content",
            str(content),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert (content / "articles" / "notes-from-a-reading-circle.md").is_file()
    assert (content / "comments" / "notes-from-a-reading-circle").is_dir()
    assert not (project / "content" / "comments").exists()
    assert "13 comments stored (5 approved, 4 held, 2 spam, 2 rejected)" in out
    with Store(db) as store:
        pingback = next(c for c in store.comments.list() if "Slow Reading" in c.author)
    assert cli.main(["--db", str(db), "show", pingback.id]) == 0
    shown = capsys.readouterr().out
    assert "pingback: imported from WordPress" in shown
    assert "a pingback, held for review" in shown


def test_cli_reports_malformed_xml_as_one_error_line(project, tmp_path, capsys):
    broken = tmp_path / "broken.xml"
    broken.write_text("<rss>\n<channel>\n</rss>\n", encoding="utf-8")
    code = cli.main(
        [
            "--db",
            str(tmp_path / "x.db"),
            "--settings",
            str(project / "pelicanconf.py"),
            "import-wordpress",
            str(broken),
        ]
    )
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {broken}:line 3, column 3: not well-formed XML (mismatched tag)"]


def test_a_trashed_comment_with_an_approved_answer_stays_a_tombstone(project, store, settings):
    report = import_wordpress(store, settings, WXR_TRASHED_PARENT)
    assert report.errors == []
    ids = {n: wp_id(store, n, WXR_TRASHED_PARENT) for n in (501, 502, 503)}
    assert store.comments.get(ids[502]).status is State.REJECTED
    folder = project / "content" / "comments" / "study-groups-after-dark"
    assert sorted(p.stem for p in folder.glob("*.md")) == sorted(ids.values())
    tombstone = (folder / f"{ids[502]}.md").read_text(encoding="utf-8")
    assert "removed: true" in tombstone and f"reply_to: {ids[501]}" in tombstone
    assert "Rowan" not in tombstone
    answer = (folder / f"{ids[503]}.md").read_text(encoding="utf-8")
    assert f"reply_to: {ids[502]}" in answer and "thank you for saying it kindly" in answer


def test_a_trashed_comment_is_a_moderators_rejection_that_can_be_restored(
    project, store, settings, capsys
):
    """WordPress's trash is its moderators' doing: the tombstone does not say the author
    asked, the decision log names the import, and a moderator here may restore it."""
    import_wordpress(store, settings, WXR_TRASHED_PARENT)
    ids = {n: wp_id(store, n, WXR_TRASHED_PARENT) for n in (501, 502, 503)}
    trashed = store.comments.get(ids[502])
    assert trashed.status is State.REJECTED and trashed.withdrawn_at is None
    [decision] = store.decisions.of(ids[502])
    assert (decision.actor, decision.from_state, decision.to_state) == (
        "import-wordpress",
        None,
        State.REJECTED,
    )
    assert "'trash' in WordPress" in decision.note
    folder = project / "content" / "comments" / "study-groups-after-dark"
    tombstone = (folder / f"{ids[502]}.md").read_text(encoding="utf-8")
    assert "removed_by: moderator" in tombstone and "request" not in tombstone

    # A second run changes nothing: no file, no row, no decision.
    files = snapshot(project / "content")
    again = import_wordpress(store, settings, WXR_TRASHED_PARENT)
    assert again.imported == [] and again.already == 3
    assert snapshot(project / "content") == files
    assert len(store.decisions.of(ids[502])) == 1

    db = str(store.path)
    assert cli.main(["--db", db, "show", ids[502]]) == 0
    assert "withdrawn" not in capsys.readouterr().out
    assert cli.main(["--db", db, "restore", ids[502]]) == 0
    assert store.comments.get(ids[502]).status is State.HELD
    assert cli.main(["--db", db, "approve", ids[502]]) == 0
    settings_file = str(project / "pelicanconf.py")
    assert cli.main(["--db", db, "--settings", settings_file, "publish"]) == 0
    restored = (folder / f"{ids[502]}.md").read_text(encoding="utf-8")
    assert "removed: true" not in restored and "author: Rowan" in restored


def test_imports_before_migration_8_are_restorable_rejections_too(project, settings):
    """Earlier imports marked a trashed comment with replies as withdrawn by its author;
    opening such a database turns it into the moderator's rejection it was, and leaves
    a comment its author did withdraw (through the private link) as it is."""
    from datetime import UTC, datetime

    from moderation.models import Comment

    db = project / "var" / "moderation.db"
    with Store(db) as store:
        import_wordpress(store, settings, WXR_TRASHED_PARENT)
        trashed = wp_id(store, 502, WXR_TRASHED_PARENT)
        own = store.comments.add(
            Comment(article="study-groups-after-dark", author="Ada", email="", body="Mine."),
            status=State.APPROVED,
        )
        store.revisions.withdraw(own.id, now=datetime.now(UTC))
    connection = sqlite3.connect(db)
    with connection:
        connection.execute(
            "UPDATE comments SET withdrawn_at = ? WHERE id = ?",
            ("2026-01-01T00:00:00+00:00", trashed),
        )
        connection.execute("PRAGMA user_version = 7")
    connection.close()

    with Store(db) as store:
        assert store.comments.get(trashed).withdrawn_at is None
        assert store.comments.get(own.id).withdrawn_at is not None
        store.decisions.moderate(trashed, "restore")
        assert store.comments.get(trashed).status is State.HELD


def test_a_post_whose_slug_another_article_has_is_refused_with_its_comments(
    project, tmp_path, capsys
):
    """The blog's "In defence of lurking" is not the old "Lurking on mailing lists,
    2009", though both are lurking-is-learning: nothing of the old post is hung on the
    other article; the import says so, names both, and exits 1. The rest comes in."""
    article = project / ARTICLES / "lurking-is-learning.md"
    before = article.read_bytes()
    command = [
        "--db",
        str(tmp_path / "w.db"),
        "--settings",
        str(project / "pelicanconf.py"),
        "import-wordpress",
        str(WXR_SLUG_CLASH),
    ]
    assert cli.main(command) == 1
    out = "".join(capsys.readouterr())
    assert "'Lurking on mailing lists, 2009'" in out and "'In defence of lurking'" in out
    assert str(article) in out and "its 2 comments were not imported" in out
    assert article.read_bytes() == before
    with Store(tmp_path / "w.db") as store:
        assert store.comments.list(article="lurking-is-learning") == []
        [comment] = store.comments.list()
        assert comment.article == "study-circles-at-work"
    assert not (project / "content" / "comments" / "lurking-is-learning").exists()
    assert (project / ARTICLES / "study-circles-at-work.md").is_file()

    # Running it again adds nothing and says the same.
    assert cli.main(command) == 1
    assert "its 2 comments were not imported" in "".join(capsys.readouterr())
    with Store(tmp_path / "w.db") as store:
        assert len(store.comments.list()) == 1


def test_a_post_without_an_excerpt_is_summarised_by_its_first_paragraph(imported):
    empty_project, _ = imported
    tables = metadata(empty_project / ARTICLES / "tables-pictures-furniture.md")
    # Its excerpt is empty: the first paragraph of prose, as plain text, is the summary.
    assert tables["Summary"] == (
        "Our learning room was rearranged four times in one summer. Each layout changed "
        "who talked to whom; the reading circle noticed first."
    )


def test_a_long_first_paragraph_is_cut_at_a_word_and_markup_is_shown_as_text():
    from moderation.importers.markup import SUMMARY_LENGTH, summary_text

    words = " ".join(["circle"] * 60)
    figure = "<figure><img src=a.png alt=''><figcaption>Cap</figcaption></figure>"
    html = f"<h2>Intro</h2>\n\n{figure}\n\n{words}\n\nThe second paragraph."
    summary = summary_text("", html)
    assert summary.endswith("circle\u2026") and len(summary) <= SUMMARY_LENGTH
    assert "Intro" not in summary and "Cap" not in summary
    # Plain text: what would be Markdown or HTML is escaped, so it reads as written.
    assert summary_text("", "<p>a <code>*star*</code> &lt;b&gt; [x]</p>") == (
        r"a \*star\* &lt;b> \[x\]"
    )
    assert summary_text("The <em>excerpt</em> wins", "<p>Body</p>") == "The excerpt wins"
    # What would start a heading, a list or a quote is shown as written too.
    assert summary_text("", "<p>#1 lesson: rest</p>") == r"\#1 lesson: rest"
    assert summary_text("", "<p>1. Bring tea.</p>") == r"1\. Bring tea."
    assert summary_text("", "<p>- a note</p>") == r"\- a note"
    assert summary_text("", "<p>&gt; quoted</p>") == r"\> quoted"
    assert summary_text("", "<p>2026 was a long year.</p>") == "2026 was a long year."


def test_imported_posts_pass_the_publish_content_check(project, store, settings):
    """``invoke publish`` checks the content first: what an import wrote must pass."""
    from pelican.settings import read_settings

    from moderation.deploy.preflight import content_problems

    report = import_wordpress(store, settings, WXR)
    written = {path.name for path in report.written}
    assert "tables-pictures-furniture.md" in written
    problems = content_problems(read_settings(str(project / "publishconf.py")))
    assert [p for p in problems if any(name in p for name in written)] == []
