"""Thin Slack listeners: read the payload, call one service, render Block Kit."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime


def register_all(app: App, rt: Runtime) -> None:
    from handlers import flags, home

    flags.register(app, rt)
    home.register(app, rt)
