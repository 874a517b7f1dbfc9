"""The same bot over Socket Mode: slash commands, buttons, modals and events arrive as envelopes on a real
WebSocket (the Socket Mode stand-in), are acknowledged with their answers, and re-deliveries are processed once."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.events import ProcessedEvent
from bot.flags.ids import FlagIds
from bot.flags.models import Flag, Status
from bot.slack.testkit import payloads
from tests.conftest import EMPLOYEE, MODERATOR
from tests.harness import BotClient

POST = "https://www.facebook.com/prairiecrossing/posts/321"


def test_a_flag_filed_over_socket_mode_is_acknowledged_with_its_receipt(socket_bot: BotClient) -> None:
    result = socket_bot.command("/flag", f"{POST} when does the library reopen?", EMPLOYEE)
    assert "Flagged as *F-1*" in result.text
    [card] = socket_bot.slack.messages_to("C0MODERATE")
    assert "F-1 · Public question" in card.all_text()
    socket_bot.press(FlagIds.CLAIM, MODERATOR, card)
    assert socket_bot.query(lambda s: s.get(Flag, 1)).status == Status.CLAIMED
    assert f"*Claimed* by <@{MODERATOR}>" in socket_bot.slack.of("chat.update")[-1].all_text()


def test_a_modal_submission_gets_its_field_errors_in_the_ack(socket_bot: BotClient) -> None:
    socket_bot.command("/flag", "", EMPLOYEE)
    view = socket_bot.last_view()
    answer = socket_bot.submit(
        view, {FlagIds.URL_BLOCK: "ftp://town.ca/x", FlagIds.NOTE_BLOCK: "hello"}, EMPLOYEE
    ).json()
    assert answer["response_action"] == "errors" and FlagIds.URL_BLOCK in answer["errors"]


def test_a_policy_question_is_answered_in_the_ack(socket_bot: BotClient) -> None:
    answer = socket_bot.command(
        "/policy", "how often do we change the social media password", EMPLOYEE
    ).json()
    assert "*Taber 1.03(f)*" in json.dumps(answer["blocks"])


def test_an_event_redelivered_over_socket_mode_is_processed_once(socket_bot: BotClient) -> None:
    event = payloads.direct_message(EMPLOYEE, "who approves photos before they go on the town page")
    socket_bot.event(event, event_id="Ev0SOCKET")
    socket_bot.event(event, event_id="Ev0SOCKET", retry_num=1)
    [reply] = socket_bot.slack.messages_to("D" + EMPLOYEE)
    assert "Taber 1.04(d)" in reply.all_text()
    assert socket_bot.query(lambda s: s.scalar(select(func.count()).select_from(ProcessedEvent))) == 1


def test_every_envelope_is_acknowledged_even_when_the_listener_fails(socket_bot: BotClient, mocker) -> None:
    mocker.patch("bot.flags.intake.guess_kind", side_effect=RuntimeError("boom"))
    result = socket_bot.command("/flag", f"{POST} a question", EMPLOYEE)
    assert "error id" in result.text
    assert socket_bot.query(lambda s: s.scalar(select(Flag))) is None
