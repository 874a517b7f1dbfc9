"""Listeners for password rotation: the "Changed it" button; and the domain's description.

Password rotation is its own small domain rather than part of on call: it shares nothing with paging or the
rotation (its own table, button and organisation-file list), it is read by IT rather than by the on-call
contact, and keeping it apart keeps both folders small and their imports one-way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.accounts import service
from bot.accounts.ids import AccountIds
from bot.accounts.models import ITEM, Account
from bot.domain import Domain, Tick
from handlers.kit import action_ref, actor

if TYPE_CHECKING:
    from slack_bolt import Ack

    from bot.app import GuardedApp
    from bot.runtime import Runtime


def register(app: GuardedApp, rt: Runtime) -> None:
    @app.action(AccountIds.CHANGED)
    def password_changed(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        ref = action_ref(action, ITEM)
        rt.run(service.record_change, org=rt.org, calendar=rt.calendar, account_id=ref.id, actor=actor(body))


def schedule_reminders(rt: Runtime) -> None:
    if rt.org.accounts:  # with no [[accounts]] there is nothing to remind, and no query every tick
        rt.run(service.schedule_reminders, org=rt.org, calendar=rt.calendar)


DOMAIN = Domain(
    name="accounts",
    models=(Account,),
    listeners=register,
    timed={service.REMIND: service.remind},
    ticks=(Tick("schedule-password-reminders", schedule_reminders),),
)
