"""Who and where, in the sandbox: the organisation's people with their roles, its channels, and the slash
commands and shortcuts the Slack app declares (the same as slack-manifest.yml; a test keeps them equal)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.config import ROLES, Organization

GENERAL_CHANNEL = "C0GENERAL"  # where employees talk; not in organization.toml, as in a real workspace
BOT_NAME = "Flagpost"
SLACKBOT = "USLACKBOT"
ROLE_LABELS = {
    "moderator": "moderator",
    "director": "director",
    "cao": "CAO",
    "it": "IT",
    "communications": "communications",
    "admin": "admin",
}
BARE_URL = re.compile(r"(?<![<|\w])(https?://[^\s<>|]+[^\s<>|.,;:!?)])")
CHANNEL_NAMES = {
    "moderation": "moderation",
    "approvals": "approvals",
    "it": "it-desk",
    "communications": "comms",
}


@dataclass(frozen=True)
class Command:
    command: str
    description: str
    usage_hint: str = ""
    should_escape: bool = False  # as in the manifest: Slack turns "@Name" into <@U…> in its text


@dataclass(frozen=True)
class Shortcut:
    callback_id: str
    name: str


COMMANDS = (
    Command(
        "/flag",
        "Flag a post for the moderators (a link and what you saw)",
        "https://link-to-the-post what you saw",
    ),
    Command(
        "/policy",
        "Ask the social-media policy a question",
        "can I share photos from work on my own Facebook?",
    ),
    Command(
        "/request",
        "Ask for access, sharing, a new account or photo approval",
        "access | share | account | photo",
    ),
    Command(
        "/oncall",
        "Who is on call for communications now and next",
        "[me <from> <to> | cover @someone <from> <to> | cancel [@someone]]",
        should_escape=True,
    ),
)
SHORTCUTS = (Shortcut("flag_message", "Flag for moderators"),)


def roles_of(org: Organization, user: str) -> list[str]:
    roles = [ROLE_LABELS[role] for role in ROLES if user in org.roles.get(role, ())]
    if user in org.oncall_rotation:
        roles.append("on call" if org.oncall_rotation[0] == user else "on-call rotation")
    return roles


def people(org: Organization) -> list[dict[str, Any]]:
    """Everyone the organisation file names: `[people]` first (in its order), then anyone in a role."""
    ids = list(org.people)
    for role in ROLES:
        ids += org.roles.get(role, ())
    ids += org.oncall_rotation
    return [
        {"id": user, "name": org.name_of(user), "roles": roles_of(org, user) or ["employee"]}
        for user in dict.fromkeys(ids)
    ]


def person_for(org: Organization, who: str, on_call_now: str | None = None) -> str | None:
    """The person who plays a part of the story: a role name, "employee" (someone with no role) or
    "oncall" (whoever is on call now, by the rotation and its overrides; else the rotation's first)."""
    if who == "oncall":
        return on_call_now or (org.oncall_rotation[0] if org.oncall_rotation else None)
    everyone = [person["id"] for person in people(org)]
    if who == "employee":
        plain = [user for user in everyone if not roles_of(org, user)]
        return (plain or everyone or [None])[0]
    holders = org.roles.get(who, ())
    return holders[0] if holders else None


def channels(org: Organization) -> list[dict[str, str]]:
    found = [{"id": GENERAL_CHANNEL, "name": "general"}]
    for key, channel in org.channels.items():
        if channel not in (entry["id"] for entry in found):
            found.append({"id": channel, "name": CHANNEL_NAMES.get(key, key)})
    return found


def channel_name(org: Organization, channel: str) -> str:
    for entry in channels(org):
        if entry["id"] == channel:
            return entry["name"]
    return "directmessage" if channel.startswith("D") else channel


def may_post_in(org: Organization, user: str, channel: str) -> bool:
    """The workspace's channels, and the person's own DM with the bot."""
    return channel == "D" + user or any(entry["id"] == channel for entry in channels(org))


def command_text(org: Organization, command: str, text: str) -> str:
    """A slash command's text before Slack escapes it: with `should_escape`, "@Name" is already a mention."""
    declared = next((c for c in COMMANDS if c.command == command), None)
    return _mentions(org, "", text) if declared and declared.should_escape else text


def to_slack_text(org: Organization, bot_user: str, text: str) -> str:
    """What Slack makes of typed text: `&`, `<`, `>` escaped, "@Name" turned into a mention, links wrapped."""
    escaped = _mentions(org, bot_user, text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return BARE_URL.sub(r"<\1>", escaped)  # Slack wraps the links it finds


def _mentions(org: Organization, bot_user: str, escaped: str) -> str:
    names = {person["name"]: person["id"] for person in people(org)}
    if bot_user:
        names[BOT_NAME] = bot_user
    for name in sorted(names, key=len, reverse=True):  # "@Ann Lee" before "@Ann"
        escaped = re.sub(rf"@{re.escape(name)}\b", f"<@{names[name]}>", escaped, flags=re.IGNORECASE)
    return re.sub(r"(?<!<)@([UW][A-Z0-9]{2,})\b", r"<@\1>", escaped)


def describe(org: Organization, bot_user: str) -> dict[str, Any]:
    return {
        "organization": {"name": org.name, "timezone": org.timezone},
        "bot": {"id": bot_user, "name": BOT_NAME},
        "slackbot": {"id": SLACKBOT, "name": "Slackbot"},
        "people": people(org),
        "channels": channels(org),
        "commands": [vars(command) for command in COMMANDS],
        "shortcuts": [vars(shortcut) for shortcut in SHORTCUTS],
    }
