"""The article template against the plugin contract, on a small hand-written site."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlparse

import pytest

from .conftest import parse

OPEN = "2026/open-thread.html"
CLOSED = "2026/closed-thread.html"
QUIET = "2026/quiet-article.html"

FIRST = "c-2026-07-14-aa01"
REPLY = "c-2026-07-14-aa02"
REPLY_TO_REPLY = "c-2026-07-15-aa03"
LATER = "c-2026-07-16-aa04"
HELD = "c-2026-07-17-aa05"


@pytest.fixture(scope="module")
def open_article(fixture_site):
    output, _ = fixture_site
    return parse(output / OPEN)


def test_thread_is_nested_and_each_comment_is_an_article(open_article):
    thread = open_article.select_one("section#comments .comment-thread")
    top_level = thread.find_all("article", recursive=False)
    assert [a["id"] for a in top_level] == [f"comment-{FIRST}", f"comment-{LATER}"]
    first = open_article.find("article", id=f"comment-{FIRST}")
    reply = first.select_one(f".comment__replies > article#comment-{REPLY}")
    assert reply is not None, "the reply is not rendered inside its parent"
    assert reply.select_one(f".comment__replies > article#comment-{REPLY_TO_REPLY}")
    assert "comment--depth-2" in reply.find("article")["class"]


def test_only_approved_comments_are_shown_and_counted(open_article):
    assert open_article.find(id=f"comment-{HELD}") is None
    assert "must never appear" not in open_article.get_text()
    heading = open_article.select_one("#comments-heading").get_text(strip=True)
    assert heading == "4 comments"
    assert "4 comments" in open_article.select_one(".entry-header .meta").get_text(" ")


def test_comment_author_link_date_permalink_and_content(open_article):
    first = open_article.find("article", id=f"comment-{FIRST}")
    author = first.select_one("a.comment__author")
    assert author["href"] == "https://tom.example/blog"
    assert set(author["rel"]) == {"nofollow", "ugc", "noopener"}
    # Escaped once by the plugin, not twice by the theme.
    assert author.get_text() == "Tom & Jerry"
    permalink = first.select_one("a.comment__permalink")
    assert permalink["href"].endswith(f"open-thread.html#comment-{FIRST}")
    time = permalink.find("time")
    assert time["datetime"] == "2026-07-14T12:00:00+02:00"
    # The content is the plugin's sanitised HTML, output as is.
    assert first.select_one(".comment__content strong").get_text() == "more"
    # Without author_url the name is plain text.
    later = open_article.find("article", id=f"comment-{LATER}")
    assert later.select_one("a.comment__author") is None
    assert later.select_one("span.comment__author").get_text() == "Sam"


def test_avatars_are_inline_identicons_drawn_from_the_hash(open_article):
    """Issue 13: an SVG drawn at build time from the keyed hash; no request, no image."""
    first = open_article.find("article", id=f"comment-{FIRST}")
    reply_by_same_person = open_article.find("article", id=f"comment-{REPLY_TO_REPLY}")
    reply_by_someone_else = open_article.find("article", id=f"comment-{REPLY}")
    avatar = first.select_one(".avatar")
    assert avatar["aria-hidden"] == "true"
    assert "avatar--identicon" in avatar["class"]
    svg = avatar.find("svg")
    assert svg is not None and svg.find("path")["d"].startswith("M")
    same = reply_by_same_person.select_one(".avatar svg")
    assert str(same) == str(svg), "one commenter, one face"
    assert str(reply_by_someone_else.select_one(".avatar svg")) != str(svg)
    assert not open_article.select("section#comments img"), "avatars must not be images"
    without_hash = open_article.find("article", id=f"comment-{LATER}").select_one(".avatar")
    assert "avatar--plain" in without_hash["class"]
    assert without_hash.get_text(strip=True) == "S"


def test_reply_links_follow_the_contract(open_article, fixture_site):
    _, settings = fixture_site
    intake = settings["COMMENTS_INTAKE_URL"]
    links = open_article.select("a.comment-reply")
    assert len(links) == 4
    for link in links:
        url = urlparse(link["href"])
        assert f"{url.scheme}://{url.netloc}{url.path}" == intake + "/form"
        query = parse_qs(url.query)
        assert query["article"] == ["open-thread"]
        assert query["reply_to"] == [link["data-reply-to"]]
        article = link.find_parent("article")
        assert article["id"] == "comment-" + link["data-reply-to"]


def test_comment_form_matches_the_contract(open_article, fixture_site):
    _, settings = fixture_site
    form = open_article.select_one("form#comment-form")
    assert form["method"] == "post"
    assert form["action"] == settings["COMMENTS_INTAKE_URL"]
    assert form["data-token-url"] == settings["COMMENTS_INTAKE_URL"] + "/token"
    assert form.get("enctype") in (None, "application/x-www-form-urlencoded")
    honeypot_name = settings["COMMENTS_HONEYPOT_FIELD"]
    names = {field["name"] for field in form.find_all(["input", "textarea"])}
    expected = {"article", "reply_to", "name", "email", "url", "body", "token", honeypot_name}
    assert names == expected | {"notify_replies"}
    assert form.find("input", attrs={"name": "article"})["value"] == "open-thread"
    assert form.find("input", attrs={"name": "reply_to"})["value"] == ""
    assert form.find("input", attrs={"name": "token"})["value"] == ""
    for name in ("article", "reply_to", "token"):
        assert form.find("input", attrs={"name": name})["type"] == "hidden"
    name = form.find("input", attrs={"name": "name"})
    assert name.has_attr("required") and name["maxlength"] == "100"
    assert form.find("input", attrs={"name": "url"})["maxlength"] == "500"
    body = form.find("textarea", attrs={"name": "body"})
    assert body.has_attr("required") and body["maxlength"] == "10000"
    assert not form.find("input", attrs={"name": "email"}).has_attr("required")


def test_reply_notification_box_is_a_plain_unticked_checkbox(open_article):
    """Issue 11: "Email me when someone replies", value 1, off by default, no script."""
    form = open_article.select_one("form#comment-form")
    box = form.find("input", attrs={"name": "notify_replies"})
    assert box["type"] == "checkbox" and box["value"] == "1"
    assert not box.has_attr("checked")
    label = form.find("label", attrs={"for": box["id"]})
    assert label.get_text(" ", strip=True).startswith("Email me when someone replies")


def test_every_visible_field_has_a_label(open_article):
    form = open_article.select_one("form#comment-form")
    for field in form.find_all(["input", "textarea", "select"]):
        if field.get("type") == "hidden":
            continue
        label = form.find("label", attrs={"for": field.get("id")})
        assert field.get("id") and label, f"field {field['name']} has no label"
        assert label.get_text(strip=True)


def test_honeypot_is_labelled_hidden_and_out_of_the_tab_order(open_article, fixture_site):
    from .sitebuild import ROOT

    _, settings = fixture_site
    form = open_article.select_one("form#comment-form")
    trap = form.find("input", attrs={"name": settings["COMMENTS_HONEYPOT_FIELD"]})
    assert trap["tabindex"] == "-1"
    assert trap["autocomplete"] == "off"
    assert trap.get("value", "") == ""
    label = form.find("label", attrs={"for": trap["id"]})
    assert label.get_text(strip=True) == "Leave this field empty"
    wrapper = trap.find_parent(class_="field--trap")
    assert wrapper is not None and wrapper["aria-hidden"] == "true"
    css = (ROOT / "theme/static/css/style.css").read_text(encoding="utf-8")
    rule = re.search(r"\.field--trap\s*\{([^}]*)\}", css).group(1)
    assert "position: absolute" in rule and "left: -10000px" in rule


def test_privacy_notice_links_to_the_privacy_page(open_article, fixture_site):
    output, settings = fixture_site
    notice = open_article.select_one(".comment-form__notice")
    link = notice.find("a")
    assert link["href"].endswith(settings["COMMENTS_PRIVACY_URL"])
    assert (output / settings["COMMENTS_PRIVACY_URL"]).is_file()


def test_script_is_one_local_file_and_no_inline_code(fixture_site):
    output, _ = fixture_site
    for page in output.rglob("*.html"):
        soup = parse(page)
        for script in soup.find_all("script"):
            if script.get("type") == "application/ld+json":
                # Structured data (JSON-LD) is a data block browsers never run.
                json.loads(script.get_text())
                continue
            assert script.get("src"), f"{page.name} has an inline script"
            assert not script.get_text(strip=True)
        for element in soup.find_all(True):
            handlers = [a for a in element.attrs if a.lower().startswith("on")]
            assert not handlers, f"{page.name}: <{element.name} {handlers}>"
    scripts = parse(output / OPEN).find_all("script", src=True)
    assert [s["src"] for s in scripts] == ["../theme/js/comments.js"]
    assert (output / "theme/js/comments.js").is_file()


def test_closed_article_keeps_its_thread_but_has_no_form(fixture_site):
    output, _ = fixture_site
    soup = parse(output / CLOSED)
    assert soup.select_one("form#comment-form") is None
    assert (
        soup.select_one(".comments-closed").get_text(strip=True).startswith("Comments are closed")
    )
    assert soup.select_one("article#comment-c-2026-01-21-bb01")
    assert not soup.select("a.comment-reply")
    assert soup.select_one("#comments-heading").get_text(strip=True) == "1 comment"
    assert soup.select_one('link[rel="alternate"][href$="feeds/comments/closed-thread.atom.xml"]')
    # JSON-LD (type="application/ld+json") is data, not a script.
    assert not soup.find_all("script", src=True), "no script is needed without a form"


def test_article_without_comments_has_count_feed_and_form(fixture_site):
    output, _ = fixture_site
    soup = parse(output / QUIET)
    assert soup.select_one("#comments-heading").get_text(strip=True) == "No comments yet"
    feed = soup.select_one('#comments a[href$="feeds/comments/quiet-article.atom.xml"]')
    assert feed is not None
    assert (output / "feeds/comments/quiet-article.atom.xml").is_file()
    assert soup.select_one("form#comment-form")
    assert not soup.select("section#comments article")


def test_date_shows_its_time_zone(open_article):
    published = open_article.select_one("time.published")
    assert published["datetime"] == "2026-07-14T09:30:00+02:00"
    # Europe/Stockholm in July is CEST, two hours ahead of UTC; the visible text says so,
    # whichever form DEFAULT_DATE_FORMAT uses (%Z or UTC%z).
    assert re.search(r"CEST|UTC\+02:?00", published.get_text()), published.get_text()
    assert len(re.findall(r"CES?T|UTC[+-]", published.get_text())) == 1, "zone shown once"
    for time in open_article.select("section#comments time"):
        assert re.search(r"[+-]\d\d:\d\d$", time["datetime"]), time
        assert re.search(r"UTC[+-]\d\d:?\d\d|CES?T", time.get_text()), time


def test_date_written_with_an_offset_shows_the_offset(fixture_site):
    output, _ = fixture_site
    published = parse(output / CLOSED).select_one("time.published")
    assert published["datetime"] == "2026-01-20T18:05:00+01:00"
    assert re.fullmatch(r"20 January 2026, 18:05 UTC\+01:?00", published.get_text())


def test_related_links_point_at_the_article_or_the_url(open_article):
    links = open_article.select("nav.related a")
    assert [(a["href"], a.get_text(strip=True)) for a in links] == [
        ("../2026/quiet-article.html", "Lurking is a phase, not a failure"),
        ("https://example.org/further-reading", "https://example.org/further-reading"),
    ]
    assert open_article.select_one("nav.related h2").get_text(strip=True) == "Related:"


def test_author_bio_categories_tags_and_permalink(open_article, fixture_site):
    _, settings = fixture_site
    bio = open_article.select_one("section.author-bio")
    assert bio.find("p").get_text(strip=True) == settings["AUTHOR_BIOS"]["Mara Lindqvist"]
    terms = open_article.select_one("dl.entry-terms")
    assert terms.find("a", rel="tag", string="Practice")
    assert {a.get_text() for a in terms.select(".tag-list a")} == {"questions", "communities"}
    permalink = open_article.select_one("a.permalink")
    assert permalink["href"] == "../2026/open-thread.html"


def test_recent_comments_sidebar_on_the_home_page_only(fixture_site):
    output, _ = fixture_site
    # On an article, it would make every page change with every new comment.
    for name in (OPEN, QUIET):
        assert parse(output / name).select_one(".recent-comments") is None, name
    for name in ("index.html",):
        soup = parse(output / name)
        recent = soup.select_one("aside .recent-comments")
        assert recent is not None, name
        items = recent.find_all("li")
        assert items, name
        newest = items[0]
        assert newest.select_one(".recent-comments__author").get_text() == "Sam"
        link = newest.find("a")
        assert link.get_text(strip=True) == "Questions worth asking out loud"
        assert link["href"].endswith(f"open-thread.html#comment-{LATER}")
        assert newest.find("time")["datetime"].startswith("2026-07-16")


def test_site_and_comment_feeds_are_linked_in_head(fixture_site):
    output, settings = fixture_site
    soup = parse(output / "index.html")
    feeds = {link["href"] for link in soup.select('head link[type="application/atom+xml"]')}
    assert feeds == {
        "./" + settings["FEED_ALL_ATOM"],
        "./" + settings["COMMENTS_ALL_FEED_ATOM"],
    }
    assert (output / settings["COMMENTS_ALL_FEED_ATOM"]).is_file()


def test_pagination_links_pages(tmp_path, require_plugin):
    from .sitebuild import FIXTURE_CONTENT, build_site, copy_content

    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    output = tmp_path / "output"
    build_site(content, output, DEFAULT_PAGINATION=1)
    first = parse(output / "index.html").select_one("nav.pagination")
    assert first.select_one('a[rel="next"]')["href"] == "./index2.html"
    assert "Page 1 of 3" in first.get_text()
    last = parse(output / "index3.html").select_one("nav.pagination")
    assert last.select_one('a[rel="prev"]')["href"] == "./index2.html"
    assert last.select_one('a[rel="next"]') is None


def test_period_archives_render_with_the_theme(tmp_path, require_plugin):
    from .sitebuild import FIXTURE_CONTENT, build_site, copy_content

    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    output = tmp_path / "output"
    build_site(content, output, YEAR_ARCHIVE_SAVE_AS="{date:%Y}/index.html")
    soup = parse(output / "2026" / "index.html")
    assert soup.find("h1").get_text(strip=True) == "Archives for 2026"
    titles = [a.get_text(strip=True) for a in soup.select(".archive-list a")]
    assert titles == [
        "Questions worth asking out loud",
        "Lurking is a phase, not a failure",
        "An older note on reading groups",
    ]


def test_a_title_with_quotes_and_markup_stays_inside_the_feed_link_title(tmp_path, require_plugin):
    from .sitebuild import FIXTURE_CONTENT, build_site, copy_content

    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    (content / "articles" / "quoted-title.md").write_text(
        'Title: Say "hi" to <em>everyone</em> & mind 1 < 2\n'
        "Date: 2026-03-03 09:00+01:00\nCategory: Communities\nSlug: quoted-title\n\n"
        "An article whose title needs escaping.\n",
        encoding="utf-8",
    )
    output = tmp_path / "output"
    build_site(content, output)
    soup = parse(output / "2026" / "quoted-title.html")
    links = soup.select('head link[rel="alternate"][href$="feeds/comments/quoted-title.atom.xml"]')
    assert len(links) == 1
    assert links[0]["title"] == 'Comments on Say "hi" to everyone & mind 1 < 2'


def test_a_like_whose_source_is_unsafe_is_skipped_not_linked_to_none(tmp_path, require_plugin):
    from .sitebuild import FIXTURE_CONTENT, build_site, copy_content

    content = copy_content(FIXTURE_CONTENT, tmp_path / "content")
    folder = content / "comments" / "open-thread"
    for name, source in (("like-ok", "https://fan.example/post"), ("like-bad", "https://@x/ b")):
        (folder / f"{name}.md").write_text(
            f"id: {name}\nauthor: A Fan\ndate: 2026-07-18T10:00:00+00:00\nsource: {source}\n"
            "mention: like\nstatus: approved\n\n",
            encoding="utf-8",
        )
    output = tmp_path / "output"
    build_site(content, output, COMMENTS_STRICT=False)
    page = (output / OPEN).read_text(encoding="utf-8")
    assert 'href="None"' not in page
    assert [a["href"] for a in parse(output / OPEN).select('a[href*="fan.example"]')] == [
        "https://fan.example/post"
    ]
