"""Helpers for the on-call, paging and reminder tests: moments in the demo town's zone, reading page DMs as the
Slack stand-in recorded them, and starting a second (or restarted) Flagpost on the same database."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy import select

from bot.app import build_app
from bot.audit import AuditEvent
from bot.clock import FrozenClock
from bot.config import Organization
from bot.domains import DOMAINS
from bot.runtime import Runtime, build_runtime
from bot.server import make_http_server
from bot.slack.testkit.standin import Call, SlackStandIn
from tests.conftest import make_settings
from tests.harness import BotClient

EDMONTON = ZoneInfo("America/Edmonton")
MODERATION = "C0MODERATE"
HACKED = (
    "https://www.facebook.com/prairiecrossing/posts/9 Our Facebook page was hacked, it is posting crypto ads"
)
QUESTION = "https://www.facebook.com/prairiecrossing/posts/7 Someone asks when the pool reopens?"


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=EDMONTON)


def at(bot: BotClient, moment: datetime) -> None:
    bot.rt.clock.set(moment.astimezone(ZoneInfo("UTC")))  # type: ignore[attr-defined]


def page_calls(slack: SlackStandIn, user: str) -> list[Call]:
    """Every post and edit of the page DMs to `user`, in order."""
    channel = slack.dm_channel(user)
    return [
        call
        for call in slack.calls
        if call.ok
        and call.method in ("chat.postMessage", "chat.update")
        and call.get("channel") == channel
        and str(call.get("text", "")).startswith("Urgent:")
    ]


def pages_to(slack: SlackStandIn, user: str) -> list[Call]:
    """The page DMs posted to `user` (one per time they were paged)."""
    return [call for call in page_calls(slack, user) if call.method == "chat.postMessage"]


def latest_page(slack: SlackStandIn, user: str) -> Call:
    """The page DM to `user` as it shows now (its newest post or edit)."""
    calls = page_calls(slack, user)
    assert calls, f"{user} was never paged"
    return calls[-1]


def as_shown(call: Call) -> dict:
    """A recorded edit, as a message the user can click in (press() needs its channel and ts)."""
    return {
        "channel": call.get("channel"),
        "ts": call.get("ts") or call.response.get("ts"),
        "blocks": call.blocks,
    }


def audit_of(bot: BotClient, item_type: str) -> list[tuple[str, str]]:
    rows = bot.query(
        lambda s: s.execute(
            select(AuditEvent.action, AuditEvent.actor)
            .where(AuditEvent.item_type == item_type)
            .order_by(AuditEvent.id)
        ).all()
    )
    return [(row[0], row[1]) for row in rows]


def start_bot(database_url: str, slack: SlackStandIn, clock: FrozenClock, org: Organization) -> BotClient:
    """Another Flagpost process on the same database: a restart, or a second replica."""
    rt: Runtime = build_runtime(
        make_settings(database_url, slack),
        org,
        DOMAINS,
        clock=clock,
        retry_interval=FixedValueRetryIntervalCalculator(0),
    )
    app = build_app(rt)
    server = make_http_server(rt, app, host="127.0.0.1", port=0, threads=4)
    return BotClient(rt, app, slack, server)
