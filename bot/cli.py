"""`flagpost run | sandbox | check | db …`, and every domain's own commands (`flagpost policy …`).

Each command imports what it uses when it runs: `flagpost --help` must not pay a second for SQLAlchemy,
Bolt, Alembic and every domain (bench/cold_start.py measures it).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from bot.errors import ConfigError, FlagpostError

if TYPE_CHECKING:
    from bot.config import Organization, Settings

log = logging.getLogger("flagpost")

MISSING_TOKENS = (
    "Flagpost needs {names} to talk to Slack: set {them} in the environment or in a .env file "
    "in the current directory (copy .env.example){socket}."
)
NO_SECRET_IN_SOCKET_MODE = "; Socket Mode (SLACK_APP_TOKEN set) needs no signing secret"
SANDBOX_INSTEAD = (
    "No Slack token is set, so Flagpost starts its sandbox, a stand-in for Slack in your browser: open {url}"
)
FATAL_AUTH_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "account_inactive"}

# Each domain's own commands: `flagpost <name> …` → (its Domain's `cli` hook, a one-line summary).
# `flagpost --help` lists them from here, and `flagpost policy ask` imports only the policy commands: going
# through bot/domains.py would import every domain, SQLAlchemy and Slack's SDK first (about a second).
# A domain that adds commands adds its line here too; tests/test_cli.py checks this table against each
# Domain's `cli` in bot/domains.py and says what is missing.
DOMAIN_COMMANDS: dict[str, tuple[str, str]] = {
    "policy": ("bot.policy.cli:add_policy_commands", "policy answers: ask, import, report, eval"),
    "deliveries": ("bot.deadletters:add_commands", "what Slack refused for good (dead letters); retry them"),
}
CORE_COMMANDS = {  # name → (summary, description)
    "run": (
        "start the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)",
        "Migrate the database and start the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on "
        "PORT. GET /healthz answers on PORT in both modes. SIGTERM or Ctrl-C stops it cleanly. With no Slack "
        "setting at all (no token, no signing secret) it starts the sandbox instead, on 127.0.0.1: a service "
        "that finds no .env in its working directory does that too, so set the tokens in its environment.",
    ),
    "check": (
        "check the settings, organisation file, clause files, database and token",
        "Check everything `flagpost run` needs, changing nothing; exit 1 if anything is wrong or to do.",
    ),
    "sandbox": (
        "try Flagpost without Slack: the real bot, and a page on 127.0.0.1 that plays Slack",
        "Start the real bot on its own SQLite file against a stand-in for Slack, and serve a page on "
        "127.0.0.1 that plays Slack (flagpost run does this when no Slack setting is configured).",
    ),
    "db": ("database schema: upgrade, downgrade", "Bring the schema up to date, or back to a revision."),
}
RUN_ENV = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "PORT", "HOST", "DATABASE_URL")
RUN_ENV += ("FLAGPOST_ORG", "FLAGPOST_POLICIES", "LOG_LEVEL", "SLACK_API_URL")
DB_ENV = ("DATABASE_URL", "LOG_LEVEL")
DOWNGRADE = "Take the schema back to a revision: base (empty), 0001, 0002…"


def _say(ok: bool | None, what: str) -> None:
    print(f"{'ok  ' if ok else 'todo' if ok is None else 'FAIL'} {what}", flush=True)


def no_slack_at_all(settings: Settings) -> bool:
    """Nothing about Slack is configured: a first try, which the sandbox answers."""
    return not (settings.bot_token or settings.app_token or settings.signing_secret)


def cmd_run(settings: Settings) -> int:
    from bot import lifecycle
    from bot.app import build_app
    from bot.config import load_organization
    from bot.domains import start_runtime
    from bot.scheduler import start_scheduler
    from bot.slack.door import SlackCallFailed

    if no_slack_at_all(settings):
        return cmd_sandbox(settings, settings.port, announce=SANDBOX_INSTEAD)
    missing = settings.missing_for_run()
    if missing:
        socket = NO_SECRET_IN_SOCKET_MODE if "SLACK_SIGNING_SECRET" in missing else ""
        them = "it" if len(missing) == 1 else "them"
        print(MISSING_TOKENS.format(names=" and ".join(missing), them=them, socket=socket))
        return 2
    if problems := settings.token_problems():
        raise ConfigError(f"{problems[0]}.")
    org = load_organization(settings.org_file)
    rt = start_runtime(settings, org)
    app = build_app(rt)
    # What start-up built (the policy index, every module) lives as long as the process: keep the garbage
    # collector from walking it again at every full collection, which paused all threads for up to 155 ms
    # under load (bench/front_door.py, measured with gc.callbacks).
    gc.freeze()
    try:
        identity = rt.door.auth_test()
        log.info("connected to Slack as %s in %s", identity.get("user"), identity.get("team"))
    except SlackCallFailed as exc:
        if exc.error in FATAL_AUTH_ERRORS:
            print(
                f"Slack refused SLACK_BOT_TOKEN ({exc.error}). Copy the Bot User OAuth Token from your "
                "Slack app's 'OAuth & Permissions' page."
            )
            return 2
        log.warning("could not verify the bot token with Slack (%s); starting anyway", exc.error)
    stop = lifecycle.StopSignal().install()  # SIGTERM is handled like Ctrl-C
    try:
        if settings.socket_mode:
            serving: lifecycle.Serving = lifecycle.serve_socket_mode(rt, app, settings)
            log.info("Flagpost for %s: Socket Mode (GET /healthz on port %s)", org.name, settings.port)
        else:
            serving = lifecycle.serve_http(rt, app, settings)
            log.info(
                "Flagpost for %s: HTTP on port %s (POST /slack/events, GET /healthz)", org.name, settings.port
            )
        scheduler = start_scheduler(rt)
        stop.wait()
        lifecycle.shut_down(rt, serving, scheduler)
    finally:
        stop.restore()
        rt.engine.dispose()  # also when it could not start: SQLite leaves no -wal/-shm behind
    return 0


def _check_database(settings: Settings) -> bool | None:
    """ok, todo (the schema is behind: say what to run) or FAIL. Creates nothing, not even a SQLite file."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot import db

    try:
        engine = db.make_engine(settings.database_url)
        where = f"database {engine.url.render_as_string(hide_password=True)}"
        if engine.dialect.name == "sqlite":
            db.check_sqlite_file(engine.url.database or "")
        if engine.dialect.name == "sqlite" and not _sqlite_file_exists(engine.url.database):
            _say(None, f"{where}: not created yet; run 'flagpost db upgrade' (flagpost run does it too)")
            return None
        current, head = db.stored_revision(engine), db.head_revision(settings.database_url)
        engine.dispose()
    except (SQLAlchemyError, ConfigError) as exc:
        _say(False, f"database: {exc.message if isinstance(exc, ConfigError) else db.describe_error(exc)}")
        return False
    if current != head:
        behind = f"schema at {current or 'empty'}, newest is {head}"
        _say(None, f"{where}: reachable, {behind}: run 'flagpost db upgrade' (flagpost run does it too)")
        return None
    _say(True, f"{where}: reachable, schema up to date")
    return True


def _sqlite_file_exists(database: str | None) -> bool:
    from pathlib import Path

    return not database or database == ":memory:" or Path(database).exists()


def _check_slack(settings: Settings) -> bool:
    from bot.slack.door import SlackCallFailed, SlackDoor, build_web_client

    try:
        door = SlackDoor(build_web_client(settings.bot_token, settings.slack_api_url))
        identity = door.auth_test()
    except SlackCallFailed as exc:
        _say(False, f"Slack: auth.test failed: {slack_reason(exc, settings.slack_api_url)}")
        return False
    _say(True, f"Slack: the token works (bot {identity.get('user')} in {identity.get('team')})")
    return True


def slack_reason(exc: Any, api_url: str) -> str:
    """Why a Slack call failed, in words: Slack's own error code, or why Slack could not be reached."""
    cause = exc.__cause__
    reason = getattr(cause, "reason", None)  # urllib's URLError wraps the socket's error
    if reason is not None or isinstance(cause, OSError):
        return f"could not reach {api_url} ({reason or cause})"
    if exc.error in FATAL_AUTH_ERRORS:
        return f"Slack refused SLACK_BOT_TOKEN ({exc.error})"
    return str(exc.error)


def _check_clauses(settings: Settings, org: Organization | None) -> bool:
    from bot.policy.files import clause_directories, clause_files

    try:
        directories = clause_directories(settings, org)
    except ConfigError as exc:
        _say(False, f"clause files: {exc.message}")
        return False
    files = clause_files(directories)
    for directory in directories:
        names = sorted(name for name, path in files.items() if path.parent == directory)
        kind = "shipped" if directory == directories[0] else "your own"
        _say(True, f"clause files, {kind}, in {directory}: {', '.join(names) or 'none'}")
    from bot.policy.embedding import model_status

    _say(True, f"policy search: {model_status()}")
    return True


def cmd_sandbox(settings: Settings, port: int, announce: str | None = None) -> int:
    """The sandbox builds its own settings (a fresh SQLite file, the stand-in, its own signing secret):
    of these settings it keeps only the organisation file."""
    from bot.config import load_organization
    from bot.sandbox.run import serve

    return serve(load_organization(settings.org_file), settings.org_file, port, announce)


def cmd_check(settings: Settings) -> int:
    from bot.config import load_organization

    results: list[bool | None] = []
    missing = settings.missing_for_run()
    problems = [f"missing {', '.join(missing)}"] if missing else settings.token_problems()
    _say(not problems, "settings: " + ("; ".join(problems) if problems else "tokens are set"))
    results.append(not problems)
    org = None
    try:
        org = load_organization(settings.org_file)
        about = f"{org.name}, {org.timezone}, holidays of {org.holiday_region}"
        _say(True, f"organisation file {settings.org_file}: {about}")
    except ConfigError as exc:
        _say(False, f"organisation file: {exc.message}")
    results += [org is not None, _check_clauses(settings, org), _check_database(settings)]
    if not problems:
        results.append(_check_slack(settings))
    failed, todo = results.count(False), results.count(None)
    summary = [f"{failed} problem(s) found"] * bool(failed) + [f"{todo} thing(s) to do"] * bool(todo)
    print("; ".join(summary) + "." if summary else "All good.")
    return 1 if summary else 0


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    from bot import db

    if args.db_command == "upgrade":
        db.prepare_database(settings.database_url)
        print("The database schema is up to date.")
    elif args.db_command == "downgrade":
        engine = db.make_engine(settings.database_url)
        if engine.dialect.name == "sqlite" and not _sqlite_file_exists(engine.url.database):
            raise ConfigError(
                f"DATABASE_URL: {engine.url.database} does not exist: there is nothing to downgrade"
            )
        db.downgrade(settings.database_url, args.revision)
        print(f"The database schema is now at {args.revision}.")
    return 0


class Parser(argparse.ArgumentParser):
    """argparse that states a usage mistake in one line instead of the usage text and then the mistake."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


class _Version(argparse.Action):
    """--version, reading the installed package's metadata only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS, **kwargs: Any):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"flagpost {version('flagpost')}")
        except PackageNotFoundError:
            print("flagpost (not installed: running from a checkout)")
        parser.exit()


def _command(sub: Any, name: str, summary: str, description: str, *env: str) -> argparse.ArgumentParser:
    from bot.config import environment_help

    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=textwrap.fill(description, 100),
        epilog=environment_help(*env),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def domain_commands(hook: str) -> Callable[[Any], None]:
    """A domain's `cli` hook from its "module:function" name in DOMAIN_COMMANDS."""
    module, _, function = hook.partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]


def build_parser(argv: Sequence[str] = ()) -> Parser:
    """The parser; a domain's commands are imported only when `argv` names that domain."""
    parser = Parser(
        prog="flagpost",
        description="Flagpost: an organisation's social-media policy in Slack.",
        epilog="Each command's --help lists the environment variables it reads.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = {
        name: _command(sub, name, summary, description, *(DB_ENV if name == "db" else RUN_ENV))
        for name, (summary, description) in CORE_COMMANDS.items()
    }
    commands["sandbox"].add_argument("--port", type=int, default=None, help="the page's port (default: PORT)")
    dbsub = commands["db"].add_subparsers(dest="db_command", required=True, metavar="{upgrade,downgrade}")
    _command(
        dbsub, "upgrade", "bring the schema to the newest version", "Migrate to the newest schema.", *DB_ENV
    )
    down = _command(dbsub, "downgrade", "take the schema back to a revision", DOWNGRADE, *DB_ENV)
    down.add_argument("revision")
    wanted = next((word for word in argv if not word.startswith("-")), None)
    for name, (hook, summary) in DOMAIN_COMMANDS.items():
        if name == wanted:
            domain_commands(hook)(sub)
        else:  # listed in --help; built for real only when named
            sub.add_parser(name, help=summary, add_help=False).add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    try:
        from bot.config import load_settings
        from bot.logs import setup_logging

        settings = load_settings()
        # `check` prints a report; library warnings on the same terminal would cut through it.
        quiet = args.command == "check" and settings.log_level != "DEBUG"
        setup_logging("CRITICAL" if quiet else settings.log_level)
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "check":
            return cmd_check(settings)
        if args.command == "sandbox":
            return cmd_sandbox(settings, settings.port if args.port is None else args.port)
        if args.command == "db":
            return cmd_db(settings, args)
        return int(args.handler(settings, args))
    except FlagpostError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `flagpost policy ask … | head` closed its end early: nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
