"""Invoke tasks for the blog: build, serve, moderate, test and publish.

``make`` only prepares the virtualenv and then calls one of these. Run
``invoke --list`` for the list and ``invoke --help TASK`` for a task's options.
Every command runs with the virtualenv's own Python (``sys.executable``).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import http.server
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
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
REVIEW_PORT = 8081  # issue 10: the moderators' review queue in the demo
DEMO_DB = "var/demo.db"
DEMO_INBOX = "demo/inbox.jsonl"
# The demo publishes its comments here, inside content/ but ignored by git (.gitignore),
# so an author's own content/comments/ stays theirs; `make clean` removes it.
DEMO_COMMENTS = "demo-comments"
#: Seconds the demo waits for its intake service to listen before giving up.
INTAKE_START_SECONDS = 30
PR_SET_PDEATHSIG = 1  # prctl(2)


def _quote(parts: list[str]) -> str:
    return shlex.join(str(part) for part in parts)


def _pelican(
    c: Context,
    *args: str,
    settings: str = SETTINGS,
    output: str = OUTPUT,
    env: Mapping[str, str] | None = None,
) -> None:
    command = [PYTHON, "-m", "pelican", "content", "-s", settings, "-o", output, *args]
    with c.cd(str(ROOT)):
        c.run(_quote(command), pty=False, env=dict(env or {}))


def _moderation(*args: str, env: Mapping[str, str] | None = None) -> bool:
    """Run ``python -m moderation ARGS``; return whether it succeeded.

    Its output goes straight to this terminal: invoke's ``c.run`` decodes what it
    relays in chunks, and a chunk ending inside a UTF-8 character (rich's table
    borders are three bytes each) came out as replacement characters.
    """
    command = [PYTHON, "-m", "moderation", *args]
    return subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}).returncode == 0


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
    command = [PYTHON, "-m", "moderation", "--settings", settings, "serve"]
    command += ["--host", SITE_HOST, "--port", str(port)]
    # The service replaces this process: SIGTERM or SIGINT reach it directly, and
    # nothing is left behind to outlive it.
    os.chdir(ROOT)
    sys.stdout.flush()
    os.execv(PYTHON, command)


@task
def moderate(c):
    """Show the moderation queue: totals, then the comments held for review."""
    _moderation("status")
    _moderation("list", "--status", "held")


def demo_environment(port: int, intake_port: int) -> dict[str, str]:
    """What every process of the demo shares: its database, its comment folder, its ports.

    ``COMMENTS_*`` values are JSON (README, "Settings"); the plugin and moderation
    both read them, so the build, ``moderation`` and the intake agree.
    """
    site = f"http://{SITE_HOST}:{port}"
    return {
        "MODERATION_DB": DEMO_DB,
        "COMMENTS_PATH": json.dumps(DEMO_COMMENTS),
        "COMMENTS_SITE_URL": json.dumps(site),
        "COMMENTS_INTAKE_URL": json.dumps(f"http://{SITE_HOST}:{intake_port}/comments"),
        "COMMENTS_ALLOWED_ORIGINS": json.dumps([site, f"http://localhost:{port}"]),
    }


def _prepare_demo(env: Mapping[str, str]) -> None:
    db = ROOT / env["MODERATION_DB"]
    steps = [("publish",)]
    if db.exists():
        print(f"demo: using the existing demo database {db} (make clean starts afresh)")
    else:
        db.parent.mkdir(parents=True, exist_ok=True)
        steps = [("import", DEMO_INBOX), ("screen",), *steps]
    for step in steps:
        print(f"demo: python -m moderation {' '.join(step)}", flush=True)
        if not _moderation(*step, env=env):
            # A half-made demo database would be reused next time; start clean instead.
            db.unlink(missing_ok=True)
            raise Exit(
                f"demo: `python -m moderation {' '.join(step)}` failed (see the error above); "
                "the demo database was removed so the next run starts clean.",
                code=1,
            )


def _bind_error(port: int) -> OSError | None:
    """Why ``port`` cannot be listened on, or None when it is free."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((SITE_HOST, port))
        except OSError as error:
            return error
    return None


def port_problem(port: int, what: str, option: str, taken: set[int] | None = None) -> str | None:
    """Why ``port`` cannot be listened on (it is taken), or None when it is free.

    The port suggested instead is free now and not in ``taken`` (the demo's other
    ports and the suggestions made for them), which it joins.
    """
    error = _bind_error(port)
    if error is None:
        return None
    taken = taken if taken is not None else set()
    taken.add(port)
    candidates = range(port + 1, min(port + 200, 65536))
    instead = next((n for n in candidates if n not in taken and not _bind_error(n)), None)
    if instead:
        taken.add(instead)
    advice = f", e.g. make serve {option}={instead}" if instead else ""
    return (
        f"demo: port {port} for the {what} is not free ({error.strerror}): stop what "
        f"uses it, or choose another{advice}"
    )


def _stop_with_parent() -> None:
    """Ask Linux to send us SIGTERM when our parent dies (make ignores SIGTERM's children).

    GNU make, stopped with SIGTERM, exits without passing the signal on; the demo
    would live on with its intake service. With this, the demo stops too and takes
    its intake service with it.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        parent = os.getppid()
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def _child_stops_with_us() -> None:
    """In the intake's child process: SIGTERM when the demo dies, however it dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _wait_until_listening(
    process: subprocess.Popen, port: int, what: str = "intake service"
) -> None:
    deadline = time.monotonic() + INTAKE_START_SECONDS
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise Exit(f"demo: the {what} exited before it listened (exit code {code}).")
        with socket.socket() as probe:
            if probe.connect_ex((SITE_HOST, port)) == 0:
                return
        time.sleep(0.1)
    raise Exit(f"demo: the {what} did not listen on port {port} within 30 s.")


def _demo_moderator(env: Mapping[str, str]) -> str:
    """Give the demo's ``demo`` moderator a new random password (made once); return it.

    The password goes to ``moderation user add|passwd`` on standard input, never on a
    command line where other users of the machine could read it.
    """
    password = secrets.token_urlsafe(12)
    for action in ("add", "passwd"):
        done = subprocess.run(
            [PYTHON, "-m", "moderation", "user", action, "demo"],
            cwd=ROOT,
            env={**os.environ, **env},
            input=password + "\n",
            text=True,
            capture_output=True,
        )
        if done.returncode == 0:
            return password
        if "already a moderator" not in done.stderr:
            break
    raise Exit(f"demo: could not make the demo moderator: {done.stderr.strip()}", code=1)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@task(
    help={
        "port": f"Port of the blog (default {SITE_PORT}; make serve PORT=...)",
        "intake-port": f"Port of the comment intake (default {INTAKE_PORT}; "
        "make serve INTAKE_PORT=...)",
        "review_port": f"Port of the review queue (default {REVIEW_PORT}; "
        "make serve REVIEW_PORT=...)",
    }
)
def demo(c, port=SITE_PORT, intake_port=INTAKE_PORT, review_port=REVIEW_PORT):
    """The `make serve` demo: moderated comments, the blog and the comment intake service.

    SIGINT (Ctrl-C), SIGTERM or SIGHUP stop both servers; so does the end of the
    process that started it (make).
    """
    port, intake_port, review_port = int(port), int(intake_port), int(review_port)
    taken = {port, intake_port, review_port}  # no suggestion is another's port or suggestion
    problems = [
        problem
        for problem in (
            port_problem(port, "blog", "PORT", taken),
            port_problem(intake_port, "comment intake", "INTAKE_PORT", taken),
            port_problem(review_port, "review queue", "REVIEW_PORT", taken),
        )
        if problem
    ]
    if len({port, intake_port, review_port}) < 3:
        problems.append(
            f"demo: the blog, the intake and the review queue need three different ports "
            f"(not {port}, {intake_port} and {review_port})"
        )
    if problems:
        raise Exit("\n".join(problems), code=1)

    def stop(signum, frame):
        raise KeyboardInterrupt

    for caught in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(caught, stop)
    _stop_with_parent()

    env = demo_environment(port, intake_port)
    intake_process = review_process = None
    site = None
    try:
        _prepare_demo(env)
        review_password = _demo_moderator(env)
        site_url = json.dumps(f"http://{SITE_HOST}:{port}")
        _pelican(c, "-e", f"FEED_DOMAIN={site_url}", env=env)
        site = make_site_server(ROOT / OUTPUT, SITE_HOST, port)
        intake_command = [PYTHON, "-m", "moderation", "serve", "--host", SITE_HOST]
        intake_command += ["--port", str(intake_port)]
        intake_process = subprocess.Popen(
            intake_command,
            cwd=ROOT,
            env={**os.environ, **env},
            # preexec_fn is safe here: the site thread starts only after this.
            preexec_fn=_child_stops_with_us,
        )
        _wait_until_listening(intake_process, intake_port)
        review_command = [PYTHON, "-m", "moderation", "review-server", "--host", SITE_HOST]
        review_command += ["--port", str(review_port)]
        review_process = subprocess.Popen(
            review_command, cwd=ROOT, env={**os.environ, **env}, preexec_fn=_child_stops_with_us
        )
        _wait_until_listening(review_process, review_port, "review queue")
        threading.Thread(target=site.serve_forever, name="site", daemon=True).start()

        print()
        print(f"  Blog:           http://{SITE_HOST}:{port}/")
        print(f"  Comment intake: http://{SITE_HOST}:{intake_port}/comments (the form posts here)")
        print(
            f"  Review queue:   http://{SITE_HOST}:{review_port}/ "
            f"(log in as demo, password {review_password})"
        )
        print("  On the command line: . demo/env.sh && .venv/bin/moderation list")
        print("  Ctrl-C stops both servers and the review queue.")
        print(flush=True)
        code = intake_process.wait()
        raise Exit(f"demo: the intake service stopped unexpectedly (exit code {code}).", code=1)
    except KeyboardInterrupt:
        print("\nStopping the demo.", flush=True)
    finally:
        if review_process is not None:
            _stop(review_process)
        if intake_process is not None:
            _stop(intake_process)
        if site is not None:
            site.shutdown()
            site.server_close()


@task(
    help={
        "parallel": "Spread tests over the CPU cores with pytest-xdist (-n auto; the default). "
        "--no-parallel runs them in one process",
    }
)
def test(c, parallel=True):
    """Run the test suite. Extra pytest arguments go after `--`: invoke test -- -k feeds.

    It installs nothing: `make test` runs the set-up step (`make test-setup`) first.
    """
    command = [PYTHON, "-m", "pytest"]
    # Measured on the 2-core machine: the whole suite took 84 s in one process and
    # 67 s with -n auto, so parallel is the default.
    if parallel:
        command += ["-n", "auto"]
    with c.cd(str(ROOT)):
        c.run(_quote(command) + (" " + c.remainder if c.remainder else ""), pty=False)


@task(help={"check": "Only report strings a language lacks (exit 1 if any); write nothing"})
def translations(c, check=False):
    """Extract every translatable string (Babel) and merge it into each language's .po."""
    import catalogues

    if check:
        specs = catalogues.CATALOGUES.values()
        found = [line for spec in specs for line in catalogues.problems(spec)]
        for line in found:
            print(line)
        if found:
            raise Exit(f"{len(found)} problems in the catalogues", code=1)
        print("every catalogue is complete in " + ", ".join(catalogues.LANGUAGES))
        return
    for spec in catalogues.CATALOGUES.values():
        for path in catalogues.update(spec):
            print(f"wrote {path.relative_to(ROOT)}")
    print('translate the new entries (msgstr ""), then run `invoke translations --check`')


@task
def lint(c):
    """ruff check and ruff format --check over the whole project."""
    with c.cd(str(ROOT)):
        c.run(_quote([PYTHON, "-m", "ruff", "check", "."]), pty=False)
        c.run(_quote([PYTHON, "-m", "ruff", "format", "--check", "."]), pty=False)
