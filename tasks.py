"""Invoke tasks for the blog: build, serve, moderate, test and publish.

``make`` only prepares the virtualenv and then calls one of these. Run
``invoke --list`` for the list and ``invoke --help TASK`` for a task's options.
Every command runs with the virtualenv's own Python (``sys.executable``).
"""

from __future__ import annotations

import functools
import http.server
import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from invoke import Context, Exit, task

ROOT = Path(__file__).resolve().parent
PYTHON = sys.executable

SETTINGS = "pelicanconf.py"
PUBLISH_SETTINGS = "publishconf.py"
OUTPUT = "output"
SITE_HOST = "127.0.0.1"
SITE_PORT = 8000
INTAKE_PORT = 8080
DEFAULT_DB = "var/moderation.db"
DEMO_DB = "var/demo.db"
DEMO_INBOX = "demo/inbox.jsonl"
CHROMIUM = Path("/usr/bin/chromium")
# Debian packages the test suite drives: a real browser and rsync for the deploy test.
TEST_PACKAGES = {
    "chromium": lambda: CHROMIUM.exists(),
    "rsync": lambda: bool(shutil.which("rsync")),
}


def _quote(parts: list[str]) -> str:
    return shlex.join(str(part) for part in parts)


def _pelican(c: Context, *args: str, settings: str = SETTINGS, output: str = OUTPUT) -> None:
    command = [PYTHON, "-m", "pelican", "content", "-s", settings, "-o", output, *args]
    with c.cd(str(ROOT)):
        c.run(_quote(command), pty=False)


def _moderation(
    c: Context, *args: str, env: Mapping[str, str] | None = None, warn: bool = False
) -> bool:
    """Run ``python -m moderation ARGS``; return whether it succeeded."""
    with c.cd(str(ROOT)):
        result = c.run(
            _quote([PYTHON, "-m", "moderation", *args]), pty=False, env=dict(env or {}), warn=warn
        )
    return bool(result and result.ok)


def moderation_db() -> Path:
    """The moderation database the CLI will use: ``$MODERATION_DB`` or the default."""
    return ROOT / os.environ.get("MODERATION_DB", DEFAULT_DB)


class SiteRequestHandler(http.server.SimpleHTTPRequestHandler):
    """Serve a built site and answer unknown paths with its own 404.html."""

    def send_error(self, code, message=None, explain=None):
        not_found_page = Path(self.directory) / "404.html"
        if code != 404 or not not_found_page.is_file():
            super().send_error(code, message, explain)
            return
        body = not_found_page.read_bytes()
        self.send_response(404, message)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write(f"site: {self.address_string()} - {format % args}\n")


def make_site_server(
    directory: str | Path, host: str = SITE_HOST, port: int = SITE_PORT
) -> http.server.ThreadingHTTPServer:
    """An HTTP server for a built site; port 0 picks a free port."""
    handler = functools.partial(SiteRequestHandler, directory=str(directory))
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        message = f"Cannot serve the site on http://{host}:{port}/: {error.strerror}."
        raise Exit(message, code=1) from error


@task
def clean(c):
    """Remove the generated site (output/) and Pelican's cache."""
    for name in (OUTPUT, "cache"):
        path = ROOT / name
        if path.is_dir():
            shutil.rmtree(path)
            print(f"Removed {path}")


@task
def build(c):
    """Build the site for local use (pelicanconf.py) into output/."""
    _pelican(c)


@task
def rebuild(c):
    """Delete output/ and build from scratch."""
    _pelican(c, "--delete-output-directory")


@task
def regenerate(c):
    """Build, then rebuild on every change (Pelican's -r)."""
    _pelican(c, "--autoreload")


@task(help={"port": f"Port to listen on (default {SITE_PORT})"})
def serve(c, port=SITE_PORT):
    """Serve output/ on http://127.0.0.1:8000/ until Ctrl-C."""
    server = make_site_server(ROOT / OUTPUT, SITE_HOST, int(port))
    print(f"Serving {ROOT / OUTPUT} on http://{SITE_HOST}:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print()
    finally:
        server.server_close()


@task
def reserve(c):
    """Build, then serve."""
    build(c)
    serve(c)


@task(help={"port": f"Port to listen on (default {SITE_PORT})"})
def livereload(c, port=SITE_PORT):
    """Serve with live reload: rebuild (cached) when content, theme or plugins change."""
    from livereload import Server

    cached = ("-e", "CACHE_CONTENT=true", "LOAD_CONTENT_CACHE=true")

    def rebuild_cached():
        _pelican(c, *cached)

    rebuild_cached()
    server = Server()
    for pattern in (
        "content/**/*",
        "theme/templates/*.html",
        "theme/static/**/*",
        "plugins/**/*.py",
        SETTINGS,
    ):
        server.watch(str(ROOT / pattern), rebuild_cached)
    server.serve(host=SITE_HOST, port=int(port), root=str(ROOT / OUTPUT))


@task
def preview(c):
    """Build the site as it will be published (publishconf.py) into output/."""
    _pelican(c, settings=PUBLISH_SETTINGS)


def _publishing():
    """The author tools of the publishing plugin (plugins/publishing), imported lazily."""
    plugins = str(ROOT / "plugins")
    if plugins not in sys.path:
        sys.path.insert(0, plugins)
    import publishing.checks
    import publishing.scaffold

    return publishing


def _read_settings(settings_file: str) -> dict:
    from pelican.settings import read_settings

    return read_settings(str(ROOT / settings_file))


@task(
    help={
        "title": "The article's title, in quotes",
        "slug": "Its slug, the file and URL name (default: made from the title)",
        "category": "Category: (default: left empty to fill in)",
        "tags": "Tags:, comma-separated",
        "author": "Author: (default: AUTHOR in pelicanconf.py)",
        "summary": "Summary: (default: left empty to fill in)",
    }
)
def new(c, title, slug=None, category="", tags="", author=None, summary=""):
    """Create content/articles/<slug>.md: a draft dated now with every metadata field."""
    publishing = _publishing()
    settings = _read_settings(SETTINGS)
    try:
        path = publishing.scaffold.new_article(
            settings, title, slug=slug, category=category, tags=tags, author=author, summary=summary
        )
    except publishing.scaffold.ScaffoldError as error:
        raise Exit(f"invoke new: {error}", code=1) from error
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    draft_url = settings["DRAFT_URL"].replace("{slug}", path.stem)
    print(f"Created {shown} (Status: draft).")
    print("Fill in the empty fields; `invoke check` lists what is still missing.")
    print(f"Preview: invoke build, then http://{SITE_HOST}:{SITE_PORT}/{draft_url}")


@task(
    help={
        "settings": f"Settings file (default {SETTINGS})",
        "drafts": "Check drafts and scheduled articles too (the default); --no-drafts checks "
        "only what a build publishes, as `invoke publish` does",
    }
)
def check(c, settings=SETTINGS, drafts=True):
    """Check articles and pages: alt text, links, Related slugs, slugs, summaries, dates."""
    publishing = _publishing()
    problems = publishing.checks.check_content(_read_settings(settings), include_drafts=drafts)
    for problem in problems:
        print(problem)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise Exit(f"invoke check: {count} to fix.", code=1)
    print("invoke check: no problems found.")


@task(
    help={
        "target": "Where to deploy: a folder, user@host:/path/ (rsync over ssh), rsync:PATH "
        "or git:REMOTE#BRANCH (ghp-import); default: DEPLOY_TARGET",
        "settings": f"Settings file (default {PUBLISH_SETTINGS})",
        "dry-run": "Screen, publish and build on copies and list what would change; change nothing",
    }
)
def publish(c, target=None, settings=PUBLISH_SETTINGS, dry_run=False):
    """Check, screen, publish approved comments, build with publishconf.py and deploy.

    A thin face over moderation.deploy.publish_site (the review page calls it too).
    """
    from moderation.deploy import publish_site
    from moderation.errors import ModerationError

    try:
        with _PublishProgress() as progress:
            report = publish_site(
                ROOT, settings_file=settings, target=target, dry_run=dry_run, progress=progress
            )
    except ModerationError as error:
        raise Exit(f"invoke publish: {error}", code=error.exit_code) from error
    lines = report.lines()
    # Every file of a first publish would drown the summary; a dry run shows them all.
    if not dry_run and len(lines) > 40:
        lines = [*lines[:40], f"... and {len(lines) - 40} more"]
    for line in lines:
        print(line)
    print(report.summary())


class _PublishProgress:
    """A rich progress display (on stderr) fed by publish_site's ``progress(step, done, total)``.

    One line per step; a step is shown complete once the next one starts.
    """

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description:<13}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self.current = None

    def __enter__(self):
        self.progress.start()
        return self.update

    def __exit__(self, *exc_info) -> None:
        self._finish_current()
        self.progress.stop()

    def _finish_current(self) -> None:
        if self.current is not None:
            done = self.progress.tasks[-1].completed or 1
            self.progress.update(self.current[1], total=done, completed=done)

    def update(self, step: str, done: int, total: int) -> None:
        if self.current is None or self.current[0] != step:
            self._finish_current()
            self.current = (step, self.progress.add_task(step, total=None))
        self.progress.update(self.current[1], completed=done, total=total or None)


@task(
    help={
        "port": f"Port to listen on (default {INTAKE_PORT})",
        "settings": f"Settings file (default {PUBLISH_SETTINGS}: the published site's)",
    }
)
def intake(c, port=INTAKE_PORT, settings=PUBLISH_SETTINGS):
    """Run the comment intake service on 127.0.0.1 for the reverse proxy (see README)."""
    _moderation(c, "--settings", settings, "serve", "--host", SITE_HOST, "--port", str(port))


@task
def moderate(c):
    """Show the moderation queue: totals, then the comments held for review."""
    _moderation(c, "status")
    _moderation(c, "list", "--status", "held")


def _prepare_demo_db(c: Context, env: Mapping[str, str]) -> None:
    db = ROOT / env["MODERATION_DB"]
    if db.exists():
        print(f"Using the existing demo database {db} (make clean starts afresh).")
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        ("import", DEMO_INBOX),
        ("screen",),
        ("publish",),
    ]
    for step in steps:
        print(f"demo: python -m moderation {' '.join(step)}")
        if not _moderation(c, *step, env=env, warn=True):
            # A half-made demo database would be reused next time; start clean instead.
            db.unlink(missing_ok=True)
            raise Exit(
                f"demo: `python -m moderation {' '.join(step)}` failed (see the error above); "
                "the demo database was removed so the next run starts clean.",
                code=1,
            )


@task
def demo(c):
    """The `make serve` demo: moderated comments, the site on :8000 and intake on :8080."""
    env = {"MODERATION_DB": DEMO_DB}
    _prepare_demo_db(c, env)
    _pelican(c)

    site = make_site_server(ROOT / OUTPUT, SITE_HOST, SITE_PORT)
    site_thread = threading.Thread(target=site.serve_forever, name="site", daemon=True)
    site_thread.start()
    intake_command = [PYTHON, "-m", "moderation", "serve", "--host", SITE_HOST]
    intake_command += ["--port", str(INTAKE_PORT)]
    intake_process = subprocess.Popen(intake_command, cwd=ROOT, env={**os.environ, **env})

    print()
    print(f"  Blog:           http://{SITE_HOST}:{SITE_PORT}/")
    print(f"  Comment intake: http://{SITE_HOST}:{INTAKE_PORT}/comments (the form posts here)")
    print(f"  Review queue:   MODERATION_DB={DEMO_DB} .venv/bin/moderation list")
    print("  Ctrl-C stops both.")
    print()
    try:
        code = intake_process.wait()
        raise Exit(f"demo: the intake service stopped unexpectedly (exit code {code}).", code=1)
    except KeyboardInterrupt:
        print("\nStopping the demo.")
    finally:
        if intake_process.poll() is None:
            intake_process.terminate()
            try:
                intake_process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                intake_process.kill()
        site.shutdown()
        site.server_close()


def _ensure_test_packages(c: Context) -> None:
    missing = [name for name, present in TEST_PACKAGES.items() if not present()]
    if not missing:
        return
    if os.geteuid() != 0:
        print(
            f"Missing test prerequisites: {', '.join(missing)}. Not root, so not installing them; "
            f"run `sudo apt-get install -y {' '.join(missing)}`. "
            "Browser and deploy tests will be skipped."
        )
        return
    print(f"Installing test prerequisites with apt-get: {', '.join(missing)}")
    apt_env = {"DEBIAN_FRONTEND": "noninteractive"}
    c.run("apt-get update", pty=False, env=apt_env)
    c.run(_quote(["apt-get", "install", "-y", *missing]), pty=False, env=apt_env)


@task(
    help={
        "parallel": "Spread tests over the CPU cores with pytest-xdist (-n auto; the default). "
        "--no-parallel runs them in one process",
    }
)
def test(c, parallel=True):
    """Run the test suite. Extra pytest arguments go after `--`: invoke test -- -k feeds."""
    _ensure_test_packages(c)
    command = [PYTHON, "-m", "pytest"]
    # Measured on the 2-core machine: the whole suite took 84 s in one process and
    # 67 s with -n auto, so parallel is the default.
    if parallel:
        command += ["-n", "auto"]
    with c.cd(str(ROOT)):
        c.run(_quote(command) + (" " + c.remainder if c.remainder else ""), pty=False)


@task
def lint(c):
    """ruff check and ruff format --check over the whole project."""
    with c.cd(str(ROOT)):
        c.run(_quote([PYTHON, "-m", "ruff", "check", "."]), pty=False)
        c.run(_quote([PYTHON, "-m", "ruff", "format", "--check", "."]), pty=False)
