"""App Home: what waits on the board (for moderators) and the user's own flags."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.flags import service as flags
from bot.flags.blocks import home_flag_blocks
from bot.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any]) -> None:
        if event.get("tab") not in (None, "home"):
            return
        user = event["user"]
        board, mine = rt.read(flags.home_data, org=rt.org, user=user)
        blocks = home_flag_blocks(board, mine, is_moderator=rt.org.has_role(user, *flags.MODERATOR_ROLES))
        rt.door.publish_home(user, {"type": "home", "blocks": blocks})
