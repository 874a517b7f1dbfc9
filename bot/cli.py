"""`flagpost run | sandbox | check | db …`, and every domain's own commands (`flagpost policy …`)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from bot import db
from bot.config import Settings, load_organization, load_settings
from bot.errors import ConfigError, FlagpostError

log = logging.getLogger("flagpost")

MISSING_TOKENS = (
    "Flagpost needs {names} to talk to Slack: set {them} in the environment or in a .env file "
    "beside the Makefile (copy .env.example), or set SLACK_APP_TOKEN too for Socket Mode."
)
SANDBOX_INSTEAD = (
    "No Slack token is set, so Flagpost starts its sandbox, a stand-in for Slack in your browser: open {url}"
)
FATAL_AUTH_ERRORS = {"invalid_auth", "not_authed", "token_revoked", "account_inactive"}


def _say(ok: bool, what: str) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {what}")


def no_slack_at_all(settings: Settings) -> bool:
    """Nothing about Slack is configured: a first try, which the sandbox answers."""
    return not (settings.bot_token or settings.app_token or settings.signing_secret)


def cmd_run(settings: Settings) -> int:
    from bot.app import build_app
    from bot.domains import start_runtime
    from bot.scheduler import start_scheduler
    from bot.server import make_http_server
    from bot.slack.door import SlackCallFailed

    if no_slack_at_all(settings):
        return cmd_sandbox(settings, settings.port, announce=SANDBOX_INSTEAD)
    missing = settings.missing_for_run()
    if missing:
        print(MISSING_TOKENS.format(names=" and ".join(missing), them="it" if len(missing) == 1 else "them"))
        return 2
    org = load_organization(settings.org_file)
    rt = start_runtime(settings, org)
    app = build_app(rt)
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
    scheduler = start_scheduler(rt)
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("Flagpost for %s: Socket Mode", org.name)
            SocketModeHandler(app, settings.app_token).start()
        else:
            server = make_http_server(rt, app, host="0.0.0.0", port=settings.port)
            log.info(
                "Flagpost for %s: HTTP on port %s (POST /slack/events, GET /healthz)", org.name, settings.port
            )
            server.run()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        rt.wait_idle(timeout=10)
    return 0


def cmd_sandbox(settings: Settings, port: int, announce: str | None = None) -> int:
    """The sandbox builds its own settings (a fresh SQLite file, the stand-in, its own signing secret):
    of these settings it keeps only the organisation file."""
    from bot.sandbox.run import serve

    return serve(load_organization(settings.org_file), settings.org_file, port, announce)


def cmd_check(settings: Settings) -> int:
    from bot.slack.door import SlackCallFailed, SlackDoor, build_web_client

    problems = 0
    missing = settings.missing_for_run()
    _say(not missing, "settings: " + ("tokens are set" if not missing else f"missing {', '.join(missing)}"))
    problems += bool(missing)
    org = None
    try:
        org = load_organization(settings.org_file)
        _say(
            True,
            f"organisation file {settings.org_file}: {org.name}, {org.timezone}, "
            f"holidays of {org.holiday_region}",
        )
    except ConfigError as exc:
        _say(False, f"organisation file: {exc.message}")
        problems += 1
    try:
        engine = db.make_engine(settings.database_url)
        db.ping(engine)
        current, head = db.current_revision(engine), db.head_revision(settings.database_url)
        state = (
            "up to date"
            if current == head
            else f"at {current or 'empty'}, newest is {head}: run 'flagpost db upgrade'"
        )
        _say(True, f"database {engine.url.render_as_string(hide_password=True)}: reachable, schema {state}")
    except (SQLAlchemyError, ConfigError) as exc:
        _say(False, f"database: {getattr(exc, 'message', None) or str(exc).splitlines()[0]}")
        problems += 1
    if settings.bot_token and org is not None:
        try:
            door = SlackDoor(build_web_client(settings.bot_token, settings.slack_api_url))
            identity = door.auth_test()
            _say(True, f"Slack: the token works (bot {identity.get('user')} in {identity.get('team')})")
        except SlackCallFailed as exc:
            _say(False, f"Slack: auth.test failed ({exc.error})")
            problems += 1
    print("All good." if not problems else f"{problems} problem(s) found.")
    return 1 if problems else 0


def cmd_db(settings: Settings, args: argparse.Namespace) -> int:
    if args.db_command == "upgrade":
        db.prepare_database(settings.database_url)
        print("The database schema is up to date.")
    elif args.db_command == "downgrade":
        db.downgrade(settings.database_url, args.revision)
        print(f"The database schema is now at {args.revision}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="flagpost", description="Flagpost: social-media policy in Slack.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the bot (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)")
    sandbox = sub.add_parser(
        "sandbox", help="try Flagpost without Slack: the real bot, and a page on 127.0.0.1 that plays Slack"
    )
    sandbox.add_argument("--port", type=int, default=None, help="the page's port (default: PORT, 3000)")
    sub.add_parser("check", help="check the settings, the organisation file, the database and the token")
    dbp = sub.add_parser("db", help="database schema")
    dbsub = dbp.add_subparsers(dest="db_command", required=True)
    dbsub.add_parser("upgrade", help="bring the schema to the newest version")
    down = dbsub.add_parser("downgrade", help="take the schema back to a revision")
    down.add_argument("revision")
    from bot.domains import DOMAINS

    for domain in DOMAINS:
        if domain.cli is not None:
            domain.cli(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "run":
            return cmd_run(settings)
        if args.command == "sandbox":
            return cmd_sandbox(settings, settings.port if args.port is None else args.port)
        if args.command == "check":
            return cmd_check(settings)
        if args.command == "db":
            return cmd_db(settings, args)
        return int(args.handler(settings, args))
    except FlagpostError as exc:
        print(exc.message, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
