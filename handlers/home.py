"""App Home: what waits on the board (for moderators) and the user's own flags."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack

from bot.flags import service as flags
from bot.flags.blocks import home_flag_blocks
from bot.runtime import Runtime
from bot.slack.app import GuardedApp


def register(app: GuardedApp, rt: Runtime) -> None:
    @app.event("app_home_opened")
    def home_opened(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = event["user"]
        board, mine = rt.read(flags.home_data, org=rt.org, user=user)
        blocks = home_flag_blocks(board, mine, is_moderator=rt.org.has_role(user, *flags.MODERATOR_ROLES))
        rt.door.publish_home(user, {"type": "home", "blocks": blocks})
