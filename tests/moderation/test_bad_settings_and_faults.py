"""Bad settings stop the program at start-up naming the variable; faults are clear lines."""

from __future__ import annotations

import pytest

from moderation.errors import SettingsError
from moderation.models import Decision, SignalResult, State, Verdict
from moderation.settings import SETTINGS, load_settings
from moderation.store import Store

from .conftest import add


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("COMMENTS_TRUSTED_PROXIES", "[1]", "must be a list of non-empty strings"),
        ("COMMENTS_TRUSTED_PROXIES", '["not an address"]', "must list addresses or networks"),
        ("COMMENTS_CLOSE_AFTER_DAYS", "1e10", "must be between 0 and 3650"),
        ("COMMENTS_MIN_SECONDS", "NaN", "must be a finite number"),
        ("COMMENTS_MIN_SECONDS", "Infinity", "must be a finite number"),
        ("COMMENTS_RATE_LIMIT", "-1", "must be between 0 and"),
        ("COMMENTS_RETENTION_DAYS", "-3", "must be between 0 and"),
        ("COMMENTS_MODERATION", '{"moderation_keys": [1]}', "['moderation_keys'] must be a list"),
        ("COMMENTS_MODERATION", '{"disallowed_keys": "casino"}', "['disallowed_keys'] must be"),
        ("COMMENTS_MODERATION", '{"approve_below": 0.9}', "lower than ['spam_at']"),
        ("COMMENTS_MODERATION", '{"spam_at": 2}', "['spam_at'] must be between 0 and 1"),
        ("COMMENTS_MODERATION", '{"unknown_key": 1}', "unknown keys 'unknown_key'"),
        ("COMMENTS_INTAKE_URL", '"ftp://x.example/c"', "must be an http:// or https://"),
        ("COMMENTS_INTAKE_URL", '"http://x.example:99999/c"', "must be an http:// or https://"),
    ],
)
def test_a_bad_value_is_refused_at_start_up_naming_the_variable(site, variable, value, problem):
    with pytest.raises(SettingsError) as caught:
        load_settings(site.root / "pelicanconf.py", environ={variable: value})
    message = str(caught.value)
    assert f"environment variable {variable}" in message and problem in message


def test_the_cli_turns_a_bad_setting_into_one_line(run, monkeypatch):
    monkeypatch.setenv("COMMENTS_MIN_SECONDS", "NaN")
    result = run("screen")
    assert result.code == 2
    assert result.err.strip().startswith("error: environment variable COMMENTS_MIN_SECONDS")
    assert "Traceback" not in result.err


def test_the_shared_defaults_of_plugin_and_moderation_agree():
    """Both sides read these keys; their defaults must never drift apart."""
    import sys

    from tests.plugin.conftest import PLUGINS

    if str(PLUGINS) not in sys.path:
        sys.path.insert(0, str(PLUGINS))
    from comments.settings import DEFAULTS as PLUGIN

    shared = set(PLUGIN) & set(SETTINGS)
    assert {"COMMENTS_PATH", "COMMENTS_SITE_URL", "COMMENTS_CLOSE_AFTER_DAYS"} <= shared
    for key in shared:
        assert PLUGIN[key].default == SETTINGS[key].default, key


def _held_with_reasons(store, *reasons: str):
    comment = add(store, body="A comment.")
    store.screenings.record(
        comment.id,
        Verdict(Decision.HOLD, 0.5, reasons, (SignalResult("rules", 0.5, "rules: x"),)),
        version=comment.version,
    )
    return comment


def test_reason_filters_take_percent_and_underscore_literally(run, site):
    with Store(site.db) as store:
        plain = _held_with_reasons(store, "phone number: 555 0100")
        percent = _held_with_reasons(store, "offer: '20% off'")
        underscore = _held_with_reasons(store, "affiliate or tracking link: x?utm_source=y")
    everything = run("list", "--status", "held", "--reason", "%")
    assert percent.id in everything.out and plain.id not in everything.out
    assert underscore.id not in everything.out
    single = run("list", "--status", "held", "--reason", "_")
    assert underscore.id in single.out and plain.id not in single.out
    # A bulk action with such a filter touches exactly what matched.
    result = run("reject", "--all-held", "--reason", "%")
    assert result.code == 0
    with Store(site.db) as store:
        assert store.comments.get(percent.id).status is State.REJECTED
        assert store.comments.get(plain.id).status is State.HELD
        assert store.comments.get(underscore.id).status is State.HELD


def test_publish_into_a_folder_that_cannot_be_written_is_a_clear_error(run, site):
    with Store(site.db) as store:
        add(store, status=State.APPROVED)
    # A file where the article's comment folder should be: nothing can be written there.
    site.comments_dir.mkdir(parents=True, exist_ok=True)
    (site.comments_dir / "first-steps").write_text("in the way", encoding="utf-8")
    result = run("publish")
    assert result.code == 1
    assert result.err.strip().startswith("error: cannot write")
    assert "first-steps" in result.err and "Traceback" not in result.err
