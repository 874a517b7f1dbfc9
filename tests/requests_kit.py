"""Helpers for the requests tests: fill in and send each kind of form, read the card and the trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.audit import AuditEvent
from bot.requests.ids import RequestIds as Ids
from bot.requests.models import Request
from bot.slack.testkit.standin import Call
from tests.conftest import DIRECTOR
from tests.harness import BotClient, HttpResult

APPROVALS, IT_CHANNEL, COMMS_CHANNEL = "C0APPROVAL", "C0ITDESK", "C0COMMS"

ACCESS = {
    Ids.PLATFORM: "Facebook, Instagram",
    Ids.PURPOSE: "Post the winter program schedule while Cam is away",
    Ids.START: "2026-11-17",
    Ids.END: "2026-11-20",
    Ids.DIRECTOR: DIRECTOR,
    Ids.TRAINED: "done",
}
SHARE = {
    Ids.ORGANISATION: "Prairie Crossing Lions Club",
    Ids.ORGANISER: "community_group",
    Ids.EVENT: "Pancake breakfast",
    Ids.EVENT_DATE: "2026-12-19",
    Ids.LINK: "https://lions.example.org/pancakes",
    Ids.DESCRIPTION: "Free pancake breakfast at the arena, open to everyone.",
    Ids.EXCEPTION: "community_event",
    Ids.FUNDRAISER: "no",
    Ids.CANDIDATE: "no",
}
ACCOUNT = {
    Ids.DEPARTMENT: "Recreation",
    Ids.PLATFORM: "Instagram",
    Ids.NEED: "Our program posts are crowding the town's feed.",
    Ids.AUDIENCE: "Teenagers and young families, who are on Instagram.",
    Ids.RESOURCES: "Two staff, four hours a week, trained by Communications.",
    Ids.OVERSIGHT: "The recreation coordinator; Communications reviews the calendar monthly.",
    Ids.DIRECTOR: DIRECTOR,
}
PHOTO = {
    Ids.LINK: "https://photos.example.org/fire-hall-open-house.jpg",
    Ids.TAKEN_WHERE: "Fire hall open house",
    Ids.TAKEN_ON: "2026-11-14",
    Ids.CONSENT: "all",
    Ids.EMERGENCY: "no",
    Ids.DIRECTOR: DIRECTOR,
}
FORMS = {"access": ACCESS, "share": SHARE, "account": ACCOUNT, "photo": PHOTO}


def file(bot: BotClient, kind: str, user: str, **changes: Any) -> HttpResult:
    """`/request <kind>`, then submit its form with the defaults above, changed by `changes`."""
    assert bot.command("/request", kind, user).status == 200
    view = bot.last_view()
    assert view["callback_id"] == Ids.FORM_MODAL and view["private_metadata"] == kind
    return bot.submit(view, {**FORMS[kind], **changes}, user)


def shown_in(bot: BotClient, channel: str, ref: str | None = None) -> list[Call]:
    """Every rendering (post or update) of the cards in `channel`, oldest first; only `ref`'s when given."""
    with bot.slack._lock:
        calls = [c for c in bot.slack.calls if c.ok and c.method in ("chat.postMessage", "chat.update")]
    return [
        call
        for call in calls
        if call.get("channel") == channel
        and (ref is None or str(call.get("text", "")).startswith(ref + " ·"))
    ]


def card(bot: BotClient, ref: str = "R-1") -> Call:
    """The newest rendering of a request's card in the approvals channel."""
    shown = shown_in(bot, APPROVALS, ref)
    assert shown, f"no card of {ref} reached the approvals channel"
    return shown[-1]


def trail(bot: BotClient, request_id: int = 1) -> list[tuple[str, str, dict[str, Any]]]:
    return bot.query(
        lambda s: [
            (event.actor, event.action, event.details)
            for event in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.item_type == "request", AuditEvent.item_id == request_id)
                .order_by(AuditEvent.id)
            )
        ]
    )


def request_row(bot: BotClient, request_id: int = 1) -> Request:
    return bot.query(lambda s: s.get(Request, request_id))


def dm_texts(bot: BotClient, user: str) -> list[str]:
    return [call.all_text() for call in bot.slack.dms_to(user)]


def last_response(bot: BotClient) -> str:
    assert bot.slack.responses, "nothing was said to the person who clicked"
    return str(bot.slack.responses[-1].get("text"))


def buttons(call: Call) -> list[str]:
    """The action ids of the buttons a message shows."""
    return [
        element["action_id"]
        for block in call.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
