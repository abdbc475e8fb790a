"""Receiving Webmentions (issue 13) against a real HTTP source server on loopback:
202 at once, verified later, screened and moderated like a comment, published in the
thread (replies) or as faces (likes), withdrawn when the source stops linking, and a
fetcher that cannot be aimed at private addresses."""

from __future__ import annotations

import gzip
import ipaddress
import socket
import time

import mf2py
import pytest

from moderation import cli
from moderation.models import Origin, State
from moderation.store import Store
from moderation.webmention import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_REDIRECTS,
    TIMEOUT_SECONDS,
    Fetched,
    FetchFailed,
    FetchRefused,
    SafeFetcher,
    SourceUnreadable,
    public_address,
    read_source,
    verify_pending,
)
from tests.hostile import SOURCE_CHARSETS, hostile_sources
from tests.timing import fastest_cpu_seconds

from .conftest import ARTICLE, SITE, parse
from .sources import Page, drip_server, reply_page, source_server

TARGET = f"{SITE}/2026/open-thread.html"
LOOPBACK = SafeFetcher(allow_private=True)


@pytest.fixture
def sources():
    with source_server() as server:
        yield server


def send(client, source: str, target: str = TARGET):
    return client.post("/webmention", data={"source": source, "target": target})


def check(reader_site, fetcher: SafeFetcher = LOOPBACK):
    with Store(reader_site.db) as store:
        return verify_pending(store, reader_site.settings(), fetcher=fetcher)


def test_the_theme_advertises_the_endpoint(reader_site):
    page = reader_site.page()
    link = page.find("link", rel="webmention")
    assert link is not None and link["href"] == "http://127.0.0.1:8080/webmention"


def test_a_webmention_is_accepted_at_once_and_nothing_is_fetched_yet(reader_site, sources):
    source = sources.html("/post", reply_page(TARGET))
    answer = send(reader_site.client(), source)
    assert answer.status_code == 202, answer.text
    assert sources.requests == [], "verification is asynchronous"
    with Store(reader_site.db) as store:
        [mention] = store.mentions.pending()
        assert (mention.source, mention.target, mention.article) == (source, TARGET, ARTICLE)
        assert mention.sender_ip == "127.0.0.1"
        assert store.comments.count() == 0


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"target": TARGET}, "source is required"),
        ({"source": "ftp://x.example/a", "target": TARGET}, "source must be an http"),
        # The build refuses a comment file with such a source: refused here, at once.
        ({"source": 'https://a.example/"onmouseover', "target": TARGET}, "source must be an http"),
        ({"source": "https://@a.example/p", "target": TARGET}, "source must be an http"),
        ({"source": TARGET, "target": TARGET}, "must be different"),
        (
            {"source": "https://a.example/p", "target": "https://elsewhere.example/x"},
            "not on this site",
        ),
        ({"source": "https://a.example/p", "target": f"{SITE}/pages/about.html"}, "not an article"),
        ({"source": "https://a.example/p", "target": f"{SITE}/2026/closed-thread.html"}, "closed"),
    ],
)
def test_bad_requests_are_refused_with_400(reader_site, fields, why):
    answer = reader_site.client().post("/webmention", data=fields)
    assert answer.status_code == 400, answer.text
    assert why in answer.text
    with Store(reader_site.db) as store:
        assert store.mentions.pending() == []


def test_only_the_form_encoding_is_taken(reader_site):
    answer = reader_site.client().post(
        "/webmention", json={"source": "https://a.example/p", "target": TARGET}
    )
    assert answer.status_code == 415


def test_a_valid_reply_becomes_a_comment_in_the_queue_and_in_the_thread(
    reader_site, sources, approve, capsys
):
    source = sources.html(
        "/post", reply_page(TARGET, content="<p>I tried this with my <b>team</b>.</p>")
    )
    send(reader_site.client(), source)
    [outcome] = check(reader_site)
    assert outcome.state == "verified" and outcome.to_screen is not None
    with Store(reader_site.db) as store:
        comment = store.comments.get(outcome.comment_id)
        assert comment.origin is Origin.WEBMENTION and comment.status is State.RECEIVED
        assert (comment.author, comment.author_url) == ("Ola Other", "https://ola.example/")
        assert comment.body == "I tried this with my team."
    assert cli.main(["--db", str(reader_site.db), "list"]) == 0
    listing = capsys.readouterr().out
    assert outcome.comment_id in listing and source in listing and "reply from" in listing
    with Store(reader_site.db) as store:
        approve(store, outcome.comment_id)
    reader_site.publish()
    text = (reader_site.content / "comments" / ARTICLE / f"{outcome.comment_id}.md").read_text()
    assert f"source: {source}\nmention: reply\n" in text
    reader_site.build()
    shown = reader_site.page().find("article", id=f"comment-{outcome.comment_id}")
    assert shown is not None, "an approved reply appears in the thread"
    assert shown.select_one(".comment__via a")["href"] == source
    assert "I tried this with my team." in shown.select_one(".comment__content").get_text()
    assert shown.select_one(".avatar svg") is not None, "a face drawn from a keyed hash"


def test_likes_and_reposts_are_counted_with_faces(reader_site, sources, approve):
    client = reader_site.client()
    for number, kind in enumerate(("u-like-of", "u-like-of", "u-repost-of")):
        source = sources.html(
            f"/like-{number}",
            reply_page(
                TARGET,
                kind=kind,
                author=f"Fan {number}",
                author_url=f"https://fan{number}.example/",
                content="",
            ),
        )
        assert send(client, source).status_code == 202
    outcomes = check(reader_site)
    assert [o.state for o in outcomes] == ["verified"] * 3
    with Store(reader_site.db) as store:
        for outcome in outcomes:
            approve(store, outcome.comment_id)
    reader_site.publish()
    reader_site.build()
    page = reader_site.page()
    likes = page.select_one(".reactions--like")
    assert likes.select_one(".reactions__count").get_text() == "2 likes"
    assert len(likes.select(".reactions__faces li .avatar svg")) == 2
    assert page.select_one(".reactions--repost .reactions__count").get_text() == "1 repost"
    assert page.select_one("#comments-heading").get_text() == "4 comments", "likes are not comments"
    for outcome in outcomes:
        assert page.find("article", id=f"comment-{outcome.comment_id}") is None


def test_a_source_that_does_not_link_is_refused(reader_site, sources):
    source = sources.html("/unrelated", "<p>Nothing to see: <a href='https://x.example/'>x</a></p>")
    send(reader_site.client(), source)
    [outcome] = check(reader_site)
    assert outcome.state == "refused" and "does not link" in outcome.problem
    with Store(reader_site.db) as store:
        assert store.comments.count() == 0


def test_charsets_browsers_do_not_know_are_read_as_utf8_and_block_nothing(reader_site, sources):
    """``charset=idna`` or ``undefined`` made decoding raise, which left the mention
    pending and stopped every check behind it. A charset is now one a browser knows
    (WHATWG labels: latin1 is windows-1252), else UTF-8, and every mention is checked."""
    client = reader_site.client()
    page = reply_page(TARGET, author="Zoë Ünder").encode("utf-8") + b"\xff"
    for charset in SOURCE_CHARSETS:
        sources.pages[f"/{charset}"] = Page(page, content_type=f"text/html; charset={charset}")
        assert send(client, f"{sources.url}/{charset}").status_code == 202
    sources.pages["/latin1"] = Page(
        reply_page(TARGET, author="Zoë Ünder — “quoted”").encode("cp1252"),
        content_type="text/html; charset=latin1",
    )
    send(client, sources.url + "/latin1")
    send(client, sources.html("/fine", reply_page(TARGET, author="Fine Person")))
    outcomes = check(reader_site)
    count = len(SOURCE_CHARSETS)
    assert [o.state for o in outcomes] == ["verified"] * (count + 2), [o.problem for o in outcomes]
    with Store(reader_site.db) as store:
        assert store.mentions.pending() == []
        authors = [store.comments.get(o.comment_id).author for o in outcomes]
    assert authors == ["Zoë Ünder"] * count + ["Zoë Ünder — “quoted”", "Fine Person"]


def test_a_source_that_breaks_the_reader_is_refused_and_the_rest_are_checked(
    reader_site, sources, monkeypatch
):
    """Whatever goes wrong reading a source is that mention's outcome, with the reason;
    one verified before keeps its comment; the mentions behind it are checked."""
    client = reader_site.client()
    before = sources.html("/verified-before", reply_page(TARGET))
    send(client, before)
    [first] = check(reader_site)
    assert first.state == "verified"
    parse = mf2py.parse

    def breaks(doc, url, **options):
        if "/breaks" in url or "/verified-before" in url:
            raise ValueError("the parser tripped")
        return parse(doc=doc, url=url, **options)

    monkeypatch.setattr(mf2py, "parse", breaks)
    sources.html("/breaks", reply_page(TARGET))
    for source in (sources.url + "/breaks", before, sources.html("/after", reply_page(TARGET))):
        send(client, source)
    outcomes = check(reader_site)
    assert [o.state for o in outcomes] == ["refused", "verified", "verified"]
    assert outcomes[0].problem == "the source could not be read (ValueError: the parser tripped)"
    assert "could not be read" in outcomes[1].problem
    assert outcomes[1].comment_id == first.comment_id
    with Store(reader_site.db) as store:
        assert store.mentions.pending() == []
        assert store.comments.get(first.comment_id).withdrawn_at is None


def test_a_deeply_nested_source_is_refused_with_the_reason_and_blocks_nothing(reader_site, sources):
    """1,000 nested divs (6 KB) made mf2py raise RecursionError, and 8,000 took html5lib
    7 s; now the page is refused, saying why, and the next mention is checked."""
    client = reader_site.client()
    deep = "<div>" * 1000 + reply_page(TARGET)
    send(client, sources.html("/deep", deep))
    send(client, sources.html("/fine", reply_page(TARGET)))
    deep_one, fine = check(reader_site)
    assert deep_one.state == "refused"
    assert deep_one.problem == f"the source's elements nest more than {MAX_DEPTH} deep"
    assert fine.state == "verified"
    # Nesting a page people write would have is read.
    send(client, sources.html("/nested", "<div>" * (MAX_DEPTH - 20) + reply_page(TARGET)))
    [nested] = check(reader_site)
    assert nested.state == "verified"


#: The hostile pages of tests/hostile.py at a tenth of the most that is read (the
#: benchmark reads them whole: benchmarks/worst_case.py), and a tenth of the fetch's time.
SMALLER_SOURCES = hostile_sources(MAX_BYTES // 10)


@pytest.mark.parametrize("shape", sorted(SMALLER_SOURCES))
def test_reading_a_hostile_source_takes_time_linear_in_its_size(shape):
    """Each hostile page is read, or refused for its nesting, in time linear in its size:
    html5lib walked its open elements (or the tag's attributes) again for each tag,
    seconds to hours of CPU on these shapes; libxml2 builds the tree in linear time."""
    fetched = Fetched("https://a.example/post", 200, "text/html", SMALLER_SOURCES[shape], False)
    try:
        source = read_source(fetched, TARGET)
    except SourceUnreadable as refused:
        assert shape.startswith("deep: ")
        assert str(refused) == f"the source's elements nest more than {MAX_DEPTH} deep"
    else:
        assert not shape.startswith("deep: ") and not source.links
    cpu = fastest_cpu_seconds(read_source, fetched, TARGET, refusals=(SourceUnreadable,))
    assert cpu < TIMEOUT_SECONDS / 10


def test_a_source_that_disappears_is_withdrawn_on_the_next_check(reader_site, sources, approve):
    client = reader_site.client()
    source = sources.html("/gone-later", reply_page(TARGET))
    send(client, source)
    [outcome] = check(reader_site)
    with Store(reader_site.db) as store:
        approve(store, outcome.comment_id)
    reader_site.publish()
    file = reader_site.content / "comments" / ARTICLE / f"{outcome.comment_id}.md"
    assert file.exists()
    del sources.pages["/gone-later"]  # the page is deleted; its site sends the mention again
    assert send(client, source).status_code == 202
    [again] = check(reader_site)
    assert again.state == "gone" and "404" in again.problem
    with Store(reader_site.db) as store:
        comment = store.comments.get(outcome.comment_id)
        assert comment.withdrawn_at is not None and comment.status is State.REJECTED
    reader_site.publish()
    assert not file.exists()
    # A source that still exists but no longer links is withdrawn the same way.
    other = sources.html("/edited-later", reply_page(TARGET))
    send(client, other)
    assert [o.state for o in check(reader_site)] == ["verified"]
    sources.html("/edited-later", "<p>I took the link out.</p>")
    send(client, other)
    [second] = check(reader_site)
    assert second.state == "gone" and "does not link" in second.problem


def test_a_changed_source_edits_its_comment_and_screens_it_again(reader_site, sources, approve):
    client = reader_site.client()
    source = sources.html("/changing", reply_page(TARGET, content="First words."))
    send(client, source)
    [first] = check(reader_site)
    with Store(reader_site.db) as store:
        approve(store, first.comment_id)
    sources.html("/changing", reply_page(TARGET, content="Second words."))
    send(client, source)
    [second] = check(reader_site)
    assert second.comment_id == first.comment_id and second.to_screen is not None
    with Store(reader_site.db) as store:
        comment = store.comments.get(first.comment_id)
        assert (comment.body, comment.status) == ("Second words.", State.RECEIVED)
        assert store.revisions.of(first.comment_id)[0].body == "First words."


def test_hostile_html_in_the_source_is_sanitised_like_any_comment(reader_site, sources, approve):
    hostile = (
        '<p>Fine <script>alert("x")</script> words</p><img src=x onerror="alert(1)">'
        '<a href="javascript:alert(2)">click</a> &lt;iframe src=//evil&gt;'
    )
    source = sources.html(
        "/hostile", reply_page(TARGET, content=hostile, author='<b onmouseover="x">Eve</b>')
    )
    send(reader_site.client(), source)
    [outcome] = check(reader_site)
    with Store(reader_site.db) as store:
        approve(store, outcome.comment_id)
    reader_site.publish()
    reader_site.build()
    html = (reader_site.output / "2026/open-thread.html").read_text(encoding="utf-8")
    shown = parse(reader_site.output / "2026/open-thread.html").find(
        "article", id=f"comment-{outcome.comment_id}"
    )
    assert "onerror" not in str(shown) and "onmouseover" not in str(shown)
    assert "javascript:" not in str(shown)
    assert "<iframe" not in html and "<script>alert" not in html
    assert shown.select_one(".comment__author").get_text() == "Eve"
    assert "&lt;iframe src=//evil&gt;" in str(shown.select_one(".comment__content"))


def test_private_addresses_are_refused_unless_allowed(reader_site, sources):
    source = sources.html("/post", reply_page(TARGET))
    with pytest.raises(FetchRefused, match="not a public address"):
        SafeFetcher().fetch(source)
    send(reader_site.client(), source)
    [outcome] = check(
        reader_site, SafeFetcher()
    )  # what COMMENTS_WEBMENTION_ALLOW_PRIVATE=False does
    assert outcome.state == "refused" and "127.0.0.1" in outcome.problem
    assert sources.requests == [], "a refused address is never contacted"
    for address in (
        "10.1.2.3",
        "192.168.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
    ):
        answer = [(0, 0, 0, "", (address, 80))]
        fetcher = SafeFetcher(resolver=lambda host, port, answer=answer, **kw: answer)
        with pytest.raises(FetchRefused):
            fetcher.fetch("http://innocent.example/")


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254, the cloud metadata service
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::808:808",  # local-use NAT64, whatever it carries
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:c0a8:1::1",  # 6to4 of 192.168.0.1
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "::a00:1",  # IPv4-compatible 10.0.0.1
        "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
        "::ffff:0:a9fe:a9fe",  # IPv4-translated 169.254.169.254
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:100.64.0.1",  # IPv4-mapped shared address space
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "fec0::1",  # site-local
        "::",
        "::1",
    ],
)
def test_ipv4_inside_ipv6_is_judged_by_the_ipv4_address(sources, address):
    """A name resolving to an IPv6 form that carries a private IPv4 address (which a
    NAT64 gateway, a 6to4 relay or the system would reach) is refused like that address;
    the source server on loopback is never contacted."""
    sources.html("/inner", reply_page(TARGET))
    answer = [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, 80, 0, 0))]
    fetcher = SafeFetcher(resolver=lambda host, port, answer=answer, **kw: answer)
    with pytest.raises(FetchRefused, match="not a public address"):
        fetcher.fetch("http://innocent.example/inner")
    assert not public_address(ipaddress.ip_address(address))
    assert sources.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "93.184.215.14",
        "2606:4700:4700::1111",
        "64:ff9b::5db8:d70e",  # NAT64 of 93.184.215.14: an IPv6-only host reaching it
        "2002:5db8:d70e::1",  # 6to4 of 93.184.215.14
        "::ffff:93.184.215.14",
    ],
)
def test_public_addresses_in_any_form_are_allowed(address):
    assert public_address(ipaddress.ip_address(address))


def test_every_redirect_is_checked_again_and_at_most_five_are_followed(sources):
    only_one = SafeFetcher(allowed=lambda a: a == ipaddress.ip_address("127.0.0.1"))
    port = sources.httpd.server_port
    sources.html("/inside", reply_page(TARGET))
    start = sources.redirect("/hop", f"http://127.0.0.2:{port}/inside")
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.2"):
        only_one.fetch(start)
    for hop in range(6):
        sources.redirect(f"/r{hop}", f"/r{hop + 1}")
    sources.html("/r6", "<p>end</p>")
    assert LOOPBACK.fetch(sources.url + "/r1").url.endswith("/r6")  # five redirects: fine
    with pytest.raises(FetchFailed, match="more than 5 redirects"):
        LOOPBACK.fetch(sources.url + "/r0")  # six


def test_reads_at_most_a_megabyte_and_gives_up_on_slow_sources(sources):
    assert (MAX_BYTES, MAX_REDIRECTS, TIMEOUT_SECONDS) == (1_000_000, 5, 10.0)
    padding = "<p>" + "x" * 1_100_000 + "</p>"
    sources.html("/huge", f"<html><body>{padding}<a href='{TARGET}'>late link</a></body></html>")
    fetched = LOOPBACK.fetch(sources.url + "/huge")
    assert fetched.truncated and len(fetched.body) == MAX_BYTES
    sources.pages["/slow"] = Page(b"<p>slow</p>", delay=2.0)
    started = time.monotonic()
    with pytest.raises(FetchFailed):
        SafeFetcher(allow_private=True, timeout=0.5).fetch(sources.url + "/slow")
    assert time.monotonic() - started < 1.8


@pytest.mark.parametrize(
    ("head", "drip"),
    [
        (b"", b"HTTP/1.1 200 OK\r\n" * 4),  # the status line
        (b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"x" * 60),  # the headers
        (b"HTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n", b"<p>" + b"x" * 57),  # the body
    ],
    ids=["status-line", "headers", "body"],
)
def test_one_deadline_covers_the_whole_answer_headers_included(head, drip):
    """A server dripping a byte every 50 ms would hold a fetch for 3 s; the fetch gives
    up after its 0.3 s, whichever part of the answer is dripping."""
    with drip_server(head, drip, interval=0.05) as url:
        started = time.monotonic()
        with pytest.raises(FetchFailed, match=r"no complete answer within 0\.3 s"):
            SafeFetcher(allow_private=True, timeout=0.3).fetch(url)
        assert time.monotonic() - started < 1.0


def test_the_checked_address_is_the_one_contacted(sources):
    sources.html("/named", "<p>hello</p>")
    port = sources.httpd.server_port
    LOOPBACK.fetch(f"http://localhost:{port}/named")
    assert sources.requests[-1] == ("/named", f"localhost:{port}"), "Host stays the name"


def test_https_sources_are_fetched_by_name_from_the_checked_address(tmp_path, monkeypatch):
    """TLS through the deadline's sockets: the connection goes to the address checked,
    the certificate is verified for the name in the URL (sent as SNI and Host)."""
    import ssl
    import threading

    import trustme

    from .sources import SourceServer

    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(server_context)
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    server = SourceServer()
    server.httpd.socket = server_context.wrap_socket(server.httpd.socket, server_side=True)
    threading.Thread(target=server.httpd.serve_forever, daemon=True).start()
    try:
        server.html("/secure", reply_page(TARGET))
        port = server.httpd.server_port
        fetched = SafeFetcher(allow_private=True, timeout=5).fetch(
            f"https://localhost:{port}/secure"
        )
        assert fetched.status == 200 and fetched.body == reply_page(TARGET).encode()
        assert server.requests == [("/secure", f"localhost:{port}")]
        with pytest.raises(FetchFailed, match="CERTIFICATE_VERIFY_FAILED"):
            SafeFetcher(allow_private=True).fetch(f"https://127.0.0.1:{port}/secure")
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def test_the_service_verifies_and_screens_in_the_background(reader_site, sources):
    client = reader_site.client(screen=True, COMMENTS_WEBMENTION_ALLOW_PRIVATE=True)
    source = sources.html("/background", reply_page(TARGET))
    assert send(client, source).status_code == 202
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with Store(reader_site.db) as store:
            comments = store.comments.list()
            if comments and comments[0].status is not State.RECEIVED:
                break
        time.sleep(0.1)
    else:
        raise AssertionError("the mention was not verified and screened in the background")
    with Store(reader_site.db) as store:
        assert store.screenings.latest(comments[0].id) is not None


def test_compressed_sources_are_read_and_bombs_stay_small(sources):
    page = reply_page(TARGET).encode()
    sources.pages["/zipped"] = Page(gzip.compress(page), headers={"Content-Encoding": "gzip"})
    fetched = LOOPBACK.fetch(sources.url + "/zipped")
    assert fetched.body == page and not fetched.truncated
    bomb = gzip.compress(b"\0" * 200_000_000)  # 200 MB of zeros in about 200 KB
    assert len(bomb) < 300_000
    sources.pages["/bomb"] = Page(bomb, headers={"Content-Encoding": "gzip"})
    fetched = LOOPBACK.fetch(sources.url + "/bomb")
    assert fetched.truncated and len(fetched.body) == MAX_BYTES
    sources.pages["/brotli"] = Page(b"\x0b\x02\x80hi\x03", headers={"Content-Encoding": "br"})
    with pytest.raises(FetchFailed, match="br-compressed"):
        LOOPBACK.fetch(sources.url + "/brotli")


def test_a_site_in_a_folder_takes_mentions_of_its_articles(reader_site):
    from moderation.intake import ThreadIndex
    from moderation.webmention import WebmentionRefused, check_request

    index = ThreadIndex(reader_site.output / "comments" / "threads.json")
    site = ["https://blog.example/notes"]
    target = "https://blog.example/notes/2026/open-thread.html#comments"
    *_, thread = check_request({"source": "https://a.example/p", "target": target}, index, site)
    assert thread.slug == ARTICLE
    with pytest.raises(WebmentionRefused, match="not on this site"):
        check_request(
            {
                "source": "https://a.example/p",
                "target": "https://blog.example/2026/open-thread.html",
            },
            index,
            site,
        )


def test_moderation_screen_verifies_pending_mentions_first(
    reader_site, sources, monkeypatch, capsys
):
    monkeypatch.setenv("COMMENTS_WEBMENTION_ALLOW_PRIVATE", "true")
    source = sources.html("/from-cli", reply_page(TARGET))
    send(reader_site.client(), source)
    settings_file = reader_site.root / "pelicanconf.py"
    settings_file.write_text(f"PATH = {str(reader_site.content)!r}\n", encoding="utf-8")
    assert cli.main(["--db", str(reader_site.db), "--settings", str(settings_file), "screen"]) == 0
    out = capsys.readouterr().out
    assert f"webmention {source} → {TARGET}: verified" in out
    assert "screened 1" in out
    with Store(reader_site.db) as store:
        [comment] = store.comments.list()
        assert comment.origin is Origin.WEBMENTION and comment.status is not State.RECEIVED


def test_retention_forgets_the_sender_address(reader_site, sources):
    from datetime import timedelta

    from moderation.models import utcnow

    source = sources.html("/old", reply_page(TARGET))
    send(reader_site.client(), source)
    [outcome] = check(reader_site)
    with Store(reader_site.db) as store:
        store.privacy.apply_retention(30, now=utcnow() + timedelta(days=31))
        [mention] = store.mentions.list()
        assert mention.sender_ip is None
        context = store.privacy.request_context(outcome.comment_id)
        assert context["ip"] is None and context["ip_hash"]


def test_a_source_changed_after_a_moderator_said_spam_stays_spam(reader_site, sources):
    """Its sender cannot send it back through screening by editing the page."""
    client = reader_site.client()
    source = sources.html("/pitch", reply_page(TARGET, content="Buy pills at pills.example"))
    send(client, source)
    [first] = check(reader_site)
    with Store(reader_site.db) as store:
        store.decisions.moderate(first.comment_id, "spam", actor="moderator")
    sources.html("/pitch", reply_page(TARGET, content="Nice article! More at pills.example"))
    send(client, source)
    [second] = check(reader_site)
    assert second.comment_id == first.comment_id and second.to_screen is None
    with Store(reader_site.db) as store:
        comment = store.comments.get(first.comment_id)
        assert (comment.body, comment.status) == ("Nice article! More at pills.example", State.SPAM)
        assert store.revisions.of(first.comment_id)[0].body == "Buy pills at pills.example"
        last = store.decisions.of(first.comment_id)[-1]
        assert (last.actor, last.from_state, last.to_state) == ("webmention", "spam", "spam")
        assert "only a restore sends it back" in last.note
        assert store.screenings.due() == []
        # A moderator's restore is still the way out, to be looked at again.
        store.decisions.moderate(first.comment_id, "restore", actor="moderator")
        assert store.comments.get(first.comment_id).status is State.HELD
