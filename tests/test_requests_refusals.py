"""Who may not act on a request, and what bad input looks like, over the signed wire on both databases:
nothing changes, and the person is told why in plain words."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from bot.requests.ids import RequestIds as Ids
from bot.requests.models import Status
from tests.conftest import ADMIN, CAO, COMMS, DIRECTOR, EMPLOYEE, EMPLOYEE_2
from tests.harness import BotClient
from tests.requests_kit import buttons, card, dm_texts, file, last_response, request_row, shown_in, trail


def card_count(bot: BotClient) -> int:
    return len(shown_in(bot, "C0APPROVAL"))


def nothing_changed(bot: BotClient, renders: int, events: int) -> None:
    bot.tick()  # anything queued would be delivered now
    assert card_count(bot) == renders
    assert len(trail(bot)) == events


def test_an_employee_pressing_approve_is_refused_and_nothing_changes(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    renders, events = card_count(bot), len(trail(bot))
    bot.press(Ids.APPROVE, EMPLOYEE_2, card(bot))
    assert "Only <@U0DIR0001> can approve step 1 of R-1" in last_response(bot)
    assert request_row(bot).status == Status.PENDING
    nothing_changed(bot, renders, events)


def test_the_wrong_approver_is_refused(bot: BotClient) -> None:
    """The CAO may not take the named director's step, nor another director's."""
    file(bot, "access", EMPLOYEE)
    renders, events = card_count(bot), len(trail(bot))
    bot.press(Ids.APPROVE, CAO, card(bot))
    assert "Only <@U0DIR0001>" in last_response(bot)
    bot.press(Ids.DENY, COMMS, card(bot))
    assert "Only <@U0DIR0001> can deny" in last_response(bot)
    assert len(bot.slack.of("views.open")) == 1  # the /request form, and no reason form
    nothing_changed(bot, renders, events)


def test_nobody_approves_their_own_request(bot: BotClient) -> None:
    file(bot, "share", COMMS)  # Communications may approve sharing, but not their own ask
    renders, events = card_count(bot), len(trail(bot))
    bot.press(Ids.APPROVE, COMMS, card(bot))
    assert "can't approve your own request" in last_response(bot)
    nothing_changed(bot, renders, events)


def test_naming_yourself_as_the_director_is_a_field_error(bot: BotClient) -> None:
    result = file(bot, "access", DIRECTOR)
    assert result.json()["response_action"] == "errors"
    assert "your own request" in result.json()["errors"][Ids.DIRECTOR]


def test_a_second_click_on_a_decided_step_says_who_decided_and_when(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    stale = card(bot)  # the card as first drawn: Approve / Deny for step 1
    bot.press(Ids.APPROVE, DIRECTOR, stale)
    renders, events = card_count(bot), len(trail(bot))
    bot.press(Ids.APPROVE, DIRECTOR, stale)  # Slack sends the click with the card as it was
    said = last_response(bot)
    assert "Step 1 of R-1 was already approved by <@U0DIR0001>" in said and "<!date^" in said
    bot.press(Ids.DENY, CAO, stale)
    assert "already approved by <@U0DIR0001>" in last_response(bot)
    nothing_changed(bot, renders, events)
    assert request_row(bot).status == Status.PENDING


def test_a_click_on_a_finished_request_changes_nothing(bot: BotClient) -> None:
    file(bot, "photo", EMPLOYEE)
    stale = card(bot)
    bot.press(Ids.APPROVE, COMMS, stale)
    assert request_row(bot).status == Status.APPROVED
    renders, events = card_count(bot), len(trail(bot))
    bot.press(Ids.APPROVE, DIRECTOR, stale)
    assert "already approved by <@U0COM0001>" in last_response(bot)
    bot.press(Ids.CANCEL, EMPLOYEE, stale)
    assert "already approved" in last_response(bot)
    nothing_changed(bot, renders, events)


def test_access_whose_time_frame_has_passed_cannot_be_approved(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)  # Nov 17 to Nov 20
    bot.press(Ids.APPROVE, DIRECTOR, card(bot))
    bot.tick(days=4)  # Saturday Nov 21: the time frame ended at midnight
    renders, events = card_count(bot), len(trail(bot))
    bot.press(Ids.APPROVE, CAO, card(bot))
    said = last_response(bot)
    assert "asked for access until Fri Nov 20, 2026, which has passed" in said and "Deny it" in said
    assert request_row(bot).status == Status.PENDING
    assert not [call for call in bot.slack.of("chat.postMessage") if "provision" in str(call).lower()]
    nothing_changed(bot, renders, events)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("request-999-s1-v1", "There is no request R-999"),
        ("flag-1-v1", "no longer points at anything"),
        ("request-1-s7-v1", "no longer points at a step"),
        ("request-1-s2-v1", "waits for step 1"),
        ("request-1; drop table requests", "no longer points at anything"),
        ("request-99999999999-s1", "no longer points at anything"),
    ],
)
def test_a_forged_button_value_changes_nothing(bot: BotClient, value: str, words: str) -> None:
    file(bot, "access", EMPLOYEE)
    renders, events = card_count(bot), len(trail(bot))
    result = bot.click(Ids.APPROVE, value, CAO)
    assert result.status == 200
    assert words in last_response(bot)
    nothing_changed(bot, renders, events)


def test_a_forged_value_cannot_skip_the_approver_check(bot: BotClient) -> None:
    """A hand-made value for the right step and version still needs the right person."""
    file(bot, "access", EMPLOYEE)
    bot.click(Ids.APPROVE, "request-1-s1-v1", EMPLOYEE_2)
    assert "Only <@U0DIR0001>" in last_response(bot)
    bot.click(Ids.APPROVE, "request-1-s1", ADMIN)  # admins may stand in for any approver
    step = trail(bot)[-1]
    assert step[1] == "approved" and step[2]["as_admin"] is True and step[2]["role"] == "director"
    assert "an admin, standing in" in card(bot).all_text()


def test_deny_needs_a_reason_and_the_reason_reaches_the_requester_escaped(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    bot.press(Ids.DENY, DIRECTOR, card(bot))
    view = bot.last_view()
    assert view["callback_id"] == Ids.DENY_MODAL
    empty = bot.submit(view, {Ids.REASON: "   "}, DIRECTOR)
    assert empty.json() == {
        "response_action": "errors",
        "errors": {Ids.REASON: empty.json()["errors"][Ids.REASON]},
    }
    assert request_row(bot).status == Status.PENDING
    bot.submit(view, {Ids.REASON: "<!channel> Not during the audit <https://evil.example|click>"}, DIRECTOR)
    assert request_row(bot).status == Status.DENIED
    [denied] = [text for text in dm_texts(bot, EMPLOYEE) if "denied" in text]
    assert "&lt;!channel&gt; Not during the audit" in denied and "<!channel>" not in denied
    final = card(bot)
    assert "denied by <@U0DIR0001>" in final.all_text() and "not needed" in final.all_text()
    assert buttons(final) == []
    assert [a for _, a, _ in trail(bot)][-1] == "denied"
    bot.submit(view, {Ids.REASON: "again"}, DIRECTOR)  # the form submitted twice
    assert [a for _, a, _ in trail(bot)].count("denied") == 1


def test_approve_with_a_note_records_the_comment(bot: BotClient) -> None:
    file(bot, "share", EMPLOYEE)
    bot.press(Ids.APPROVE_WITH_NOTE, DIRECTOR, card(bot))
    bot.submit(bot.last_view(), {Ids.REASON: "Fine, tag us in the post"}, DIRECTOR)
    assert request_row(bot).status == Status.APPROVED
    assert "“Fine, tag us in the post”" in card(bot).all_text()
    assert any("Fine, tag us in the post" in text for text in dm_texts(bot, EMPLOYEE))


def test_only_the_requester_cancels(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    renders, events = card_count(bot), len(trail(bot))
    bot.press(Ids.CANCEL, DIRECTOR, card(bot))
    assert "Only <@U0EMP0001>, who asked, can cancel R-1" in last_response(bot)
    nothing_changed(bot, renders, events)
    bot.press(Ids.CANCEL, EMPLOYEE, card(bot))
    assert request_row(bot).status == Status.CANCELLED
    bot.press(Ids.APPROVE, DIRECTOR, shown_in(bot, "C0APPROVAL")[0])  # the card as first drawn
    assert "cancelled by <@U0EMP0001>" in last_response(bot)


@pytest.mark.parametrize(
    ("kind", "changes", "field", "words"),
    [
        ("access", {Ids.START: "2026-11-20", Ids.END: "2026-11-18"}, Ids.END, "before the start date"),
        ("access", {Ids.START: "2026-11-16"}, Ids.START, "in the past"),
        ("access", {Ids.PLATFORM: ""}, Ids.PLATFORM, "Please fill this in"),
        ("access", {Ids.DIRECTOR: "U0EMP0002"}, Ids.DIRECTOR, "one of the town's directors"),
        ("access", {Ids.END: "2028-01-01"}, Ids.END, "a year at most"),
        ("share", {Ids.EVENT_DATE: "2026-11-16"}, Ids.EVENT_DATE, "in the past"),
        ("share", {Ids.LINK: "javascript:alert(1)"}, Ids.LINK, "http:// or https://"),
        ("share", {Ids.LINK: "ftp://files.example.org/poster.pdf"}, Ids.LINK, "http:// or https://"),
        ("share", {Ids.EXCEPTION: None}, Ids.EXCEPTION, "Please choose one"),
        ("share", {Ids.EXCEPTION: "<forged>"}, Ids.EXCEPTION, "one of the options"),
        ("account", {Ids.NEED: "x" * 1501}, Ids.NEED, "keep it under 1,500"),
        ("photo", {Ids.LINK: "https://"}, Ids.LINK, "not a web link"),
        ("photo", {Ids.TAKEN_ON: "2026-11-18"}, Ids.TAKEN_ON, "in the future"),
        ("photo", {Ids.TAKEN_ON: "yesterday"}, Ids.TAKEN_ON, "not a date"),
    ],
)
def test_bad_input_is_a_field_error_on_the_form(
    bot: BotClient, kind: str, changes: dict, field: str, words: str
) -> None:
    result = file(bot, kind, EMPLOYEE, **changes)
    assert result.status == 200
    answer = result.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == [field]
    assert words in answer["errors"][field]
    assert request_row(bot) is None and shown_in(bot, "C0APPROVAL") == []


def test_every_wrong_field_is_marked_at_once(bot: BotClient) -> None:
    changes = {Ids.EVENT_DATE: "2026-11-01", Ids.LINK: "ftp://example.com/x", Ids.DESCRIPTION: "x" * 5000}
    answer = file(bot, "share", EMPLOYEE, **changes).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {Ids.EVENT_DATE, Ids.LINK, Ids.DESCRIPTION}
    assert "in the past" in answer["errors"][Ids.EVENT_DATE]
    assert request_row(bot) is None


def test_two_approvers_clicking_at_once_decide_the_step_once(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    shown = card(bot)
    barrier = threading.Barrier(2)

    def click(user: str) -> None:
        barrier.wait()
        bot.press(Ids.APPROVE, user, shown, wait=False)

    threads = [threading.Thread(target=click, args=(user,)) for user in (DIRECTOR, ADMIN)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.wait()
    [approval] = [(actor, details) for actor, action, details in trail(bot) if action == "approved"]
    winner = approval[0]
    assert len(bot.slack.responses) == 1  # the other click is told who won
    assert f"Step 1 of R-1 was already approved by <@{winner}>" in last_response(bot)
    assert "waiting for the CAO" in card(bot).all_text()


def test_without_an_approvals_channel_or_directors_the_command_says_what_to_set_up(bot: BotClient) -> None:
    org = bot.rt.org
    bot.rt.org = replace(org, channels={"moderation": "C0MODERATE"})
    result = bot.command("/request", "share", EMPLOYEE)
    assert "approvals channel" in result.text and "[channels]" in result.text
    bot.rt.org = replace(org, roles={**org.roles, "director": ()})
    result = bot.command("/request", "access", EMPLOYEE)
    assert "No directors are set up" in result.text
    assert bot.slack.of("views.open") == []
    bot.command("/request", "share", EMPLOYEE)  # sharing names no director: its form opens
    assert bot.last_view()["private_metadata"] == "share"


def test_a_dm_to_a_deactivated_account_is_tried_once_not_forever(bot: BotClient) -> None:
    file(bot, "photo", EMPLOYEE)
    bot.tick()
    bot.slack.fail_next("chat.postMessage", status=200, error="user_disabled")  # the requester left
    bot.press(Ids.APPROVE, COMMS, card(bot))
    bot.tick()
    tried = len(bot.slack.of("chat.postMessage"))
    bot.tick(hours=2)
    assert len(bot.slack.of("chat.postMessage")) == tried
    assert request_row(bot).status == Status.APPROVED
