"""publishconf.py and the invoke tasks that deploy the site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from invoke import Exit
from pelican.settings import read_settings

from .sitebuild import PUBLISH_SETTINGS_FILE, ROOT

sys.path.insert(0, str(ROOT))
import tasks


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


def make_built_site(folder):
    (folder / "theme" / "css").mkdir(parents=True)
    (folder / "index.html").write_text("<!DOCTYPE html><title>new</title>")
    (folder / "theme" / "css" / "style.css").write_text("body { color: #000; }")
    return folder


def project_with_tasks(tmp_path):
    """A copy of the project with tasks.py, so `invoke` runs there and writes var/ there."""
    from tests.deploy.conftest import make_project

    project = make_project(tmp_path / "project")
    shutil.copy2(ROOT / "tasks.py", project / "tasks.py")
    return project


def run_invoke(project, *args, **env):
    environment = {**os.environ, "SITEURL": "https://publish.test.invalid", **env}
    for name in list(environment):
        if name.startswith(("COMMENTS_", "MODERATION_", "DEPLOY_")) and name not in env:
            environment.pop(name)
    command = [str(ROOT / ".venv" / "bin" / "invoke"), *args]
    return subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True)


@pytest.mark.slow
def test_invoke_publish_builds_and_deploys_to_a_local_directory(tmp_path):
    project = project_with_tasks(tmp_path)
    target = tmp_path / "www"
    result = run_invoke(project, "publish", "--target", str(target))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "note: no moderation database" in result.stdout
    assert f"Published to {target} in " in result.stdout
    assert "pages " in result.stdout and "written" in result.stdout
    # Progress goes to stderr, one line per step.
    for step in ("checking", "building", "deploying"):
        assert step in result.stderr
    index = (target / "index.html").read_text(encoding="utf-8")
    assert 'href="https://publish.test.invalid/theme/css/style.css"' in index
    assert (target / "feeds" / "all.atom.xml").is_file()
    assert not (project / "output").exists(), "publish never builds into output/"

    dry = run_invoke(project, "publish", "--target", str(target), "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"Dry run for {target}: nothing was changed" in dry.stdout


@pytest.mark.slow
def test_invoke_publish_stops_on_the_example_domain_with_one_line_each(tmp_path):
    project = project_with_tasks(tmp_path)
    result = run_invoke(project, "publish", SITEURL="https://learning-out-loud.example")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "2 problems found before publishing" in result.stderr
    assert "SITEURL https://learning-out-loud.example is the example domain" in result.stderr
    assert "is the example host learning-out-loud.example" in result.stderr
    assert not (project / "var" / "publish").exists()


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


@pytest.mark.slow
def test_invoke_moderate_passes_box_drawing_characters_through_untouched(tmp_path):
    from moderation.models import Comment, State
    from moderation.store import Store

    project = project_with_tasks(tmp_path)
    db = project / "var" / "moderation.db"
    with Store(db) as store:
        store.comments.add_many(
            [
                Comment(
                    article="lurking-is-learning",
                    author=f"読書会の読者 Zoë Łukasiewicz {n}",
                    body=f"Held remark number {n}: does lurking count as taking part?",
                )
                for n in range(80)
            ],
            status=State.HELD,
        )
    result = run_invoke(project, "moderate", MODERATION_DB=str(db))
    assert result.returncode == 0, result.stderr
    # Kilobytes of table borders (three bytes each in UTF-8): invoke's relay used to cut
    # some in half at its chunk boundaries and print U+FFFD.
    assert len(result.stdout.encode("utf-8")) > 6_000
    assert result.stdout.count("│") > 300
    assert "\ufffd" not in result.stdout


def test_a_busy_demo_port_suggests_one_that_is_free_and_not_the_demos_other_ports():
    import socket

    with socket.socket() as taken, socket.socket() as next_one:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        taken = {busy, busy + 1}  # busy + 1: the intake's port, say
        problem = tasks.port_problem(busy, "blog", "PORT", taken)
        assert problem and f"port {busy} for the blog is not free" in problem
        assert f"PORT={busy + 1}" not in problem
        suggested = int(problem.rsplit("PORT=", 1)[1])
        assert suggested > busy + 1 and suggested in taken
        # A second busy port is not told to take the first one's suggestion.
        again = tasks.port_problem(busy, "review queue", "REVIEW_PORT", taken)
        assert again and int(again.rsplit("PORT=", 1)[1]) not in (busy + 1, suggested)
        next_one.bind(("127.0.0.1", suggested))  # really free
    assert tasks.port_problem(busy, "blog", "PORT") is None  # freed: no problem
