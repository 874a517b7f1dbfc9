"""The throwaway domain's listeners and its description."""

from __future__ import annotations

from typing import Any

from bot.domain import Domain
from handlers.kit import action_ref, actor, typed
from tests.throwaway import service


def register(app: Any, rt: Any) -> None:
    @app.command("/remind-me")
    def remind_me(ack: Any, body: dict[str, Any], command: dict[str, Any]) -> None:
        rt.run(service.ask, user=command["user_id"], text=typed(command.get("text")))
        ack(text="I'll send you a button to confirm.", response_type="ephemeral")

    @app.action(service.CONFIRM)
    def confirmed(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        rt.run(service.confirm, ref=action_ref(action, service.ITEM), actor=actor(body))


DOMAIN = Domain(name="reminders", listeners=register, timed={service.SEND: service.send})
