"""Listeners for on call: `/oncall` (who is on call, overrides) and the page's Acknowledge button; and the
on-call domain's description. Socket Mode and HTTP mode run these same listeners."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.domain import Domain, Tick
from bot.oncall import paging, schedule
from bot.oncall.blocks import cancelled_text, home_blocks, oncall_text, override_text
from bot.oncall.cards import render_page_dm
from bot.oncall.commands import USAGE, parse_command
from bot.oncall.ids import OncallIds
from bot.oncall.jobs import fetch_card_links
from bot.oncall.models import DM_CARD, ITEM, Override, Page, PageStep
from handlers.kit import action_ref, actor, typed

if TYPE_CHECKING:
    from slack_bolt import Ack

    from bot.app import GuardedApp
    from bot.runtime import Runtime


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def handover_words(rt: Runtime) -> str:
    weekday, at = rt.org.oncall_handover
    return f"{DAYS[weekday]} at {at:%H:%M} ({rt.org.timezone})"


def register(app: GuardedApp, rt: Runtime) -> None:
    @app.command(OncallIds.COMMAND)
    def oncall_command(ack: Ack, body: dict[str, Any], command: dict[str, Any]) -> None:
        request = parse_command(typed(command.get("text")))
        if request.kind == "help":
            ack(text=USAGE, response_type="ephemeral")
        elif request.kind == "show":
            view = rt.read(schedule.who_is_on_call, now=rt.clock.now(), org=rt.org)
            after_hours = not rt.calendar.is_business_time(rt.clock.now())
            text = oncall_text(
                view, rt.calendar.describe, handover_words(rt), rt.org.oncall_ack_minutes, after_hours
            )
            ack(text=text, response_type="ephemeral")
        elif request.kind == "cancel":
            who = command["user_id"]
            gone = rt.run(schedule.cancel_override, org=rt.org, actor=who, user=request.user)
            text = cancelled_text(gone.user, who, gone.starts_at, gone.ends_at, rt.calendar.describe)
            ack(text=text, response_type="ephemeral")
        else:
            who = command["user_id"]
            made = rt.run(schedule.add_override, org=rt.org, actor=who, user=request.user, when=request.when)
            text = override_text(made.user, who, made.starts_at, made.ends_at, rt.calendar.describe)
            ack(text=text, response_type="ephemeral")

    @app.action(OncallIds.ACKNOWLEDGE)
    def acknowledge(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        ref = action_ref(action, ITEM)
        rt.run(paging.acknowledge, page_id=ref.id, actor=actor(body))


def home_section(rt: Runtime, user: str) -> list[dict[str, Any]]:
    view = rt.read(schedule.who_is_on_call, now=rt.clock.now(), org=rt.org)
    return home_blocks(view, rt.calendar.describe)


DOMAIN = Domain(
    name="oncall",
    models=(Page, PageStep, Override),
    listeners=register,
    cards={DM_CARD: render_page_dm},
    timed={paging.ESCALATE: paging.escalate},
    ticks=(Tick("card-links", fetch_card_links),),
    home=home_section,
)
