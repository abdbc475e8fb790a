"""``moderation``: the command line face of the library.

Every command parses its arguments, makes one library call and presents the
result (tables with rich, JSON where a program reads it). A
:class:`~moderation.errors.ModerationError` becomes one ``error: ...`` line on
stderr and its ``exit_code``.
"""

from __future__ import annotations

import argparse
import getpass
import importlib.metadata
import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .errors import ModerationError
from .models import VERSION_PATTERN, Comment, Origin, State
from .privacy import apply_retention, erase_commenter, export_commenter
from .publish import publish_approved
from .redaction import mask_email
from .review import ACTIONS, moderate, recheck_held, select_comments
from .settings import Settings, load_settings
from .store import Store, default_db_path
from .wording import counted

logger = logging.getLogger(__name__)


#: ``moderation list`` shows the newest this many unless ``--limit`` says otherwise.
LIST_LIMIT = 50


class UsageError(ModerationError):
    """The command line itself is wrong (a missing or conflicting option)."""

    exit_code = 2


class CommandRun:
    """What one run of a command works with: settings, the store and two consoles,
    each opened when first needed."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.db_path = Path(args.db) if args.db else default_db_path()
        self._settings: Settings | None = None
        self._store: Store | None = None
        # Not a terminal (a pipe, a test): wide enough that tables don't fold.
        width = None if sys.stdout.isatty() else 160
        self.out = Console(file=sys.stdout, width=width, highlight=False, emoji=False)
        self.err = Console(file=sys.stderr, width=width, highlight=False, emoji=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.args.settings)
        return self._settings

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db_path)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def say(self, text: str) -> None:
        # Plain print: comment text and JSON must come out exactly as they are,
        # never read as rich markup or emoji codes.
        print(text, file=sys.stdout)

    def warn(self, text: str) -> None:
        print(text, file=sys.stderr)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "–"


def _score(score: float | None) -> str:
    return "–" if score is None else f"{score:.2f}"


# -- commands -------------------------------------------------------------------


def cmd_status(run: CommandRun, args: argparse.Namespace) -> int:
    counts = run.store.comments.counts()
    if args.json:
        run.say(json.dumps(counts))
        return 0
    table = Table(title=Text(f"Comments in {run.db_path}"))
    table.add_column("State")
    table.add_column("Comments", justify="right")
    for state, count in counts.items():
        table.add_row(state, str(count))
    table.add_row(Text("total", style="bold"), Text(str(sum(counts.values())), style="bold"))
    run.out.print(table)
    _print_outbox(run)
    return 0


def _print_outbox(run: CommandRun) -> None:
    """The outbox part of ``status`` (issue 11): queued, retrying, failed."""
    from .notify import outbox_summary

    summary = outbox_summary(run.store)
    table = Table(title="Outbox (alerts and reply emails)")
    table.add_column("State")
    table.add_column("Messages", justify="right")
    for state, count in (
        ("queued", summary.queued),
        ("retrying", summary.retrying),
        ("failed", summary.failed),
        ("sent", summary.sent),
    ):
        table.add_row(state, str(count))
    run.out.print(table)
    if summary.next_retry:
        run.say(f"next retry: {_when(summary.next_retry)} UTC (`moderation notify --all` now)")
    if summary.bounced:
        bounced = counted(summary.bounced, "address", "addresses")
        run.say(f"{bounced} bounced and will not be mailed again")
    for line in summary.problem_lines():
        run.say(line)


def _state(comment: Comment) -> str:
    """The state, and whether its author changed or withdrew it (issue 13)."""
    if comment.withdrawn_at is not None:
        return f"{comment.status} (withdrawn)"
    if comment.edited_at is not None:
        return f"{comment.status} (edited)"
    return str(comment.status)


def cmd_list(run: CommandRun, args: argparse.Namespace) -> int:
    store = run.store
    filters = {"status": args.status, "article": args.article, "reason": args.reason}
    limit = args.limit or None  # --limit 0: every comment
    comments = store.comments.list(**filters, limit=limit, newest_first=True)
    if not comments:
        run.say("no comments match")
        return 0
    table = Table()
    for name in ("id", "article", "author", "received", "status", "score", "reasons"):
        table.add_column(name, no_wrap=name in ("id", "received"))
    mentions = store.mentions.of_comments(
        [c.id for c in comments if c.origin is Origin.WEBMENTION and c.id]
    )
    for comment in comments:
        latest = store.screenings.latest(comment.id)
        author = Text(comment.author)
        if comment.id in mentions:  # issue 13: a Webmention shows where it comes from
            mention = mentions[comment.id]
            author.append(f"\n{mention.kind or 'mention'} from {mention.source}")
        table.add_row(
            comment.id,
            Text(comment.article),
            author,
            _when(comment.received_at),
            _state(comment),
            _score(latest.score if latest else None),
            Text("; ".join(latest.reasons[:2]) if latest else "not screened yet"),
        )
    run.out.print(table)
    total = store.comments.count(**filters) if limit is not None else len(comments)
    if total > len(comments):
        run.say(f"newest {len(comments)} of {total} comments (--limit 0 lists all)")
    else:
        run.say(counted(len(comments), "comment"))
    return 0


def cmd_show(run: CommandRun, args: argparse.Namespace) -> int:
    store = run.store
    comment = store.comments.get(args.id)
    context = store.privacy.request_context(comment.id)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for label, value in (
        ("id", comment.id),
        ("article", comment.article),
        ("status", str(comment.status)),
        ("received", comment.received_at.isoformat()),
        ("origin", comment.origin),
        ("author", comment.author),
        ("email", mask_email(comment.email) or "–"),
        ("author url", comment.author_url or "–"),
        ("reply to", comment.reply_to or "–"),
        ("ip", context["ip"] or (f"hashed {context['ip_hash']}" if context["ip_hash"] else "–")),
        (
            "user agent",
            context["user_agent"]
            or (f"hashed {context['user_agent_hash']}" if context["user_agent_hash"] else "–"),
        ),
        ("referrer", comment.referrer or "–"),
        ("language", comment.language or "–"),
        ("intake flags", ", ".join(comment.intake_flags) or "–"),
        *_own_changes(store, comment),
        ("this text", f"{comment.id}@{comment.version} (as an action's ID: refused once edited)"),
        ("next check", _when(store.screenings.next_check_at(comment.id))),
        ("failing since", _when(store.screenings.first_failure_at(comment.id))),
    ):
        facts.add_row(label, Text(value))
    run.out.print(facts)
    run.say("")
    run.out.rule("body")
    run.say(comment.body)
    run.out.rule()

    screenings = store.screenings.of(comment.id)
    if not screenings:
        run.say("\nnot screened yet")
    for number, screening in enumerate(screenings, start=1):
        table = Table(
            title=Text(
                f"screening {number} at {_when(screening.screened_at)}: {screening.decision} "
                f"(score {_score(screening.score)})"
            ),
            caption=Text("; ".join(screening.reasons)),
            title_justify="left",
        )
        for name in ("signal", "score", "floor", "reason", "findings", "retry"):
            table.add_column(name)
        for signal in screening.signals:
            table.add_row(
                signal.signal,
                _score(signal.score),
                str(signal.floor or "–"),
                Text(signal.reason),
                Text("\n".join(signal.findings) or "–"),
                "yes" if signal.retry else "",
            )
        run.out.print(table)

    for revision in store.revisions.of(comment.id):
        run.out.rule(
            f"replaced by its {revision.kind} at {_when(revision.at)} (was {revision.status})"
        )
        run.say(f"{revision.author}{f' <{revision.author_url}>' if revision.author_url else ''}")
        run.say(revision.body)
    log = Table(title="decision log", title_justify="left")
    for name in ("at", "actor", "from", "to", "label", "note"):
        log.add_column(name)
    for entry in store.decisions.of(comment.id):
        log.add_row(
            _when(entry.at),
            Text(entry.actor),
            str(entry.from_state or "–"),
            str(entry.to_state),
            str(entry.label or "–"),
            Text(entry.note or ""),
        )
    run.out.print(log)
    return 0


def _own_changes(store: Store, comment: Comment) -> list[tuple[str, str]]:
    """``show`` rows for a Webmention's source and an author's edits (issue 13)."""
    rows = []
    mention = store.mentions.of_comments([comment.id or ""]).get(comment.id or "")
    if mention is not None:
        rows.append(("webmention", f"{mention.kind or 'mention'} from {mention.source}"))
        rows.append(
            ("source state", f"{mention.state}{f': {mention.problem}' if mention.problem else ''}")
        )
    if comment.edited_at is not None:
        rows.append(("edited", f"{_when(comment.edited_at)} by its author"))
    if comment.withdrawn_at is not None:
        rows.append(("withdrawn", f"{_when(comment.withdrawn_at)}: never published again"))
    return rows


def cmd_moderate(run: CommandRun, args: argparse.Namespace) -> int:
    filters = args.article or args.reason or args.older_than is not None
    bulk = args.all_in  # State.HELD for --all-held, State.SPAM for --all-spam
    if bulk and args.ids:
        raise UsageError(f"give comment ids or --all-{bulk}, not both")
    if not bulk and not args.ids:
        raise UsageError(f"{args.command}: give comment ids, --all-held or --all-spam")
    if filters and not bulk:
        raise UsageError("--article, --reason and --older-than go with --all-held or --all-spam")
    # ID@VERSION (as `show` printed it): refused if the text has changed since.
    targets: list[Any] = [target.partition("@")[0] for target in args.ids]
    seen = {cid: version for cid, _, version in (t.partition("@") for t in args.ids) if version}
    for comment_id, version in seen.items():
        if not VERSION_PATTERN.fullmatch(version):
            raise UsageError(f"{comment_id}@{version}: give the version as `show` prints it")
    if bulk:
        targets = select_comments(
            run.store,
            bulk,
            article=args.article,
            reason=args.reason,
            older_than=None if args.older_than is None else timedelta(days=args.older_than),
        )
        if not targets:
            run.say(f"no {bulk} comments match")
            return 0
    report = moderate(
        run.store,
        run.settings,
        targets,
        args.command,
        actor=_actor(args),
        note=args.note,
        seen=seen,
    )
    for line in report.moves() + report.feedback:
        run.say(line)
    if report.training is not None:
        run.say(report.training.message)
    for warning in report.warnings:
        run.warn(f"warning: {warning}")
    return 0


class _ProgressBar:
    """A rich progress bar fed by screening's progress callback."""

    def __init__(self, run: CommandRun, description: str) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=run.err,
            transient=True,
        )
        self.task = self.progress.add_task(description, total=None)

    def __enter__(self) -> Callable[..., None]:
        self.progress.start()
        return self.update

    def __exit__(self, *exc_info: object) -> None:
        self.progress.stop()

    def update(self, done: int, total: int | None = None) -> None:
        self.progress.update(self.task, completed=done, total=total)


def _retention(run: CommandRun) -> None:
    _say_retention(run, apply_retention(run.store, run.settings))


def _say_retention(run: CommandRun, hashed: int) -> None:
    if hashed:
        days = run.settings["COMMENTS_RETENTION_DAYS"]
        run.say(
            f"retention: IP and user agent of {counted(hashed, 'comment')} older than "
            f"{days} days replaced by keyed hashes"
        )


def _verify_mentions(run: CommandRun) -> None:
    """Fetch the sources of pending Webmentions first, so verified ones are screened now."""
    from .webmention import verify_pending

    outcomes = verify_pending(run.store, run.settings)
    for outcome in outcomes:
        mention = run.store.mentions.get(outcome.mention_id)
        why = f": {outcome.problem}" if outcome.problem else ""
        run.say(f"webmention {mention.source} → {mention.target}: {outcome.state}{why}")


def cmd_screen(run: CommandRun, args: argparse.Namespace) -> int:
    from .screening import Screener, screen_due

    store, settings = run.store, run.settings
    _verify_mentions(run)
    with (
        Screener.from_settings(settings, store) as screener,
        _ProgressBar(run, "screening") as progress,
    ):
        report = screen_due(store, screener, progress=progress)
    run.say(str(report))
    # After screening, so a comment imported late still reaches Akismet with its IP.
    _retention(run)
    return 0


def cmd_notify(run: CommandRun, args: argparse.Namespace) -> int:
    from .notify import send_due

    store = run.store
    if args.bounced:
        store.subscriptions.mark_bounced(
            args.bounced, "reported with `moderation notify --bounced`"
        )
        run.say(f"{mask_email(args.bounced)} will not be mailed again")
        return 0
    if args.clear_bounce:
        cleared = store.subscriptions.clear_bounce(args.clear_bounce)
        run.say(
            f"{mask_email(args.clear_bounce)} "
            + ("may be mailed again" if cleared else "was not marked as bounced")
        )
        return 0
    report = send_due(store, run.settings, waiting_too=args.all)
    for line in report.lines():
        run.say(line)
    run.say(report.summary())
    return 0


def cmd_recheck(run: CommandRun, args: argparse.Namespace) -> int:
    with _ProgressBar(run, "rechecking") as progress:
        report = recheck_held(run.store, run.settings, everything=args.all, progress=progress)
    if not report.rescreened:
        run.say("no held comments to recheck" if args.all else "no recheck pending")
    else:
        run.say(str(report))
    return 0


def cmd_retrain(run: CommandRun, args: argparse.Namespace) -> int:
    from .screening import learned

    run.say(learned.retrain(run.store, run.settings).message)
    return 0


def cmd_import(run: CommandRun, args: argparse.Namespace) -> int:
    from .importers import import_file

    report = import_file(run.store, run.settings, args.file)
    for error in report.errors:
        run.warn(f"error: {error}")
    for line, existing in report.duplicates:
        run.say(f"{args.file}:line {line}: already stored as {existing}, skipped")
    run.say(
        f"imported {counted(len(report.imported), 'comment')} from {args.file} "
        f"({counted(report.lines, 'line')}, {counted(len(report.duplicates), 'duplicate')}, "
        f"{counted(len(report.errors), 'error')})"
    )
    return 1 if report.errors else 0


def _say_import(run: CommandRun, report: Any) -> int:
    for line in report.lines():
        run.say(line)
    for error in report.errors:
        run.warn(f"error: {error}")
    run.say(report.summary())
    return 1 if report.errors else 0


def cmd_import_wordpress(run: CommandRun, args: argparse.Namespace) -> int:
    from .importers import import_wordpress

    return _say_import(run, import_wordpress(run.store, run.settings, args.file, args.content))


def cmd_import_disqus(run: CommandRun, args: argparse.Namespace) -> int:
    from .importers import import_disqus

    return _say_import(run, import_disqus(run.store, run.settings, args.file, args.content))


def cmd_publish(run: CommandRun, args: argparse.Namespace) -> int:
    report = publish_approved(run.store, run.settings, args.content)
    _say_retention(run, report.retention_hashed)
    for line in report.lines():
        run.say(line)
    run.say(report.summary())
    return 0


def _with_content(run: CommandRun, content: Path | None) -> Settings:
    """The settings, with PATH replaced when ``--content`` names another folder."""
    if content is None:
        return run.settings
    return run.settings.with_overrides(PATH=str(content.resolve()))


def cmd_export(run: CommandRun, args: argparse.Namespace) -> int:
    data = export_commenter(run.store, _with_content(run, args.content), args.email)
    if not data["comments"]:
        run.warn(f"no comments are held for {mask_email(args.email)}")
    run.say(json.dumps(data, indent=2, ensure_ascii=False))
    return 0


def cmd_erase(run: CommandRun, args: argparse.Namespace) -> int:
    report = erase_commenter(run.store, _with_content(run, args.content), args.email)
    if not report.comments and not report.notification_rows:
        run.say(f"nothing is held for {report.email}")
        return 0
    for comment_id in report.comments:
        run.say(f"erased comment {comment_id}")
    if report.notification_rows:
        run.say("erased the reply-email subscription and the emails sent to the address")
    for path in report.files_removed:
        run.say(f"removed {path}")
    for path in report.tombstones:
        run.say(f"replaced {path} by a tombstone (others replied to it)")
    if report.model_retrained:
        run.say("retrained the model without them")
    run.say(f"erased everything held for {report.email}")
    if report.files_removed or report.tombstones:
        run.say("rebuild and deploy the site so the pages and feeds drop them too")
    return 0


def _batch_errors(run: CommandRun, report: Any) -> int:
    for error in report.errors:
        run.warn(f"error: {run.args.file}: {error}")
    return 1 if report.errors else 0


def cmd_train(run: CommandRun, args: argparse.Namespace) -> int:
    from .batch import train_file

    report = train_file(run.store, run.settings, args.file)
    run.say(f"trained from {args.file}: {report}")
    return _batch_errors(run, report)


def cmd_classify(run: CommandRun, args: argparse.Namespace) -> int:
    from .batch import classify_file

    report = classify_file(run.store, run.settings, args.file, sys.stdout)
    sys.stdout.flush()
    return _batch_errors(run, report)


def cmd_serve(run: CommandRun, args: argparse.Namespace) -> int:
    from .web import serve

    # Loopback by default: in production COMMENTS_INTAKE_URL names the public host,
    # which the reverse proxy listens on, not this service.
    host = args.host or "127.0.0.1"
    # --port 0 (any free port) is a real choice, not "unset".
    intake = urlsplit(run.settings["COMMENTS_INTAKE_URL"])
    port = args.port if args.port is not None else (intake.port or 8080)
    # No retention here: the service's screening worker applies it at start and hourly.
    run.close()  # the service opens its own connections, one per thread
    serve(run.settings, run.db_path, host, port)
    return 0


def cmd_review_server(run: CommandRun, args: argparse.Namespace) -> int:
    from .web.review_app import serve_review

    run.close()  # the review UI opens its own connection for each request
    serve_review(
        run.settings,
        run.db_path,
        args.host,
        args.port,
        allowed_hosts=args.allowed_host or (),
        deploy_target=args.deploy_target,
        publish_settings=args.publish_settings,
    )
    return 0


# -- moderator accounts (issue 10) --------------------------------------------------


def _actor(args: argparse.Namespace) -> str:
    """Who the decision log says acted: ``--as NAME``, else the OS user."""
    return args.as_name or getpass.getuser()


def _read_password(run: CommandRun, name: str) -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"New password for {name}: ")
        if getpass.getpass("Again: ") != first:
            raise UsageError("the two passwords differ; nothing was changed")
        return first
    line = sys.stdin.readline()
    if not line:
        raise UsageError("no password on standard input (give it as one line)")
    return line.rstrip("\r\n")


def cmd_actions(run: CommandRun, args: argparse.Namespace) -> int:
    from .review import recent_actions

    actor = _actor(args)
    records = recent_actions(run.store, actor)
    if not records:
        run.say(f"{actor} has not acted on any comment yet")
        return 0
    last = "The last action" if len(records) == 1 else f"The last {len(records)} actions"
    table = Table(title=Text(f"{last} of {actor}, newest first"))
    for name in ("action id", "at", "action", "comments", "undo"):
        table.add_column(name, no_wrap=name == "action id")
    for record in records:
        if record.undoable:
            undo = f"{len(record.undoable)} can be undone"
        elif len(record.undone) == len(record.entries):
            undo = "undone"
        else:
            undo = "moved since"
        table.add_row(
            record.action_id,
            _when(record.at),
            record.action,
            Text(", ".join(record.comment_ids[:3]) + (" …" if len(record.entries) > 3 else "")),
            undo,
        )
    run.out.print(table)
    return 0


def cmd_undo(run: CommandRun, args: argparse.Namespace) -> int:
    from .review import UNDO_DEPTH, last_undoable, undo_action

    actor = _actor(args)
    action_id = args.action_id
    if action_id is None:
        latest = last_undoable(run.store, actor)
        if latest is None:
            raise UsageError(f"none of the last {UNDO_DEPTH} actions of {actor} can be undone")
        action_id = latest.action_id
    report = undo_action(run.store, run.settings, action_id, actor=actor, note=args.note)
    for line in report.lines():
        run.say(line)
    return 0 if report.undone else 1


def cmd_user(run: CommandRun, args: argparse.Namespace) -> int:
    from . import accounts

    store = run.store
    if args.user_command == "list":
        moderators = accounts.list_moderators(store)
        if not moderators:
            run.say(f"no moderator accounts; {accounts.ADD_HINT}")
            return 0
        table = Table()
        for name in ("name", "created", "password changed"):
            table.add_column(name)
        for moderator in moderators:
            table.add_row(
                Text(moderator.name),
                _when(moderator.created_at),
                _when(moderator.password_changed_at),
            )
        run.out.print(table)
        return 0
    name = accounts.check_name(args.name)
    if args.user_command == "remove":
        accounts.remove_moderator(store, name)
        run.say(f"removed moderator {name} (their sessions ended)")
        return 0
    if args.user_command == "passwd" and store.users.password_hash(name) is None:
        raise accounts.AccountError(f"there is no moderator {name!r}")
    if args.user_command == "add" and store.users.password_hash(name) is not None:
        raise accounts.AccountError(f"there is already a moderator {name!r}")
    password = _read_password(run, name)
    if args.user_command == "add":
        accounts.add_moderator(store, name, password)
        run.say(f"added moderator {name}")
    else:
        accounts.change_password(store, name, password)
        run.say(f"changed the password of {name} (their sessions ended)")
    return 0


# -- the parser --------------------------------------------------------------------


def _version() -> str:
    try:
        return importlib.metadata.version("social-comments")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout, not installed
        return "(not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moderation", description="Review, publish and look after blog comments."
    )
    parser.add_argument(
        "--db", metavar="PATH", help="the database (default: $MODERATION_DB or var/moderation.db)"
    )
    parser.add_argument(
        "--settings", metavar="FILE", help="settings file (default: ./pelicanconf.py if present)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[..., int], help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        return sub

    sub = command("status", cmd_status, "how many comments are in each state")
    sub.add_argument("--json", action="store_true", help="print JSON")

    sub = command("list", cmd_list, "list comments with their first screening reasons")
    sub.add_argument("--status", choices=[str(s) for s in State])
    sub.add_argument("--article", metavar="SLUG")
    sub.add_argument("--reason", metavar="TEXT", help="latest screening reasons contain TEXT")
    sub.add_argument(
        "--limit",
        type=int,
        default=LIST_LIMIT,
        metavar="N",
        help=f"the newest N comments (default {LIST_LIMIT}; 0: all)",
    )

    sub = command("show", cmd_show, "everything about one comment")
    sub.add_argument("id")

    for action in ACTIONS:
        sub = command(action, cmd_moderate, f"{action} comments")
        sub.add_argument(
            "ids",
            nargs="*",
            metavar="ID[@VERSION]",
            help="with @VERSION (as `show` prints it), refused if the text changed since",
        )
        bulk = sub.add_mutually_exclusive_group()
        bulk.add_argument(
            "--all-held",
            dest="all_in",
            action="store_const",
            const=State.HELD,
            help="every held comment that matches the filters",
        )
        bulk.add_argument(
            "--all-spam",
            dest="all_in",
            action="store_const",
            const=State.SPAM,
            help="every spam comment that matches (to rescue false positives)",
        )
        sub.add_argument("--article", metavar="SLUG", help="bulk: only this article")
        sub.add_argument("--reason", metavar="TEXT", help="bulk: latest reasons contain TEXT")
        sub.add_argument(
            "--older-than", type=float, metavar="DAYS", help="bulk: received more than DAYS ago"
        )
        sub.add_argument("--note", help="kept in the decision log")
        sub.add_argument(
            "--as",
            dest="as_name",
            metavar="NAME",
            help="the moderator the decision log names (default: your OS user name)",
        )

    command("screen", cmd_screen, "screen new comments and recheck those due")
    sub = command(
        "notify", cmd_notify, "send the alerts and reply emails that are due, once, and exit"
    )
    sub.add_argument(
        "--all", action="store_true", help="also retry messages still waiting out their backoff"
    )
    sub.add_argument("--bounced", metavar="EMAIL", help="never mail EMAIL again (a bounce report)")
    sub.add_argument("--clear-bounce", metavar="EMAIL", help="let EMAIL be mailed again")
    sub = command(
        "recheck", cmd_recheck, "recheck held comments waiting for an Akismet retry, due or not"
    )
    sub.add_argument(
        "--all",
        action="store_true",
        help="also re-screen the other held comments to refresh their signals "
        "(they stay held: their state is yours to decide)",
    )
    command("retrain", cmd_retrain, "rebuild the learned model from the decision log")

    sub = command("import", cmd_import, "import comments from a JSON-lines file")
    sub.add_argument("file", type=Path, metavar="FILE.jsonl")

    sub = command(
        "import-wordpress",
        cmd_import_wordpress,
        "import posts, pages and comments from a WordPress export (WXR)",
    )
    sub.add_argument("file", type=Path, metavar="FILE.xml")
    sub.add_argument(
        "--content", type=Path, metavar="DIR", help="write into this content folder (default: PATH)"
    )
    sub = command("import-disqus", cmd_import_disqus, "import comments from a Disqus export")
    sub.add_argument("file", type=Path, metavar="FILE.xml")
    sub.add_argument(
        "--content", type=Path, metavar="DIR", help="the articles' content folder (default: PATH)"
    )

    sub = command("publish", cmd_publish, "write approved comments into the content folder")
    sub.add_argument("--content", type=Path, metavar="DIR", help="content folder (default: PATH)")

    for name, handler, text in (
        ("export", cmd_export, "print everything held about one commenter as JSON"),
        ("erase", cmd_erase, "delete everything held about one commenter, published files too"),
    ):
        sub = command(name, handler, text)
        sub.add_argument("--email", required=True)
        sub.add_argument(
            "--content", type=Path, metavar="DIR", help="where comments were published"
        )

    sub = command("train", cmd_train, "teach the model from a labelled JSON-lines file")
    sub.add_argument("file", type=Path, metavar="FILE.jsonl")
    sub = command("classify", cmd_classify, "classify a JSON-lines file (JSON lines out)")
    sub.add_argument("file", type=Path, metavar="FILE.jsonl")

    sub = command("serve", cmd_serve, "run the comment intake service")
    sub.add_argument(
        "--host", help="default: 127.0.0.1 (behind a reverse proxy on the same machine)"
    )
    sub.add_argument(
        "--port", type=int, help="default: the port of COMMENTS_INTAKE_URL, else 8080 (0: any)"
    )

    sub = command(
        "review-server",
        cmd_review_server,
        "run the review queue in the browser (moderators log in: see `user add`)",
    )
    sub.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1 (this machine only)")
    sub.add_argument("--port", type=int, default=8081, help="default: 8081")
    sub.add_argument(
        "--allowed-host",
        action="append",
        metavar="NAME",
        help="also answer requests for this host name (repeatable; e.g. the name your "
        "reverse proxy passes on); loopback names and --host are always answered",
    )
    sub.add_argument(
        "--deploy-target",
        metavar="TARGET",
        help="where Publish and deploy deploys (default: DEPLOY_TARGET, as invoke publish)",
    )
    sub.add_argument(
        "--publish-settings",
        default="publishconf.py",
        metavar="FILE",
        help="the settings Publish and deploy builds with (default: publishconf.py)",
    )

    sub = command("actions", cmd_actions, "your last 20 actions, newest first, with their ids")
    sub.add_argument("--as", dest="as_name", metavar="NAME", help="another moderator's")
    sub = command(
        "undo", cmd_undo, "undo one of your last 20 actions (default: the newest that can be)"
    )
    sub.add_argument("action_id", nargs="?", metavar="ACTION_ID", help="from `actions`")
    sub.add_argument("--note", help="kept in the decision log")
    sub.add_argument(
        "--as", dest="as_name", metavar="NAME", help="whose action (default: your OS user name)"
    )

    sub = command("user", cmd_user, "moderator accounts for the review server")
    users = sub.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    users.add_parser(
        "add",
        help="add a moderator (password prompted twice, or one line on standard input)",
    ).add_argument("name", metavar="NAME")
    users.add_parser("list", help="list the moderators")
    users.add_parser("passwd", help="set a moderator's password (their sessions end)").add_argument(
        "name", metavar="NAME"
    )
    users.add_parser("remove", help="remove a moderator (their sessions end)").add_argument(
        "name", metavar="NAME"
    )
    return parser


_log_handler: logging.Handler | None = None


def configure_logging(verbose: bool) -> None:
    """Log the package's messages to stderr (replacing any earlier handler of ours)."""
    global _log_handler
    package_logger = logging.getLogger("moderation")
    if _log_handler is not None:
        package_logger.removeHandler(_log_handler)
    _log_handler = logging.StreamHandler(sys.stderr)
    _log_handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    package_logger.addHandler(_log_handler)
    package_logger.setLevel(logging.DEBUG if verbose else logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version or a usage error already printed
        return int(exc.code or 0)
    configure_logging(args.verbose)
    run = CommandRun(args)
    try:
        return args.handler(run, args)
    except ModerationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except sqlite3.Error as exc:
        # Reached when another writer held the database past the busy timeout.
        print(f"error: database {run.db_path}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``moderation classify F | head``): stop quietly.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - flushed at exit, never read
        return 1
    finally:
        run.close()
