"""Thin Slack listeners: read the payload, call one service, render Block Kit."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.slack.app import GuardedApp


def register_all(app: GuardedApp, rt: Runtime) -> None:
    from handlers import flags, home, policy

    flags.register(app, rt)
    home.register(app, rt)
    policy.register(app, rt)
