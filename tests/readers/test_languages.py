"""Languages (issue 13): gettext catalogues (Babel), English and German complete, a check
that fails when a string is missing, pages in the article's or the site's language, and
dates the locale's way."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

import catalogues
from comment_format.i18n import Message, format_comment_date, translate, translations
from moderation.models import Comment
from moderation.store import Store

from .conftest import ARTICLE, ORIGIN, parse
from .sources import reply_page, source_server

WORD = re.compile(r"[A-Za-zÄÖÜäöüß]{3,}")


def test_every_catalogue_is_complete_in_english_and_german():
    for spec in catalogues.CATALOGUES.values():
        assert catalogues.problems(spec) == [], spec.domain


def _copy(spec: catalogues.CatalogueSpec, tmp_path: Path) -> catalogues.CatalogueSpec:
    copy = tmp_path / spec.domain
    shutil.copytree(spec.path, copy)
    return dataclasses.replace(spec, directory=str(copy))


def test_the_check_fails_when_a_language_lacks_a_string(tmp_path):
    spec = _copy(catalogues.CATALOGUES["theme"], tmp_path)
    path = spec.po_path("de")
    with path.open("rb") as handle:
        catalog = read_po(handle)
    del catalog["Preview"]
    catalog["Reply"].string = ""
    catalog["Comment by %(name)s"].string = "Kommentar von"
    with path.open("wb") as handle:
        write_po(handle, catalog)
    found = "\n".join(catalogues.problems(spec))
    assert "missing 'Preview'" in found
    assert "untranslated 'Reply'" in found
    assert "'Comment by %(name)s' has placeholders [], expected ['%(name)s']" in found


def test_the_check_fails_when_a_template_gains_a_string(tmp_path):
    spec = catalogues.CATALOGUES["theme"]
    templates = tmp_path / "templates"
    shutil.copytree(catalogues.ROOT / "theme" / "templates", templates)
    with (templates / "comments.html").open("a", encoding="utf-8") as handle:
        handle.write('{{ _("A sentence nobody has translated yet") }}\n')
    grown = dataclasses.replace(
        spec,
        sources=(catalogues.Source(str(templates), "*.html", spec.sources[0].method),),
    )
    found = catalogues.problems(grown)
    assert (
        f"{spec.directory}/de/LC_MESSAGES/theme.po: missing 'A sentence nobody has translated yet'"
        in found
    )
    assert (
        f"{spec.directory}/en/LC_MESSAGES/theme.po: missing 'A sentence nobody has translated yet'"
        in found
    )


def test_library_messages_are_said_again_in_german():
    german = translations(catalogues.CATALOGUES["intake"].path, "intake", "de")
    message = Message(
        "{field} {problem}",
        field=Message("body"),
        problem=Message(
            "is {length} characters long; the limit is {limit}", length=12345, limit=10000
        ),
    )
    assert str(message) == "body is 12,345 characters long; the limit is 10,000"
    from comment_format.i18n import locale_for

    assert translate(message, german, locale_for("de")) == (
        "Kommentar: ist 12.345 Zeichen lang; erlaubt sind 10.000"
    )
    assert translate("plain text stays", german) == "plain text stays"


def test_dates_follow_the_locale():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 3, 2, 17, 5, tzinfo=ZoneInfo("Europe/Berlin"))
    assert format_comment_date(moment, "de") == "2. März 2026, 17:05"
    assert format_comment_date(moment, "en") == "March 2, 2026, 5:05\u202fPM"
    assert format_comment_date(moment, "de-AT").startswith("2. März 2026")
    assert format_comment_date(moment, "de", with_zone=True) == "2. März 2026, 17:05 MEZ"
    assert format_comment_date(moment, "en", with_zone=True).endswith("5:05\u202fPM CET")


def _english_only_words() -> set[str]:
    """Words of the theme's English strings that no German string uses."""
    spec = catalogues.CATALOGUES["theme"]
    english, german = set(), set()
    with spec.po_path("de").open("rb") as handle:
        catalog = read_po(handle)
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in ids:
            english |= {w.lower() for w in WORD.findall(re.sub(r"<[^>]+>|%\(\w+\)\w", " ", text))}
        for text in strings:
            german |= {w.lower() for w in WORD.findall(re.sub(r"<[^>]+>|%\(\w+\)\w", " ", text))}
    return english - german


#: Attributes whose text a reader meets (screen readers, tooltips, the script's messages).
READER_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


def _visible_text(element) -> str:
    """Text and reader-visible attributes, without what readers wrote."""
    for mine in element.select(
        ".comment:not(.comment--removed) > .comment__content, "
        ".comment:not(.comment--removed) > .comment__header .comment__author, "
        ".comment__via a, .reactions__faces"
    ):
        mine.decompose()
    parts = [element.get_text(" ")]
    for tag in element.find_all(True):
        names = [*READER_ATTRIBUTES, *(a for a in tag.attrs if a.startswith("data-text-"))]
        parts += [tag[name] for name in names if isinstance(tag.get(name), str)]
    return " ".join(parts)


def test_a_german_build_shows_no_english_string_in_the_comment_area(reader_site, approve):
    with source_server() as sources:
        target = "http://127.0.0.1:8000/2026/open-thread.html"
        reply = sources.html("/reply", reply_page(target))
        like = sources.html("/like", reply_page(target, kind="u-like-of", content=""))
        client = reader_site.client()
        for source in (reply, like):
            client.post("/webmention", data={"source": source, "target": target})
        from moderation.webmention import SafeFetcher, verify_pending

        with Store(reader_site.db) as store:
            outcomes = verify_pending(
                store, reader_site.settings(), fetcher=SafeFetcher(allow_private=True)
            )
            for outcome in outcomes:
                approve(store, outcome.comment_id)
            edited = store.comments.add(Comment(ARTICLE, "Edda", "Erst so.", email="e@example.org"))
            approve(store, edited.id)
            store.revisions.edit(edited.id, author="Edda", author_url=None, body="Dann so.")
            approve(store, edited.id)
            gone = store.comments.add(Comment(ARTICLE, "Wanda", "Weg damit.", reply_to=None))
            approve(store, gone.id)
            answer = store.comments.add(Comment(ARTICLE, "Anna", "Antwort.", reply_to=gone.id))
            approve(store, answer.id)
    reader_site.publish()
    with Store(reader_site.db) as store:
        store.revisions.withdraw(gone.id)
    reader_site.publish()
    reader_site.build(DEFAULT_LANG="de")
    page = reader_site.page()
    assert page.html["lang"] == "de"
    area = page.select_one("section#comments")
    # Everything the test promises is on the page.
    assert area.select(".comment__edited") and area.select(".comment--removed")
    assert area.select(".comment__via") and area.select(".reactions--like")
    assert area.select_one("#comment-preview") and area.select_one("form#comment-form")
    english = _english_only_words()
    assert {"comment", "reply", "preview", "send", "removed", "edited"} <= english
    shown = _visible_text(area)
    shown += " " + page.select_one(".entry-header .meta a[href='#comments']").get_text()
    shown += " " + reader_site.page("index.html").select_one("#sidebar-recent-comments").get_text()
    leaked = {w for w in (w.lower() for w in WORD.findall(shown)) if w in english}
    assert not leaked, f"English words in the German comment area: {sorted(leaked)}"
    assert "Kommentare" in area.select_one("#comments-heading").get_text()
    assert "Juli 2026" in area.get_text(), "dates in German"
    assert "MESZ" in area.get_text() and "CEST" not in area.get_text(), "the zone too"


def test_an_article_in_german_on_an_english_site(reader_site):
    source = reader_site.content / "articles" / "open-thread.md"
    source.write_text(
        source.read_text(encoding="utf-8").replace(
            "Slug: open-thread\n", "Slug: open-thread\nLang: de\n"
        ),
        encoding="utf-8",
    )
    reader_site.build()
    german = reader_site.page("open-thread-de.html")  # Pelican's ARTICLE_LANG_SAVE_AS
    english = reader_site.page("2026/quiet-article.html")
    assert german.html["lang"] == "de" and english.html["lang"] == "en"
    assert german.select_one("#respond-heading").get_text() == "Einen Kommentar schreiben"
    assert english.select_one("#respond-heading").get_text() == "Leave a comment"
    # The intake learns the article's language from threads.json.
    client = reader_site.client()
    form = client.get("/comments/form?article=open-thread")
    assert 'lang="de"' in form.text and "Kommentar senden" in form.text
    other = client.get("/comments/form?article=quiet-article")
    assert 'lang="en"' in other.text and "Send comment" in other.text


def test_the_intake_speaks_the_site_language(reader_site):
    reader_site.build(DEFAULT_LANG="de")
    client = reader_site.client(DEFAULT_LANG="de")
    refused = client.post(
        "/comments",
        data={"article": ARTICLE, "name": "Ida", "email": "", "url": "", "body": "", "token": ""},
        headers=ORIGIN,
    )
    assert refused.status_code == 400
    assert (
        "Kommentar: fehlt" in refused.text and "Ihr Kommentar wurde nicht gesendet" in refused.text
    )
    assert (
        client.post(
            "/comments", json={"article": ARTICLE, "name": "", "body": "x"}, headers=ORIGIN
        ).json()["error"]
        == "Name: fehlt"
    )
    posted = client.post(
        "/comments",
        data={
            "article": ARTICLE,
            "name": "Ida",
            "email": "",
            "url": "",
            "body": "Hallo.",
            "token": "",
        },
        headers=ORIGIN,
    )
    thanks = client.get(posted.headers["location"])
    assert "Danke für Ihren Kommentar" in thanks.text and "Ihr privater Link" in thanks.text
    assert re.search(r"in jedem Fall bis \d+\. \w+ \d{4}, \d\d:\d\d", thanks.text), thanks.text
    assert client.get("/comments/edit/forged.link").status_code == 403
    assert "Dieser Link funktioniert nicht" in client.get("/comments/edit/forged.link").text
    unsubscribe = client.get(
        "/comments/unsubscribe/forged.link"
    )  # issue 11's page, read by readers
    assert unsubscribe.status_code == 403
    assert "Dieser Link kann nicht verwendet werden" in unsubscribe.text
    assert "Kopieren Sie den ganzen Link aus der E-Mail" in unsubscribe.text
    missing = client.get("/nowhere", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "hier gibt es nichts" in missing.text


def test_feed_titles_follow_the_language(reader_site):
    reader_site.build(DEFAULT_LANG="de")
    feed = (reader_site.output / "feeds/comments/open-thread.atom.xml").read_text(encoding="utf-8")
    assert "<title>Kommentare zu Questions worth asking out loud" in feed


@pytest.mark.parametrize("lang", ["de", "en", "xx"])
def test_unknown_languages_fall_back_to_english(lang):
    words = translations(catalogues.CATALOGUES["theme"].path, "theme", lang)
    expected = {"de": "Vorschau"}.get(lang, "Preview")
    assert words.gettext("Preview") == expected


def test_the_sidebar_formats_each_date_once_a_build_not_once_a_page(tmp_path, monkeypatch):
    from datetime import datetime

    import babel.dates

    from tests.site.sitebuild import FIXTURE_CONTENT, build_site, copy_content

    looked_up = []
    real = babel.dates.get_date_format

    def get_date_format(format="medium", locale=babel.dates.LC_TIME):
        looked_up.append(format)
        return real(format, locale)

    # Babel's format_date looks its pattern up here on every call it makes.
    monkeypatch.setattr(babel.dates, "get_date_format", get_date_format)
    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    output = tmp_path / "output"
    # One article a page: the home page's sidebar is on three index pages.
    build_site(content, output, DEFAULT_PAGINATION=1)
    formatted = looked_up.count("medium")

    shown = [
        (time["datetime"], time.get_text())
        for page in output.rglob("*.html")
        for time in parse(page).select(".recent-comments time")
    ]
    assert len(shown) > 2 * len(set(shown)), "the same dates on several pages"
    for moment, text in shown:
        assert text == babel.dates.format_date(datetime.fromisoformat(moment), "medium", "en")
    assert formatted <= len(set(shown))
