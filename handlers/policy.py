"""Listeners for policy answers: /policy, direct messages, @mentions, and the answer's buttons.
Replies in conversations go through the outbox, so one Slack refuses is sent again later."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, Respond

from bot.delivery import queue_message
from bot.policy import service
from bot.policy.blocks import answer_message, usage_text
from bot.policy.ids import PolicyIds
from bot.runtime import Runtime
from bot.slack.app import GuardedApp
from handlers.kit import item_id

MENTION = re.compile(r"<@[UW][A-Z0-9]+>")


def register(app: GuardedApp, rt: Runtime) -> None:
    def answer(question: str, asked_by: str, source: str) -> tuple[str, list[dict[str, Any]]]:
        checked = service.check_question(question)
        result = rt.policy.ask(checked)
        asked = rt.run(service.record_question, asked_by=asked_by, source=source, answer=result)
        return answer_message(result, asked.id)

    @app.command(PolicyIds.COMMAND)
    def policy_command(ack: Ack, body: dict[str, Any], command: dict[str, Any]) -> None:
        question = (command.get("text") or "").strip()
        if not question or question.lower() in ("help", "?"):
            ack(text=usage_text(), response_type="ephemeral")
            return
        text, blocks = answer(question, command["user_id"], "command")
        ack(text=text, blocks=blocks, response_type="ephemeral")

    @app.event("app_mention")
    def mentioned(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        question = MENTION.sub("", event.get("text") or "").strip()
        thread = event.get("thread_ts") or event.get("ts")
        if not question:
            rt.run(queue_message, channel=event["channel"], text=usage_text(), thread_ts=thread)
            return
        text, blocks = answer(question, event["user"], "mention")
        rt.run(queue_message, channel=event["channel"], text=text, blocks=blocks, thread_ts=thread)

    @app.event("message")
    def direct_message(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return  # edits, joins and the bot's own messages are not questions
        question = (event.get("text") or "").strip()
        if not question:
            return
        text, blocks = answer(question, event["user"], "dm")
        rt.run(queue_message, channel=event["channel"], text=text, blocks=blocks)

    def on_vote(action_id: str, helpful: bool) -> None:
        @app.action(action_id)
        def vote(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
            ack()
            rt.run(
                service.record_feedback,
                question_id=item_id(action.get("value"), "question"),
                user=body["user"]["id"],
                helpful=helpful,
            )
            respond(
                text=(
                    "Thanks, noted as helpful."
                    if helpful
                    else "Thanks, noted as not helpful. The policy's owner reviews these votes "
                    "(`flagpost policy report`)."
                ),
                response_type="ephemeral",
                replace_original=False,
            )

        vote.__name__ = f"policy_{action_id}"

    on_vote(PolicyIds.HELPFUL, True)
    on_vote(PolicyIds.NOT_HELPFUL, False)

    @app.action(PolicyIds.SEND_TO_COMMUNICATIONS)
    def send_on(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        ref = rt.run(
            service.send_to_communications,
            org=rt.org,
            calendar=rt.calendar,
            question_id=item_id(action.get("value"), "question"),
            actor=body["user"]["id"],
        )
        respond(
            text=(
                f":white_check_mark: Sent to Communications as *{ref}*. You'll get a message when "
                "someone picks it up and when it's answered."
            ),
            response_type="ephemeral",
            replace_original=False,
        )
