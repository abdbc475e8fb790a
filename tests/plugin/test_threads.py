"""Threads, ordering, depth, counts, closed state, feeds, threads.json, recent_comments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"


def comment_items(soup):
    return soup.select("li.comment")


def ids_in(node, selector=":scope > li.comment"):
    return [li["id"].removeprefix("comment-") for li in node.select(selector)]


def test_thread_nesting_order_and_counts(site):
    site.article("post")
    # File names sort opposite to dates: order must follow the dates (offsets included).
    site.comment("post", "a-late", date="2026-02-03T10:00:00+00:00")
    site.comment("post", "b-early", date="2026-02-01T12:00:00+02:00")  # 10:00 UTC
    site.comment("post", "c-middle", date="2026-02-01T11:00:00+00:00")
    site.comment("post", "r2", reply_to="b-early", date="2026-02-05T00:00:00+00:00")
    site.comment("post", "r1", reply_to="b-early", date="2026-02-04T00:00:00+00:00")
    site.comment("post", "r1-1", reply_to="r1", date="2026-02-06T00:00:00+00:00")
    site.build()

    soup = site.article_html("post")
    top = soup.select_one("ol.comment-list")
    assert ids_in(top) == ["b-early", "c-middle", "a-late"]
    early = soup.select_one("#comment-b-early")
    assert ids_in(early.select_one("ol.replies")) == ["r1", "r2"]
    nested = soup.select_one("#comment-r1 ol.replies")
    assert ids_in(nested) == ["r1-1"]
    assert soup.select_one("#comment-r1-1")["data-depth"] == "2"
    assert soup.select_one("#comment-r1-1")["data-reply-to"] == "r1"
    assert soup.select_one("#comments")["data-count"] == "6"


def test_replies_beyond_max_depth_attach_at_deepest_level(site):
    site.article("deep")
    site.comment("deep", "c1", date="2026-02-01T00:00:00+00:00")
    site.comment("deep", "c2", reply_to="c1", date="2026-02-02T00:00:00+00:00")
    site.comment("deep", "c3", reply_to="c2", date="2026-02-03T00:00:00+00:00")
    site.comment("deep", "c4", reply_to="c3", date="2026-02-04T00:00:00+00:00")
    site.comment("deep", "c5", reply_to="c4", date="2026-02-06T00:00:00+00:00")
    site.comment("deep", "c6", reply_to="c2", date="2026-02-05T00:00:00+00:00")
    site.build(COMMENTS_MAX_DEPTH=3)

    soup = site.article_html("deep")
    depths = {li["id"]: li["data-depth"] for li in comment_items(soup)}
    assert depths == {
        "comment-c1": "0",
        "comment-c2": "1",
        "comment-c3": "2",
        "comment-c4": "2",
        "comment-c5": "2",
        "comment-c6": "2",
    }
    # Too-deep replies sit beside their parent, still ordered by date.
    assert ids_in(soup.select_one("#comment-c2 > ol.replies")) == ["c3", "c4", "c6", "c5"]
    # They keep pointing at the comment they answer.
    assert soup.select_one("#comment-c5")["data-reply-to"] == "c4"
    assert soup.select_one("#comments")["data-count"] == "6"


def test_max_depth_one_is_flat(site):
    site.article("flat")
    site.comment("flat", "c1", date="2026-02-01T00:00:00+00:00")
    site.comment("flat", "c2", reply_to="c1", date="2026-02-02T00:00:00+00:00")
    site.comment("flat", "c3", reply_to="c2", date="2026-02-03T00:00:00+00:00")
    site.build(COMMENTS_MAX_DEPTH=1)
    soup = site.article_html("flat")
    assert ids_in(soup.select_one("ol.comment-list")) == ["c1", "c2", "c3"]
    assert not soup.select("ol.replies")


def test_comment_fields_in_template(site):
    site.article("fields", title="Fields & More")
    site.comment(
        "fields",
        "c-1",
        "Body text",
        author="<b>Eve</b> & co",
        author_url="https://eve.example/me",
        avatar="5d41402abc4b2a76",
        date="2026-02-01T10:15:00+00:00",
    )
    site.comment("fields", "c-2", author="Mallory", author_url="javascript:alert(1)")
    site.comment("fields", "c-3", author="Trent", author_url='https://x.example/"onmouseover=')
    site.build(DEFAULT_DATE_FORMAT="%d %B %Y, %H:%M")

    soup = site.article_html("fields")
    first = soup.select_one("#comment-c-1")
    author = first.select_one("a.comment-author")
    assert author.get_text() == "<b>Eve</b> & co"  # escaped, shown as text
    assert author.find("b") is None
    assert author["href"] == "https://eve.example/me"
    assert first.select_one("time").get_text() == "01 February 2026, 10:15"
    assert first.select_one("time")["datetime"] == "2026-02-01T10:15:00+00:00"
    assert first.select_one("a.comment-permalink")["href"] == "/2026/fields.html#comment-c-1"
    # Only http(s) author URLs survive, and only when safe inside an attribute.
    assert soup.select_one("#comment-c-2 a.comment-author") is None
    assert soup.select_one("#comment-c-2 span.comment-author").get_text() == "Mallory"
    assert soup.select_one("#comment-c-3 a.comment-author") is None


def test_non_approved_comments_are_never_rendered(site):
    site.article("moderated")
    site.comment("moderated", "ok-1", "Visible words")
    site.comment("moderated", "held-1", "SECRET-HELD-TEXT", status="held")
    site.comment("moderated", "spam-1", "SECRET-SPAM-TEXT", status="spam")
    site.comment("moderated", "reply-to-held", "SECRET-REPLY-TEXT", reply_to="held-1")
    out = site.build()

    soup = site.article_html("moderated")
    assert ids_in(soup.select_one("ol.comment-list")) == ["ok-1"]
    assert soup.select_one("#comments")["data-count"] == "1"
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            assert "SECRET-" not in text, path
    threads = json.loads((out / "comments" / "threads.json").read_text())
    assert threads[0]["comments"] == ["ok-1"]


def test_closed_by_metadata_keeps_comments_and_hides_form(site):
    site.article("closed-post", comments="closed")
    site.article("open-post")
    site.comment("closed-post", "c1", "Still shown")
    out = site.build()

    closed = site.article_html("closed-post")
    assert closed.select_one("#comment-c1 .comment-body").get_text(strip=True) == "Still shown"
    assert closed.select_one("#comment-form") is None
    assert closed.select_one(".comments-closed") is not None
    assert closed.select_one("a.comment-reply") is None
    assert site.article_html("open-post").select_one("form#comment-form") is not None
    threads = {t["slug"]: t for t in json.loads((out / "comments/threads.json").read_text())}
    assert threads["closed-post"]["open"] is False
    assert threads["open-post"]["open"] is True


def test_closed_after_days(site):
    recent = (datetime.now(UTC) - timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    site.content.joinpath("articles/new.md").write_text(
        f"Title: New\nDate: {recent}\nSlug: new\n\nFresh.\n"
    )
    site.content.joinpath("articles/old.md").write_text(
        "Title: Old\nDate: 2020-01-01 10:00\nSlug: old\n\nStale.\n"
    )
    site.comment("old", "c1", "Old comment")
    out = site.build(
        COMMENTS_CLOSE_AFTER_DAYS=30, ARTICLE_URL="{slug}.html", ARTICLE_SAVE_AS="{slug}.html"
    )
    assert site.html("old.html").select_one("#comment-form") is None
    assert site.html("old.html").select_one("#comment-c1") is not None
    assert site.html("new.html").select_one("#comment-form") is not None
    threads = {
        t["slug"]: t["open"] for t in json.loads((out / "comments/threads.json").read_text())
    }
    assert threads == {"new": True, "old": False}


def test_close_after_days_zero_keeps_old_articles_open(site):
    site.content.joinpath("articles/old.md").write_text(
        "Title: Old\nDate: 2001-01-01 10:00\nSlug: old\n\nStale.\n"
    )
    site.build(
        COMMENTS_CLOSE_AFTER_DAYS=0, ARTICLE_URL="{slug}.html", ARTICLE_SAVE_AS="{slug}.html"
    )
    assert site.html("old.html").select_one("#comment-form") is not None


def parse_feed(path):
    root = etree.parse(str(path)).getroot()
    assert root.tag == f"{ATOM}feed"
    for element in (root, *root.findall(f"{ATOM}entry")):
        assert element.findtext(f"{ATOM}id")
        assert element.find(f"{ATOM}title") is not None
        datetime.fromisoformat(element.findtext(f"{ATOM}updated"))
    return root


def test_article_feed_is_valid_atom_with_absolute_links(site):
    site.article("feedme", title="Feed <em>me</em> &amp; you")
    site.article("quiet")
    site.comment("feedme", "c1", "First *one*", date="2026-02-01T10:00:00+00:00")
    site.comment(
        "feedme",
        "c2",
        "Second",
        reply_to="c1",
        date="2026-02-02T10:00:00+00:00",
        author="Ann <Lee>",
        author_url="https://ann.example",
    )
    out = site.build(SITEURL="https://blog.example")

    feed = parse_feed(out / "feeds/comments/feedme.atom.xml")
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}id") for e in entries] == [
        "https://blog.example/2026/feedme.html#comment-c2",
        "https://blog.example/2026/feedme.html#comment-c1",
    ]
    assert feed.findtext(f"{ATOM}title") == "Comments on Feed me & you - Test Site"
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert links and all(href.startswith("https://blog.example/") for href in links)
    self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == "https://blog.example/feeds/comments/feedme.atom.xml"
    newest = entries[0]
    assert newest.findtext(f"{ATOM}author/{ATOM}name") == "Ann <Lee>"
    assert newest.findtext(f"{ATOM}author/{ATOM}uri") == "https://ann.example"
    assert newest.find(f"{ATOM}content").get("type") == "html"
    assert "<em>one</em>" in entries[1].findtext(f"{ATOM}content")
    assert feed.findtext(f"{ATOM}updated") == "2026-02-02T10:00:00+00:00"

    # An article without comments still gets its (empty, valid) feed.
    quiet = parse_feed(out / "feeds/comments/quiet.atom.xml")
    assert quiet.findall(f"{ATOM}entry") == []
    soup = site.article_html("quiet")
    assert soup.select_one("a.comments-feed")["href"] == (
        "https://blog.example/feeds/comments/quiet.atom.xml"
    )


def test_site_wide_feed_newest_first_and_limited(site):
    site.article("one")
    site.article("two")
    site.comment("one", "o1", date="2026-02-01T00:00:00+00:00")
    site.comment("two", "t1", date="2026-02-03T00:00:00+00:00")
    site.comment("one", "o2", date="2026-02-02T00:00:00+00:00")
    out = site.build(SITEURL="https://blog.example")
    feed = parse_feed(out / "feeds/comments.atom.xml")
    ids = [
        e.findtext(f"{ATOM}link") or e.find(f"{ATOM}link").get("href")
        for e in feed.findall(f"{ATOM}entry")
    ]
    assert ids == [
        "https://blog.example/2026/two.html#comment-t1",
        "https://blog.example/2026/one.html#comment-o2",
        "https://blog.example/2026/one.html#comment-o1",
    ]
    out = site.build(
        SITEURL="https://blog.example", FEED_MAX_ITEMS=2, COMMENTS_ALL_FEED_ATOM="c.xml"
    )
    assert len(parse_feed(out / "c.xml").findall(f"{ATOM}entry")) == 2
    out = site.build(COMMENTS_ALL_FEED_MAX_ITEMS=1)
    entries = parse_feed(out / "feeds/comments.atom.xml").findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}link").get("href") for e in entries] == ["/2026/two.html#comment-t1"]
    # Per-article feeds keep all their comments.
    assert len(parse_feed(out / "feeds/comments/one.atom.xml").findall(f"{ATOM}entry")) == 2


def test_feeds_without_siteurl_are_still_valid_atom(site):
    site.article("local")
    site.comment("local", "c1", "Control \x07 character and <script>")
    out = site.build()
    feed = parse_feed(out / "feeds/comments/local.atom.xml")
    entry_id = feed.find(f"{ATOM}entry").findtext(f"{ATOM}id")
    assert entry_id.startswith("urn:uuid:")
    assert "&lt;script&gt;" in feed.find(f"{ATOM}entry").findtext(f"{ATOM}content")


def test_threads_json(site):
    site.article("alpha", title="Alpha &amp; Omega")
    site.article("beta", comments="closed")
    site.comment("alpha", "a1", date="2026-02-01T00:00:00+00:00")
    site.comment("alpha", "a2", reply_to="a1", date="2026-02-02T00:00:00+00:00")
    site.comment("alpha", "a3", status="pending")
    out = site.build()
    data = json.loads((out / "comments/threads.json").read_text(encoding="utf-8"))
    assert sorted(data, key=lambda t: t["slug"]) == [
        {
            "slug": "alpha",
            "title": "Alpha &amp; Omega",
            "url": "2026/alpha.html",
            "open": True,
            "comments": ["a1", "a2"],
            "lang": "en",
        },
        {
            "slug": "beta",
            "title": "Beta",
            "url": "2026/beta.html",
            "open": False,
            "comments": [],
            "lang": "en",
        },
    ]


def test_recent_comments_in_every_template(site):
    site.article("one")
    site.article("two")
    (site.content / "pages").mkdir()
    (site.content / "pages" / "about.md").write_text("Title: About\n\nAbout us.\n")
    site.comment("one", "o1", date="2026-02-01T00:00:00+00:00")
    site.comment("two", "t1", date="2026-02-04T00:00:00+00:00")
    site.comment("one", "o2", reply_to="o1", date="2026-02-03T00:00:00+00:00")
    site.comment("two", "t0", status="spam", date="2026-03-01T00:00:00+00:00")
    site.build(COMMENTS_RECENT_COUNT=2)
    for page in ("index.html", "2026/one.html", "pages/about.html", "archives.html"):
        aside = site.html(page).select_one("#recent-comments")
        assert [li["data-id"] for li in aside.select("li")] == ["t1", "o2"], page
        assert aside.select_one("a.all-comments-feed")["href"] == "/feeds/comments.atom.xml"
    links = [a["href"] for a in site.html("index.html").select("#recent-comments li a")]
    assert links == ["/2026/two.html#comment-t1", "/2026/one.html#comment-o2"]


def test_draft_article_comments_are_not_an_error(site):
    site.article("draft-post", status="draft")
    site.comment("draft-post", "d1")
    out = site.build()
    data = json.loads((out / "comments/threads.json").read_text())
    assert data == []
    assert not (out / "feeds/comments/draft-post.atom.xml").exists()


def test_file_format_tolerances(site):
    """CRLF line ends, a BOM, a whitespace-only separator line and unknown
    metadata keys are all fine; the id must still match the file name."""
    site.article("post")
    site.raw_comment(
        "post",
        "c-crlf.md",
        "\ufeffid: c-crlf\r\nauthor: Win User\r\ndate: 2026-02-01T10:00:00Z\r\n"
        "status: Approved\r\nsource: moderation 1.0\r\n \t\r\nLine one\r\n\r\nLine two\r\n",
    )
    site.build()
    body = site.article_html("post").select_one("#comment-c-crlf .comment-body")
    assert body.decode_contents() == "<p>Line one</p>\n<p>Line two</p>"


def test_a_very_long_reply_chain(site):
    """Longer than Python's recursion limit: threading must not recurse per level."""
    site.article("argument")
    start = datetime(2026, 2, 1, tzinfo=UTC)
    previous = None
    for number in range(1100):
        extra = {"reply_to": previous} if previous else {}
        previous = f"c{number:04d}"
        date = (start + timedelta(minutes=number)).isoformat()
        site.comment("argument", previous, f"Reply {number}", date=date, **extra)
    site.build(COMMENTS_MAX_DEPTH=3)
    soup = site.article_html("argument")
    assert soup.select_one("#comments")["data-count"] == "1100"
    items = soup.select("li.comment")
    assert len(items) == 1100
    assert max(int(li["data-depth"]) for li in items) == 2
    assert items[-1]["id"] == "comment-c1099"


def test_locale_date_is_made_only_for_a_theme_that_shows_it(site):
    from comments.reader import read_comment_files
    from comments.threads import build_thread

    class CountedDate(datetime):
        formatted = 0

        def strftime(self, format):
            CountedDate.formatted += 1
            return super().strftime(format)

    site.article("post")
    paths = [
        site.comment("post", f"c{n}", date=f"2026-02-0{n + 1}T10:00:00+00:00") for n in range(3)
    ]
    records, _ = read_comment_files([str(path) for path in paths])
    records = [r._replace(date=CountedDate.fromisoformat(r.date.isoformat())) for r in records]
    article = type("Article", (), {"url": "2026/post.html", "slug": "post"})()
    thread = build_thread(
        list(zip(map(str, paths), records, strict=True)),
        article,
        max_depth=3,
        tz=UTC,
        date_format="%d %B %Y",
        report=lambda path, problem: None,
    )
    assert CountedDate.formatted == 0  # the project's theme never asks
    assert [c.locale_date for c in thread.comments] == [f"0{n + 1} February 2026" for n in range(3)]
    assert [c.locale_date for c in thread.comments] == [f"0{n + 1} February 2026" for n in range(3)]
    assert CountedDate.formatted == 3  # once each, then kept


def test_comment_dates_are_shown_in_the_site_time_zone_utc_when_none_is_set(site):
    from pelican import Pelican

    site.article("post")
    site.comment("post", "c1", date="2026-02-01T10:00:00+02:00")
    site.build(TIMEZONE="America/New_York")
    time = site.article_html("post").select_one("#comment-c1 time")
    assert time["datetime"] == "2026-02-01T03:00:00-05:00"

    settings = site.settings()
    del settings["TIMEZONE"]  # Pelican assumes UTC then, for the articles too
    Pelican(settings).run()
    time = site.article_html("post").select_one("#comment-c1 time")
    assert time["datetime"] == "2026-02-01T08:00:00+00:00"
