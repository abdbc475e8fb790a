"""The comment feeds mark replies with ``thr:in-reply-to`` (RFC 4685), in a real build."""

from __future__ import annotations

import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"
THREAD = "{http://purl.org/syndication/thread/1.0}"


def entries(path) -> dict[str, ET.Element]:
    """Entries of an Atom file by the comment id their link ends in."""
    root = ET.parse(path).getroot()
    found = {}
    for entry in root.iter(f"{ATOM}entry"):
        link = entry.find(f"{ATOM}link").get("href")
        found[link.rpartition("#comment-")[2]] = entry
    return found


def test_replies_name_their_parent_entry_and_top_level_comments_do_not(fixture_site):
    output, _ = fixture_site
    for feed in ("feeds/comments/open-thread.atom.xml", "feeds/comments.atom.xml"):
        by_id = entries(output / feed)
        reply = by_id["c-2026-07-14-aa02"]
        parent = by_id["c-2026-07-14-aa01"]
        marks = reply.findall(f"{THREAD}in-reply-to")
        assert len(marks) == 1, feed
        mark = marks[0]
        # ref is the parent entry's atom:id; href its page address; the type says HTML.
        assert mark.get("ref") == parent.find(f"{ATOM}id").text
        assert mark.get("href") == parent.find(f"{ATOM}link").get("href")
        assert mark.get("type") == "text/html"
        assert parent.find(f"{THREAD}in-reply-to") is None
    text = (output / "feeds/comments/open-thread.atom.xml").read_text(encoding="utf-8")
    assert 'xmlns:thr="http://purl.org/syndication/thread/1.0"' in text
