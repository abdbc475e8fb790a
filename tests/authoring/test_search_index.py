"""The Pagefind step on its own: a failure stops the build, old index files go."""

from __future__ import annotations

import sys

import pytest

from tests.site.sitebuild import ROOT

sys.path.insert(0, str(ROOT / "plugins"))
from publishing.search import SearchIndexError, build_index

PAGE = (
    '<!DOCTYPE html><html lang="en"><body><main data-pagefind-body>'
    "<h1>A page</h1><p>{words}</p></main></body></html>"
)


def test_an_empty_site_fails_with_pagefinds_reason(tmp_path):
    with pytest.raises(SearchIndexError, match="did not contain any html files"):
        build_index(tmp_path)


def test_a_rebuilt_index_keeps_no_stale_files(tmp_path):
    (tmp_path / "a.html").write_text(PAGE.format(words="first words"), encoding="utf-8")
    bundle = build_index(tmp_path)
    assert (bundle / "pagefind.js").is_file()
    stale = bundle / "fragment" / "en_stale.pf_fragment"
    stale.write_bytes(b"left over from an older build")
    (tmp_path / "a.html").write_text(PAGE.format(words="second words"), encoding="utf-8")
    assert build_index(tmp_path) == bundle
    assert not stale.exists()
    assert len(list((bundle / "fragment").glob("*.pf_fragment"))) == 1
