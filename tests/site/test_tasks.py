"""publishconf.py and the invoke tasks that deploy the site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from invoke import Config, Context, Exit
from pelican.settings import read_settings

from .sitebuild import PUBLISH_SETTINGS_FILE, ROOT

sys.path.insert(0, str(ROOT))
import tasks

needs_rsync = pytest.mark.skipif(
    not shutil.which("rsync"), reason="rsync is not installed (invoke test installs it as root)"
)


def test_publishconf_defaults(monkeypatch):
    for name in ("SITEURL", "COMMENTS_INTAKE_URL", "DEPLOY_TARGET"):
        monkeypatch.delenv(name, raising=False)
    settings = read_settings(str(PUBLISH_SETTINGS_FILE))
    assert settings["SITEURL"] == "https://learning-out-loud.example"
    assert settings["RELATIVE_URLS"] is False
    assert settings["DELETE_OUTPUT_DIRECTORY"] is True
    assert settings["FEED_ALL_ATOM"]
    assert settings["COMMENTS_SITE_URL"] == settings["SITEURL"]
    assert settings["COMMENTS_INTAKE_URL"] == "https://learning-out-loud.example/comments"
    assert settings["DEPLOY_TARGET"].endswith(":/srv/www/learning-out-loud/")
    # Everything else comes from pelicanconf.py.
    assert settings["COMMENTS_HONEYPOT_FIELD"] == "website"


def test_publishconf_reads_the_environment(monkeypatch):
    monkeypatch.setenv("SITEURL", "https://blog.example.org/")
    monkeypatch.delenv("COMMENTS_INTAKE_URL", raising=False)
    monkeypatch.setenv("DEPLOY_TARGET", "/srv/blog")
    settings = read_settings(str(PUBLISH_SETTINGS_FILE))
    assert settings["SITEURL"] == "https://blog.example.org"
    assert settings["COMMENTS_SITE_URL"] == "https://blog.example.org"
    assert settings["COMMENTS_INTAKE_URL"] == "https://blog.example.org/comments"
    assert settings["DEPLOY_TARGET"] == "/srv/blog"


def test_an_intake_url_override_is_json_for_both_halves(monkeypatch):
    from moderation.settings import load_settings

    monkeypatch.setenv("SITEURL", "https://blog.example.org/")
    monkeypatch.setenv("COMMENTS_INTAKE_URL", '"https://intake.example.org/c"')
    assert load_settings(PUBLISH_SETTINGS_FILE)["COMMENTS_INTAKE_URL"] == (
        "https://intake.example.org/c"
    )


@pytest.mark.parametrize(
    ("target", "remote"),
    [
        ("deploy@host.example:/srv/www/", True),
        ("host:www", True),
        ("/srv/www/blog", False),
        ("relative/dir", False),
        ("./odd:name", False),
    ],
)
def test_remote_targets_follow_rsync_rules(target, remote):
    assert tasks._is_remote(target) is remote


def quiet_context() -> Context:
    # pytest owns stdin; invoke must not try to forward it to the command.
    return Context(Config(overrides={"run": {"in_stream": False}}))


def make_built_site(folder):
    (folder / "theme" / "css").mkdir(parents=True)
    (folder / "index.html").write_text("<!DOCTYPE html><title>new</title>")
    (folder / "theme" / "css" / "style.css").write_text("body { color: #000; }")
    return folder


@needs_rsync
def test_rsync_mirrors_into_a_local_directory(tmp_path):
    source = make_built_site(tmp_path / "output")
    target = tmp_path / "deployed" / "www"
    target.mkdir(parents=True)
    (target / "stale.html").write_text("left over from an older build")
    (target / "index.html").write_text("old")
    tasks.rsync_output(quiet_context(), source, str(target))
    assert (target / "index.html").read_text() == "<!DOCTYPE html><title>new</title>"
    assert (target / "theme" / "css" / "style.css").is_file()
    assert not (target / "stale.html").exists(), "--delete must remove files gone from output/"
    assert not (target / "output").exists(), "the contents are copied, not the folder"


def test_rsync_refuses_an_unbuilt_site(tmp_path):
    with pytest.raises(Exit, match=r"has no index\.html"):
        tasks.rsync_output(quiet_context(), tmp_path, str(tmp_path / "target"))


@needs_rsync
@pytest.mark.slow
def test_invoke_publish_builds_and_deploys_to_a_local_directory(tmp_path):
    target = tmp_path / "www"
    output = tmp_path / "built"
    env = {
        **os.environ,
        "SITEURL": "https://publish.test.invalid",
        "MODERATION_DB": str(tmp_path / "no-such.db"),
        "DEPLOY_TARGET": "nobody@unreachable.invalid:/nowhere/",
    }
    env.pop("COMMENTS_INTAKE_URL", None)
    command = [
        str(ROOT / ".venv" / "bin" / "invoke"),
        "publish",
        "--target",
        str(target),
        "--output",
        str(output),
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No moderation database" in result.stdout
    index = (target / "index.html").read_text(encoding="utf-8")
    assert 'href="https://publish.test.invalid/theme/css/style.css"' in index
    deployed = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    built = sorted(p.relative_to(output) for p in output.rglob("*") if p.is_file())
    assert deployed == built
    assert any(p.parts[0] == "feeds" for p in deployed)


def test_site_server_serves_files_and_its_own_404_page(tmp_path):
    import threading
    import urllib.error
    import urllib.request

    site = make_built_site(tmp_path / "output")
    (site / "404.html").write_text("<!DOCTYPE html><title>lost</title><h1>Page not found</h1>")
    server = tasks.make_site_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with urllib.request.urlopen(f"{base}/theme/css/style.css", timeout=5) as response:
            assert response.read() == b"body { color: #000; }"
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/2026/no-such-page.html", timeout=5)
        assert missing.value.code == 404
        assert b"Page not found" in missing.value.read()
    finally:
        server.shutdown()
        server.server_close()


def test_site_server_reports_a_busy_port(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(Exit, match=f"Cannot serve the site on http://127.0.0.1:{port}/"):
            tasks.make_site_server(tmp_path, "127.0.0.1", port)
