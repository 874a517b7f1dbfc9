"""Assembles and runs the sandbox: the Slack stand-in, the real bot on a fresh SQLite file with the sandbox's
clock, and one server on 127.0.0.1 for the bot's endpoints and the page.

Only this module builds the movable clock and the page's routes; `flagpost run` with real tokens never
reaches it, so time travel cannot be switched on there.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import signal
import tempfile
import threading
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from slack_bolt import App

from bot.config import Organization, Settings
from bot.oncall.schedule import who_is_on_call
from bot.runtime import Runtime
from bot.sandbox import tour, world
from bot.sandbox.api import BadRequest, make_sandbox_wsgi
from bot.sandbox.clock import OffsetClock
from bot.sandbox.workspace import Workspace
from bot.scheduler import run_due_work
from bot.slack.testkit.conversation import Conversation
from bot.slack.testkit.standin import SlackStandIn

log = logging.getLogger("flagpost.sandbox")
HOST = "127.0.0.1"  # loopback only, whatever the caller asks
SETTLE_SECONDS = 10.0
# Each open page holds one thread in its long poll, and each click needs two (the page's call, and the
# signed request it makes to /slack/events on the same server): room for a dozen tabs.
THREADS = 32


@dataclass
class Sandbox:
    org: Organization
    rt: Runtime
    app: App
    standin: SlackStandIn
    clock: OffsetClock
    workspace: Workspace
    known_commands: dict[str, bool]

    @property
    def talk(self) -> Conversation:
        return self.standin.conversation

    def person(self, user: str) -> str:
        if user not in {person["id"] for person in world.people(self.org)}:
            raise BadRequest(f"{user!r} is not one of the organisation's people")
        return user

    def knows(self, command: str) -> bool:
        return self.known_commands.get(command, True) and command not in self.workspace.unknown_commands

    def tour(self) -> list[dict[str, Any]]:
        entries = self.rt.read(tour.audit_entries, item_types={step.item_type for step in tour.STEPS})
        on_call = self.rt.read(who_is_on_call, org=self.org, now=self.rt.clock.now()).now
        return tour.progress(self.org, entries, self.knows, on_call_now=on_call.user if on_call else None)

    def clock_state(self) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "now": now.isoformat(),
            "epoch": now.timestamp(),
            "offset_minutes": round(self.clock.offset.total_seconds() / 60),
            "timezone": self.org.timezone,
            "business_hours": self.rt.calendar.is_business_time(now),
        }

    def describe(self) -> dict[str, Any]:
        return {
            **world.describe(self.org, self.talk.bot_user),
            "clock": self.clock_state(),
            "tour": self.tour(),
        }

    def feed(self, user: str, since: int, wait: float) -> dict[str, Any]:
        if wait:
            self.talk.wait_for_change(since, wait)
        return {**self.talk.visible_to(user, since), "clock": self.clock_state(), "tour": self.tour()}

    def move_clock(self, data: dict[str, Any]) -> dict[str, Any]:
        """Jump forward, then run the due work at once, so reminders and escalations show now."""
        try:
            if "to" in data:
                hours, minutes = (int(part) for part in str(data["to"]).split(":"))
                self.clock.advance_to(time(hours, minutes), self.org.tz)
            else:
                self.clock.advance(timedelta(minutes=float(data.get("minutes", 0))))
        except (ValueError, TypeError) as exc:
            raise BadRequest(f'give {{"minutes": N}} or {{"to": "HH:MM"}} ({exc})') from None
        run_due_work(self.rt)
        self.rt.wait_idle(SETTLE_SECONDS)
        self.talk.wake_all()  # the clock changed: every page should redraw
        return {"ok": True, "clock": self.clock_state(), "seq": self.talk.seq}


def _settings(org_file: Path, database: Path, api_url: str, port: int) -> Settings:
    return Settings(
        bot_token="xoxb-sandbox",  # the stand-in accepts anything; nothing leaves this machine
        signing_secret=secrets.token_hex(16),  # known only to this process: the page cannot skip the check
        app_token=None,
        slack_api_url=api_url,
        database_url=f"sqlite:///{database}",  # never DATABASE_URL
        org_file=org_file,
        port=port,
    )


def build(org: Organization, org_file: Path, database: Path, port: int) -> tuple[Sandbox, Any]:
    """The sandbox and its (not yet running) server."""
    from waitress.server import create_server

    from bot.app import build_app
    from bot.domains import start_runtime
    from bot.server import make_wsgi_app

    clock = OffsetClock()
    standin = SlackStandIn(clock=lambda: clock.now().timestamp(), strict=True).start()
    standin.users = {p["id"]: {"real_name": p["name"], "display_name": p["name"]} for p in world.people(org)}
    settings = _settings(org_file, database, standin.api_url, port)
    rt = start_runtime(settings, org, clock=clock)  # what `flagpost run` does, with the sandbox's clock
    app = build_app(rt)
    workspace = Workspace(
        org,
        standin.conversation,
        str(settings.signing_secret),
        standin.base_url + "/response/",
        settle=lambda: rt.wait_idle(SETTLE_SECONDS),
    )
    known = {command.command: tour.handles_command(app, command.command) for command in world.COMMANDS}
    sandbox = Sandbox(org, rt, app, standin, clock, workspace, known)
    server = create_server(
        make_sandbox_wsgi(sandbox, make_wsgi_app(rt, app)),
        host=HOST,
        port=port,
        threads=THREADS,
        ident="flagpost",
    )
    workspace.events_url = f"http://{HOST}:{server.effective_port}/slack/events"
    return sandbox, server


def serve(org: Organization, org_file: Path, port: int, announce: str | None = None) -> int:
    """`flagpost sandbox`: runs until interrupted; the SQLite file lives in a temporary folder."""
    from bot.scheduler import start_scheduler
    from bot.server import stop_http_server

    folder = Path(tempfile.mkdtemp(prefix="flagpost-sandbox-"))
    try:
        sandbox, server = build(org, org_file, folder / "flagpost-sandbox.db", port)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        print(
            f"The sandbox could not listen on {HOST}:{port} ({exc.strerror}); try --port with another number."
        )
        return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # before the URL is out: a stop then still cleans up
    scheduler = start_scheduler(sandbox.rt)
    url = f"http://{HOST}:{server.effective_port}/"
    print((announce or "Flagpost sandbox for {org}: open {url}").format(org=org.name, url=url), flush=True)
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown(wait=False)
        sandbox.talk.wake_all()
        stop_http_server(server, thread, timeout=5)
        sandbox.rt.wait_idle(timeout=5)
        sandbox.standin.stop()
        sandbox.rt.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
