"""App Home: each domain's section for this user, in the order of the list of domains."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.domain import Domain
from bot.slack import blocks as bk

if TYPE_CHECKING:
    from slack_bolt import Ack

    from bot.app import GuardedApp
    from bot.runtime import Runtime


def home_view(rt: Runtime, user: str) -> dict[str, Any]:
    sections: list[dict[str, Any]] = []
    for domain in rt.domains:
        if domain.home is not None and (blocks := domain.home(rt, user)):
            sections.extend([*([bk.divider()] if sections else []), *blocks])
    return bk.home(sections)


def register(app: GuardedApp, rt: Runtime) -> None:
    @app.event("app_home_opened")
    def home_opened(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = event["user"]
        rt.door.publish_home(user, home_view(rt, user))


DOMAIN = Domain(name="home", listeners=register)
