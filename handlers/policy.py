"""Listeners for policy answers: /policy, direct messages, @mentions, and the answer's buttons; and the
policy domain's description. Replies in conversations go through the outbox, so one Slack refuses is sent
again later."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any

from bot.delivery import queue_message
from bot.domain import Domain, Tick
from bot.policy import service
from bot.policy.blocks import answer_message, usage_text
from bot.policy.cli import add_policy_commands
from bot.policy.files import clause_directories
from bot.policy.ids import PolicyIds
from bot.policy.models import (
    ITEM,
    PolicyClause,
    PolicyDocument,
    PolicyExemplar,
    PolicyFeedback,
    PolicyQuestion,
)
from handlers.kit import action_ref, actor, typed

if TYPE_CHECKING:
    from slack_bolt import Ack, Respond

    from bot.app import GuardedApp
    from bot.runtime import Runtime

log = logging.getLogger(__name__)
MENTION = re.compile(r"<@[UW][A-Z0-9]+>")
ACK_BUDGET = 2.0  # seconds: Slack wants the ack within 3; a slower answer follows through response_url
Reply = tuple[str, list[dict[str, Any]]]


class LateAnswer:
    """An answer that may outlive the ack: if the listener gave up waiting (and acked), the answer goes
    through response_url when it is ready; otherwise the listener puts it in the ack itself."""

    def __init__(self, respond: Respond):
        self.respond = respond
        self._lock = threading.Lock()
        self._finished = self._deferred = False

    def defer(self) -> bool:
        """Called by the listener when its wait ran out: True if the answer will come through response_url."""
        with self._lock:
            self._deferred = not self._finished
            return self._deferred

    def run(self, answer: Callable[..., Reply], *args: Any) -> Reply:
        try:
            reply = answer(*args)
        except Exception:  # after the ack no error handler can answer: log it, tell the person, once
            with self._lock:
                self._finished = True
                deferred = self._deferred
            if not deferred:
                raise  # the listener is still waiting: its error handler answers
            log.exception("policy answer failed after the ack")
            self.respond(text="Sorry, that answer failed; please ask again.", response_type="ephemeral")
            return "", []
        with self._lock:
            self._finished = True
            deferred = self._deferred
        if deferred:
            text, blocks = reply
            self.respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=True)
        return reply


def library(rt: Runtime) -> service.PolicyLibrary:
    """The searchable clauses of this process, built once and rebuilt when an import changes them."""
    if "policy" not in rt.state:
        rt.state["policy"] = service.PolicyLibrary(rt.sessions, rt.org.own_documents)
    return rt.state["policy"]  # type: ignore[no-any-return]


def start(rt: Runtime) -> None:
    report = rt.run(service.load_library, directories=clause_directories(rt.settings, rt.org))
    log.info("policy clauses: %s", ", ".join(f"{len(v)} {k}" for k, v in vars(report).items() if v) or "none")
    index = library(rt).rebuild()  # loads the model and the clause vectors now, not at the first question
    log.info("policy search: %s, %d clauses", index.mode, len(index.clauses))


def register(app: GuardedApp, rt: Runtime) -> None:
    def answer(question: str, asked_by: str, source: str) -> tuple[str, list[dict[str, Any]]]:
        result = library(rt).ask(service.check_question(question))
        asked = rt.run(service.record_question, asked_by=asked_by, source=source, answer=result)
        return answer_message(result, asked.id)

    @app.command(PolicyIds.COMMAND)
    def policy_command(ack: Ack, body: dict[str, Any], command: dict[str, Any], respond: Respond) -> None:
        question = typed(command.get("text"))
        if not question or question.lower() in ("help", "?"):
            ack(text=usage_text(), response_type="ephemeral")
            return
        service.check_question(question)  # a refusal of the question itself is the ack's
        late = LateAnswer(respond)
        pending = rt.executor.submit(late.run, answer, question, command["user_id"], "command")
        try:
            text, blocks = pending.result(timeout=ACK_BUDGET)
        except FutureTimeout:
            if late.defer():
                ack(text=":mag: Looking that up in the policies…", response_type="ephemeral")
                return
            text, blocks = pending.result()
        ack(text=text, blocks=blocks, response_type="ephemeral")

    @app.event("app_mention")
    def mentioned(ack: Ack, body: dict[str, Any], event: dict[str, Any]) -> None:
        question = typed(MENTION.sub("", event.get("text") or ""))
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
        question = typed(event.get("text"))
        if not question:
            return
        text, blocks = answer(question, event["user"], "dm")
        rt.run(queue_message, channel=event["channel"], text=text, blocks=blocks)

    def on_vote(action_id: str, helpful: bool) -> None:
        @app.action(action_id)
        def vote(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
            ack()
            ref = action_ref(action, ITEM)
            rt.run(service.record_feedback, question_id=ref.id, user=actor(body), helpful=helpful)
            library(rt).refresh_exemplars()  # a Helpful vote lifts its clause from the next question on
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
            question_id=action_ref(action, ITEM).id,
            actor=actor(body),
        )
        respond(
            text=(
                f":white_check_mark: Sent to Communications as *{ref}*. You'll get a message when "
                "someone picks it up and when it's answered."
            ),
            response_type="ephemeral",
            replace_original=False,
        )


DOMAIN = Domain(
    name="policy",
    models=(PolicyDocument, PolicyClause, PolicyQuestion, PolicyFeedback, PolicyExemplar),
    listeners=register,
    ticks=(Tick("refresh-policy-index", lambda rt: library(rt).refresh_if_changed()),),
    cli=add_policy_commands,
    start=start,
)
