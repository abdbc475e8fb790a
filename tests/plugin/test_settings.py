"""Settings: defaults, environment overrides (good and malformed), excludes, loading."""

from __future__ import annotations

import logging

import pytest

from .conftest import PLUGINS


def test_defaults_fill_missing_keys(plugin):
    settings: dict = {}
    plugin.settings.configure(settings, environ={})
    assert settings["COMMENTS_MAX_DEPTH"] == 4
    assert settings["COMMENTS_FEED_ATOM"] == "feeds/comments/{slug}.atom.xml"
    assert settings["COMMENTS_STRICT"] is True
    assert set(plugin.settings.DEFAULTS) <= set(settings)


def test_environment_overrides_any_comments_key(plugin):
    settings = {"COMMENTS_MAX_DEPTH": 4, "COMMENTS_MODERATION": {"a": 1, "b": 2}}
    plugin.settings.configure(
        settings,
        environ={
            "COMMENTS_MAX_DEPTH": "2",
            "COMMENTS_STRICT": "false",
            "COMMENTS_RATE_LIMIT": "0",  # not a plugin key: still parsed and set
            "COMMENTS_MODERATION": '{"b": 3}',  # dicts merge over the current value
            "OTHER": "{not json",  # not ours: ignored
        },
    )
    assert settings["COMMENTS_MAX_DEPTH"] == 2
    assert settings["COMMENTS_STRICT"] is False
    assert settings["COMMENTS_RATE_LIMIT"] == 0
    assert settings["COMMENTS_MODERATION"] == {"a": 1, "b": 3}


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        (
            "COMMENTS_MAX_DEPTH",
            "{oops",
            "environment variable COMMENTS_MAX_DEPTH is not valid JSON",
        ),
        ("COMMENTS_STRICT", "yes", "environment variable COMMENTS_STRICT is not valid JSON"),
        ("COMMENTS_MAX_DEPTH", '"3"', "COMMENTS_MAX_DEPTH must be an integer, got '3'"),
        ("COMMENTS_MAX_DEPTH", "true", "COMMENTS_MAX_DEPTH must be an integer, got True"),
        ("COMMENTS_MAX_DEPTH", "0", "COMMENTS_MAX_DEPTH must be between 1 and 100"),
        ("COMMENTS_FEED_ATOM", '"feeds/all.xml"', "COMMENTS_FEED_ATOM must contain {slug}"),
        ("COMMENTS_PATH", '"/etc"', "COMMENTS_PATH must be a non-empty relative path"),
    ],
)
def test_malformed_environment_value_is_a_clear_error(plugin, name, raw, message):
    with pytest.raises(plugin.CommentsSettingsError) as excinfo:
        plugin.settings.configure({}, environ={name: raw})
    assert message in str(excinfo.value)
    assert name in str(excinfo.value)


def test_bad_value_in_settings_file_is_an_error(site, plugin):
    site.article("post")
    with pytest.raises(
        plugin.CommentsSettingsError, match="settings: COMMENTS_RECENT_COUNT must be an integer"
    ):
        site.build(COMMENTS_RECENT_COUNT="five")


def test_environment_override_reaches_the_build(site, monkeypatch):
    site.article("post")
    site.comment("post", "c1", date="2026-01-01T00:00:00+00:00")
    site.comment("post", "c2", reply_to="c1", date="2026-01-02T00:00:00+00:00")
    monkeypatch.setenv("COMMENTS_MAX_DEPTH", "1")
    monkeypatch.setenv("COMMENTS_FEED_ATOM", '"custom/{slug}.xml"')
    out = site.build()
    assert [li["data-depth"] for li in site.article_html("post").select("li.comment")] == ["0", "0"]
    assert (out / "custom/post.xml").exists()


def test_malformed_environment_fails_the_build(site, plugin, monkeypatch):
    site.article("post")
    monkeypatch.setenv("COMMENTS_RECENT_COUNT", "[1,")
    with pytest.raises(
        plugin.CommentsSettingsError, match="COMMENTS_RECENT_COUNT is not valid JSON"
    ):
        site.build()


def test_forgotten_excludes_are_added_with_a_log_line(site, caplog):
    site.article("post")
    site.comment("post", "c1", "Only a comment")
    with caplog.at_level(logging.DEBUG):
        out = site.build(
            ARTICLE_EXCLUDES=[], PAGE_EXCLUDES=[], ARTICLE_PATHS=[""], PAGE_PATHS=["pages"]
        )
    # Pelican never looked at the comment file as an article.
    assert not [r for r in caplog.records if "c1.md" in r.getMessage()]
    assert any(
        "added 'comments' to ARTICLE_EXCLUDES, PAGE_EXCLUDES" in r.getMessage()
        for r in caplog.records
    )
    # Only the real article became a page: the comment file was not read as one.
    written = sorted(p.name for p in (out / "2026").glob("*.html"))
    assert written == ["post.html"]


def test_loadable_by_name_from_plugin_paths(site):
    site.article("post")
    site.comment("post", "c1", "Loaded by name")
    site.build(PLUGINS=["comments"], PLUGIN_PATHS=[str(PLUGINS)])
    assert "Loaded by name" in site.article_html("post").get_text()


def test_site_without_comments_folder_still_gets_feeds_and_index(site):
    site.article("post")
    (site.content / "comments").rmdir()
    out = site.build()
    assert (out / "feeds/comments/post.atom.xml").exists()
    assert (out / "feeds/comments.atom.xml").exists()
    assert (out / "comments/threads.json").exists()
    assert site.article_html("post").select_one("#comments")["data-count"] == "0"


def test_plugin_stays_out_of_builds_that_do_not_list_it(site, tmp_path):
    site.article("post")
    site.build()  # registers the plugin's signal receivers in this process
    assert (site.output / "comments/threads.json").exists()

    other = type(site)(tmp_path / "other")
    other.article("post")
    other.comment("post", "c1")
    other.build(PLUGINS=[], THEME="simple")
    assert not (other.output / "comments").exists()
    assert not (other.output / "feeds/comments").exists()


def test_an_error_while_writing_feeds_fails_the_build(site):
    site.article("post")
    # A folder where the feed file should go: the write fails in the output thread.
    (site.output / "feeds" / "comments" / "post.atom.xml").mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        site.build(DELETE_OUTPUT_DIRECTORY=False)
