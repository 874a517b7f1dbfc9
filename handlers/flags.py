"""Listeners for flags: /flag, the message shortcut, the report form, and the card's buttons; and the
flags domain's description."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.domain import Domain, Tick
from bot.flags import intake, jobs, paging, service
from bot.flags.blocks import home_flag_blocks
from bot.flags.cards import render_flag_card
from bot.flags.forms import intake_modal, receipt_text, receipt_view, resolve_modal, usage_text
from bot.flags.ids import FlagIds
from bot.flags.models import ITEM, Flag, FlagReport
from bot.flags.urls import find_url, looks_like_link
from bot.roles import has_role
from bot.slack.text import unescape
from handlers.kit import action_ref, actor, form_values, typed

if TYPE_CHECKING:
    from slack_bolt import Ack

    from bot.app import GuardedApp
    from bot.runtime import Runtime

# A link, mention or date token, unwrapped to its label. Nothing inside a token may be `<`, so an unclosed
# one costs one step per character rather than a scan to the end of the text (quadratic on many of them).
SLACK_MARKUP = re.compile(r"<(?:https?://[^|<>]+\|)?([^<>]+)>")


MESSAGE_SCANNED = 40_000  # Slack's limit on a message's text; the note keeps 3,000 characters of it


def _message_to_note(text: str) -> str:
    """A chat message as plain words for the note: links and mentions unwrapped."""
    plain = SLACK_MARKUP.sub(lambda m: m.group(1), (text or "")[:MESSAGE_SCANNED])
    return unescape(plain).strip()[:3000]


def register(app: GuardedApp, rt: Runtime) -> None:
    def file(
        reporter: str, url: str | None, note: str | None, source: str, **choices: Any
    ) -> intake.FlagReceipt:
        return rt.run(
            intake.file_flag,
            org=rt.org,
            calendar=rt.calendar,
            reporter=reporter,
            url=url,
            note=note,
            source=source,
            **choices,
        )

    @app.command(FlagIds.COMMAND)
    def flag_command(ack: Ack, body: dict[str, Any], command: dict[str, Any]) -> None:
        text = typed(command.get("text"))
        url, note = find_url(text)
        if url is None and text and looks_like_link(first := text.split()[0]):
            url, note = first, text[len(first) :].strip()  # meant as a link: validate it as one
        if text.lower() in ("help", "?"):
            ack(text=usage_text(), response_type="ephemeral")
            return
        if url is None or not note:
            ack()
            rt.door.open_view(command["trigger_id"], intake_modal(source="modal", url=url or "", note=note))
            return
        receipt = file(command["user_id"], url, note, "command")
        ack(text=receipt_text(receipt), response_type="ephemeral")

    @app.shortcut(FlagIds.MESSAGE_SHORTCUT)
    def flag_message(ack: Ack, body: dict[str, Any], shortcut: dict[str, Any]) -> None:
        ack()
        message = shortcut.get("message") or {}
        url, _rest = find_url(message.get("text") or "")
        note = _message_to_note(message.get("text") or "")
        rt.door.open_view(shortcut["trigger_id"], intake_modal(source="shortcut", url=url or "", note=note))

    @app.view(FlagIds.INTAKE_MODAL)
    def flag_form_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = form_values(view)
        receipt = file(
            actor(body),
            values.get(FlagIds.URL_BLOCK),
            values.get(FlagIds.NOTE_BLOCK),
            "shortcut" if view.get("private_metadata") == "shortcut" else "modal",
            kind=values.get(FlagIds.KIND_BLOCK),
            priority=values.get(FlagIds.PRIORITY_BLOCK),
        )
        ack(response_action="update", view=receipt_view(receipt_text(receipt)))

    def on_card(action_id: str, work: Any, **choice_field: str) -> None:
        """A button or a select on the card: one service call on the flag it points at, by whoever clicked."""

        @app.action(action_id)
        def card_control(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            ref = action_ref(action, ITEM)
            choice = {name: (action.get("selected_option") or {}).get("value") for name in choice_field}
            rt.run(work, org=rt.org, flag_id=ref.id, version=ref.version, actor=actor(body), **choice)

        card_control.__name__ = f"flag_{action_id}"

    on_card(FlagIds.CLAIM, service.claim)
    on_card(FlagIds.RELEASE, service.release)
    on_card(FlagIds.ESCALATE, service.escalate)
    on_card(FlagIds.PAGE, paging.page_now)
    on_card(FlagIds.SET_KIND, service.set_kind, kind="kind")
    on_card(FlagIds.SET_PRIORITY, service.set_priority, priority="priority")

    @app.action(FlagIds.RESOLVE)
    def resolve_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        ref = action_ref(action, ITEM)
        flag = rt.read(service.flag_for_resolution, org=rt.org, flag_id=ref.id, actor=actor(body))
        rt.door.open_view(body["trigger_id"], resolve_modal(flag))

    @app.view(FlagIds.RESOLVE_MODAL)
    def resolve_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = form_values(view)
        # No version check here: a note typed in the form must not be lost because someone +1'd meanwhile.
        ref = action_ref({"value": view.get("private_metadata")}, ITEM)
        rt.run(
            service.resolve,
            org=rt.org,
            flag_id=ref.id,
            actor=actor(body),
            outcome=values.get(FlagIds.OUTCOME_BLOCK) or "",
            note=values.get(FlagIds.RESOLUTION_NOTE_BLOCK),
        )
        ack()


def home_section(rt: Runtime, user: str) -> list[dict[str, Any]]:
    board, mine = rt.read(service.home_data, org=rt.org, user=user)
    return home_flag_blocks(board, mine, has_role(rt.org, user, *service.MODERATORS), usage_text())


DOMAIN = Domain(
    name="flags",
    models=(Flag, FlagReport),
    listeners=register,
    cards={ITEM: render_flag_card},
    timed=jobs.TIMED,
    ticks=(
        Tick("schedule-daily-review", lambda rt: rt.run(jobs.schedule_daily_review, calendar=rt.calendar)),
    ),
    home=home_section,
)
