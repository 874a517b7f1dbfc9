"""Listeners for flags: /flag, the message shortcut, the report form, and the card's buttons."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack

from bot.errors import InvalidInput
from bot.flags import service
from bot.flags.blocks import intake_modal, receipt_text, receipt_view, resolve_modal, usage_text
from bot.flags.ids import FlagIds
from bot.flags.urls import find_url, looks_like_link
from bot.runtime import Runtime
from bot.slack.app import GuardedApp
from handlers.kit import form_values, item_id

SLACK_MARKUP = re.compile(r"<(?:https?://[^|>]+\|)?([^>]+)>")


def _message_to_note(text: str) -> str:
    """A chat message as plain words for the note: links and mentions unwrapped."""
    plain = SLACK_MARKUP.sub(lambda m: m.group(1), text or "")
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()[:3000]


def register(app: GuardedApp, rt: Runtime) -> None:
    def file(
        reporter: str, url: str | None, note: str | None, source: str, **choices: Any
    ) -> service.FlagReceipt:
        return rt.run(
            service.file_flag,
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
        text = (command.get("text") or "").strip()
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
        source = "shortcut" if view.get("private_metadata") == "shortcut" else "modal"
        try:
            receipt = file(
                body["user"]["id"],
                values.get(FlagIds.URL_BLOCK),
                values.get(FlagIds.NOTE_BLOCK),
                source,
                kind=values.get(FlagIds.KIND_BLOCK),
                priority=values.get(FlagIds.PRIORITY_BLOCK),
            )
        except InvalidInput as error:
            if error.field is None:
                raise
            ack(response_action="errors", errors={error.field: error.message})
            return
        ack(response_action="update", view=receipt_view(receipt_text(receipt)))

    def on_card(action_name: str, work: Any) -> None:
        @app.action(action_name)
        def card_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            rt.run(work, org=rt.org, flag_id=item_id(action.get("value"), "flag"), actor=body["user"]["id"])

        card_button.__name__ = f"flag_{action_name}"

    on_card(FlagIds.CLAIM, service.claim)
    on_card(FlagIds.RELEASE, service.release)
    on_card(FlagIds.ESCALATE, service.escalate)

    @app.action(FlagIds.RESOLVE)
    def resolve_button(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        actor = body["user"]["id"]
        service.require_moderator(rt.org, actor)
        flag = rt.read(service.flag_for_resolution, flag_id=item_id(action.get("value"), "flag"))
        rt.door.open_view(body["trigger_id"], resolve_modal(flag))

    @app.view(FlagIds.RESOLVE_MODAL)
    def resolve_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = form_values(view)
        try:
            rt.run(
                service.resolve,
                org=rt.org,
                flag_id=item_id(view.get("private_metadata"), "flag"),
                actor=body["user"]["id"],
                outcome=values.get(FlagIds.OUTCOME_BLOCK) or "",
                note=values.get(FlagIds.RESOLUTION_NOTE_BLOCK),
            )
        except InvalidInput as error:
            if error.field is None:
                raise
            ack(response_action="errors", errors={error.field: error.message})
            return
        ack()

    def on_select(action_name: str, work: Any, field: str) -> None:
        @app.action(action_name)
        def card_select(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            flag_id = item_id(str(action.get("block_id", "")).rsplit("_", 1)[-1], "flag")
            choice = (action.get("selected_option") or {}).get("value")
            rt.run(work, org=rt.org, flag_id=flag_id, actor=body["user"]["id"], **{field: choice})

        card_select.__name__ = f"flag_{action_name}"

    on_select(FlagIds.SET_KIND, service.set_kind, "kind")
    on_select(FlagIds.SET_PRIORITY, service.set_priority, "priority")
