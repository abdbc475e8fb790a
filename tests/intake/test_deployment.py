"""Running the intake for the published site: settings, address, and where threads.json is."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from moderation import web
from moderation.errors import SettingsError
from moderation.settings import load_settings

from .helpers import ROOT, THREADS, AppClient, form, free_port, make_settings, write_threads

SITE_DEV = "http://127.0.0.1:8000"  # pelicanconf.py's site, the development one

# -- moderation serve: where it listens -------------------------------------------------------


@pytest.fixture
def served(monkeypatch) -> list[tuple[str, int]]:
    """Records what ``moderation serve`` would run uvicorn with."""
    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(web, "serve", lambda settings, db, host, port: calls.append((host, port)))
    return calls


@pytest.mark.parametrize(
    ("intake_url", "options", "expected"),
    [
        # The public name is the reverse proxy's, never an address to bind here.
        ("https://blog.example/comments", [], ("127.0.0.1", 8080)),
        ("https://blog.example:8443/comments", [], ("127.0.0.1", 8443)),
        ("http://127.0.0.1:8080/comments", [], ("127.0.0.1", 8080)),
        ("https://blog.example/comments", ["--port", "0"], ("127.0.0.1", 0)),
        ("https://blog.example/comments", ["--host", "::1", "--port", "9000"], ("::1", 9000)),
    ],
)
def test_serve_listens_on_loopback_unless_told_otherwise(
    site, db, monkeypatch, served, cli_main, intake_url, options, expected
):
    monkeypatch.setenv("COMMENTS_INTAKE_URL", json.dumps(intake_url))
    code = cli_main(
        ["--db", str(db), "--settings", str(site / "pelicanconf.py"), "serve", *options]
    )
    assert code == 0
    assert served == [expected]


# -- invoke intake: the published settings -----------------------------------------------------


@pytest.mark.slow
def test_invoke_intake_serves_the_published_site(tmp_path):
    threads = write_threads(tmp_path, THREADS)
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COMMENTS_", "PYTHON_AKISMET_", "MODERATION_", "SITEURL"))
    }
    env.update(
        SITEURL="https://blog.example",
        MODERATION_DB=str(tmp_path / "moderation.db"),
        COMMENTS_THREADS=json.dumps(str(threads)),
        COMMENTS_RATE_LIMIT="0",
    )
    log = tmp_path / "intake.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "invoke", "intake", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: invoke and the service
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            time.sleep(0.1)
        else:
            raise AssertionError(f"invoke intake did not answer: {log.read_text()}")
        from_site = httpx.post(
            url + "/comments", data=form(), headers={"Origin": "https://blog.example"}
        )
        # publishconf.py's address, not pelicanconf.py's http://127.0.0.1:8000.
        assert from_site.status_code == 303, from_site.text
        # The intake's own thank-you page, carrying the private link to change the
        # comment at the published site's address, and linking the site's own pages.
        assert from_site.headers["location"].startswith("/comments/thanks/")
        thanks = httpx.get(url + from_site.headers["location"]).text
        assert 'href="https://blog.example/comments/edit/' in thanks
        assert 'href="https://blog.example/pages/comment-received.html"' in thanks
        from_dev_site = httpx.post(
            url + "/comments", data=form(body="Other"), headers={"Origin": SITE_DEV}
        )
        assert from_dev_site.status_code == 403
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


# -- COMMENTS_THREADS: derived from OUTPUT_PATH unless given ------------------------------------


def write_settings(folder: Path, text: str) -> Path:
    path = folder / "conf.py"
    path.write_text('SITENAME = "Test blog"\n' + text, encoding="utf-8")
    return path


def test_threads_default_to_output_path_next_to_the_settings_file(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # elsewhere: paths resolve against the settings' folder
    settings = load_settings(write_settings(tmp_path, 'OUTPUT_PATH = "public"\n'), environ={})
    assert settings["COMMENTS_THREADS"] is None
    assert settings.path("COMMENTS_THREADS") == tmp_path / "public" / "comments" / "threads.json"


def test_an_explicit_threads_path_wins(tmp_path):
    conf = write_settings(
        tmp_path, 'OUTPUT_PATH = "public"\nCOMMENTS_THREADS = "/srv/www/blog/comments/t.json"\n'
    )
    settings = load_settings(conf, environ={})
    assert settings.path("COMMENTS_THREADS") == Path("/srv/www/blog/comments/t.json")
    from_env = load_settings(conf, environ={"COMMENTS_THREADS": '"deployed/threads.json"'})
    assert from_env.path("COMMENTS_THREADS") == tmp_path / "deployed" / "threads.json"
    derived = load_settings(conf, environ={"COMMENTS_THREADS": "null"})
    assert derived.path("COMMENTS_THREADS") == tmp_path / "public" / "comments" / "threads.json"


@pytest.mark.parametrize(
    ("file_text", "environ", "where"),
    [
        ("COMMENTS_THREADS = 5\n", {}, "conf.py"),
        ("COMMENTS_THREADS = ''\n", {}, "conf.py"),
        ("", {"COMMENTS_THREADS": '["a.json"]'}, "environment variable COMMENTS_THREADS"),
    ],
)
def test_a_threads_setting_that_is_no_path_is_refused(tmp_path, file_text, environ, where):
    with pytest.raises(SettingsError, match="COMMENTS_THREADS must be a path or None") as error:
        load_settings(write_settings(tmp_path, file_text), environ=environ)
    assert where in str(error.value)


def test_the_projects_settings_derive_the_threads_path():
    settings = load_settings(ROOT / "pelicanconf.py", environ={})
    assert settings["COMMENTS_THREADS"] is None
    assert settings.path("COMMENTS_THREADS") == ROOT / "output" / "comments" / "threads.json"


def test_intake_finds_threads_json_in_a_custom_output_path(site, db):
    (site / "pelicanconf.py").write_text(
        'SITENAME = "Test blog"\nOUTPUT_PATH = "public"\n', encoding="utf-8"
    )
    (site / "output").rename(site / "public")
    with AppClient(web.create_app(make_settings(site), db, screen_in_background=False)) as client:
        assert client.service.index.path == site / "public" / "comments" / "threads.json"
        response = client.post("/comments", json=form())
        assert response.status_code == 202, response.text
