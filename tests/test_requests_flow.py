"""Access requests end to end over the signed wire: the director, then the CAO; IT and Communications told
in writing; IT's tasks; reminders of stale steps; the end of a grant and its extension. Both databases."""

from __future__ import annotations

import json

from bot.requests.ids import RequestIds as Ids
from bot.requests.models import Status
from bot.slack.testkit import payloads
from tests.conftest import CAO, DIRECTOR, EMPLOYEE, IT
from tests.harness import BotClient
from tests.requests_kit import (
    APPROVALS,
    COMMS_CHANNEL,
    IT_CHANNEL,
    buttons,
    card,
    dm_texts,
    file,
    last_response,
    request_row,
    shown_in,
    trail,
)


def approve_access(bot: BotClient, ref: str = "R-1") -> None:
    bot.press(Ids.APPROVE, DIRECTOR, card(bot, ref))
    bot.press(Ids.APPROVE, CAO, card(bot, ref))


def test_request_alone_offers_the_four_kinds_and_each_opens_its_form(bot: BotClient) -> None:
    result = bot.command("/request", "", EMPLOYEE)
    assert result.status == 200
    answer = result.json()
    assert answer["response_type"] == "ephemeral"
    for kind, action in (
        (k, getattr(Ids, f"NEW_{k.upper()}")) for k in ("access", "share", "account", "photo")
    ):
        bot.press(action, EMPLOYEE, {"blocks": answer["blocks"], "channel": "C0GENERAL"})
        view = bot.last_view()
        assert (view["callback_id"], view["private_metadata"]) == (Ids.FORM_MODAL, kind)


def test_an_unknown_kind_is_answered_in_words(bot: BotClient) -> None:
    result = bot.command("/request", "<!channel> laptop", EMPLOYEE)
    assert result.status == 200
    assert "not a kind of request" in result.text and "&lt;!channel&gt;" in result.text
    assert bot.slack.of("views.open") == []


def test_access_goes_to_the_director_then_the_cao_and_it_and_communications_are_told(bot: BotClient) -> None:
    result = file(bot, "access", EMPLOYEE)
    assert result.json()["response_action"] == "update"
    assert "R-1" in str(result.json()["view"])
    first = card(bot)
    assert first.get("channel") == APPROVALS and "waiting for <@U0DIR0001>" in first.all_text()

    bot.press(Ids.APPROVE, DIRECTOR, first)
    after_director = card(bot)
    assert after_director.method == "chat.update" and after_director.get("ts") == first.response["ts"]
    assert "approved by <@U0DIR0001>" in after_director.all_text()
    assert "waiting for the CAO" in after_director.all_text()
    assert any("approved step 1" in text for text in dm_texts(bot, EMPLOYEE))
    assert request_row(bot).status == Status.PENDING

    bot.press(Ids.APPROVE, CAO, after_director)
    final = card(bot).all_text()
    assert "Access granted" in final and "approved by <@U0CAO0001>" in final
    assert buttons(card(bot)) == [Ids.END_ACCESS]  # no more decisions: only ending it early
    assert request_row(bot).status == Status.APPROVED

    # Taber 1.05(c): told in writing, with the approval, the platform, the employee and the time frame.
    [notice] = [c.all_text() for c in bot.slack.messages_to(COMMS_CHANNEL)]
    [task] = bot.slack.messages_to(IT_CHANNEL)
    for text in (notice, task.all_text()):
        assert "Facebook, Instagram" in text and f"<@{EMPLOYEE}>" in text
        assert "Tue Nov 17, 2026" in text and "Fri Nov 20, 2026" in text and "1.05(c)" in text
    assert "Provision access" in task.all_text() and "1.05(e)" in task.all_text()
    assert any("is approved" in text for text in dm_texts(bot, EMPLOYEE))

    actions = [(actor, action, details) for actor, action, details in trail(bot)]
    assert ("U0DIR0001", "approved") in [(a, b) for a, b, _ in actions]
    approvals = [details for _, action, details in actions if action == "approved"]
    assert [(d["step"], d["role"]) for d in approvals] == [(1, "director"), (2, "cao")]
    assert [action for _, action, _ in actions] == [
        "filed",
        "approved",
        "approved",
        "fully_approved",
        "notified",
    ]

    # IT marks the access set up (Taber 1.05(e),(f)); the employee hears; a second click changes nothing.
    bot.press(Ids.TASK_DONE, EMPLOYEE, task)
    assert "Only IT" in last_response(bot)
    bot.press(Ids.TASK_DONE, IT, task)
    assert "Done by <@U0ITS0001>" in shown_in(bot, IT_CHANNEL)[-1].all_text()
    assert any("has set up your access" in text for text in dm_texts(bot, EMPLOYEE))
    bot.press(Ids.TASK_DONE, IT, task)
    assert "already done by <@U0ITS0001>" in last_response(bot)
    assert [a for _, a, _ in trail(bot)].count("provisioned") == 1
    assert "IT: done, <@U0ITS0001>" in card(bot).all_text()


def test_access_is_ended_early_from_the_card_and_its_end_date_then_does_nothing(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    approve_access(bot)
    granted = card(bot)
    assert Ids.END_ACCESS in buttons(granted)
    bot.press(Ids.END_ACCESS, IT, granted)  # IT provisions access; it does not decide when it ends
    said = last_response(bot)
    assert "Only <@U0EMP0001>, <@U0DIR0001>, Communications or an admin can end the access of R-1" in said
    assert request_row(bot).status == Status.APPROVED
    bot.tick(hours=1)
    bot.press(Ids.END_ACCESS, DIRECTOR, granted)  # the director who approved it oversees it (1.05(i))
    assert request_row(bot).status == Status.EXPIRED
    bot.tick()
    assert "Revoke access" in shown_in(bot, IT_CHANNEL)[-1].all_text()
    assert any("has ended; <@U0DIR0001> ended it early" in text for text in dm_texts(bot, EMPLOYEE))
    assert Ids.END_ACCESS not in buttons(card(bot)) and "Expired" in card(bot).all_text()
    ended = request_row(bot).expires_at
    assert ended == bot.rt.clock.now()  # not the Nov 20 end the card had shown
    assert "2026-11-17 18:00 UTC" in card(bot).all_text()  # Tuesday 11:00 in Edmonton
    assert "ended <!date^" in shown_in(bot, IT_CHANNEL)[-1].all_text()
    assert "2026-11-17 18:00 UTC" in shown_in(bot, IT_CHANNEL)[-1].all_text()
    bot.press(Ids.END_ACCESS, EMPLOYEE, granted)
    assert "expired" in last_response(bot).lower()
    bot.tick(days=5)  # past the end date and its reminder: nothing more
    actions = [a for _, a, _ in trail(bot)]
    assert actions.count("ended_early") == 1 and "expired" not in actions and "expiry_reminded" not in actions
    assert len([c for c in bot.slack.messages_to(IT_CHANNEL) if "Revoke access" in c.all_text()]) == 1


def test_a_pending_extension_closes_when_its_access_is_ended(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    approve_access(bot)
    bot.tick(days=2)  # Thursday: the reminder offers more time
    [reminder] = [c for c in bot.slack.dms_to(EMPLOYEE) if "ends after" in c.all_text()]
    bot.press(Ids.EXTEND, EMPLOYEE, reminder)
    bot.submit(bot.last_view(), {Ids.NEW_END: "2026-11-27", Ids.REASON: "A week longer"}, EMPLOYEE)
    stale = card(bot, "R-2")
    bot.press(Ids.END_ACCESS, EMPLOYEE, card(bot, "R-1"))
    assert request_row(bot, 2).status == Status.CANCELLED  # more time on ended access is moot
    assert "Cancelled" in card(bot, "R-2").all_text()
    bot.press(Ids.APPROVE, DIRECTOR, stale)
    assert "cancelled" in last_response(bot)
    assert str(request_row(bot, 1).ends_on) == "2026-11-20"
    reminders = len(bot.slack.dms_to(DIRECTOR))
    bot.tick(days=4)
    assert len(bot.slack.dms_to(DIRECTOR)) == reminders  # nobody is nagged about R-2


def test_access_ends_the_employee_and_it_are_reminded_and_it_gets_a_revoke_task(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    approve_access(bot)
    bot.tick(hours=22)  # Wednesday 8:00: nothing yet
    assert not any("ends after" in text for text in dm_texts(bot, EMPLOYEE))

    bot.tick(days=1)  # Thursday 8:00 … the reminder is due at 8:30, the business day before Friday's end
    assert not any("ends after" in text for text in dm_texts(bot, EMPLOYEE))
    bot.tick(minutes=30)
    [reminder] = [c for c in bot.slack.dms_to(EMPLOYEE) if "ends after" in c.all_text()]
    assert "Fri Nov 20, 2026" in reminder.all_text() and "Ask for more time" in reminder.all_text()
    assert any(
        "ends" in c.all_text() and "remove it" in c.all_text() for c in bot.slack.messages_to(IT_CHANNEL)
    )

    bot.tick(hours=39, minutes=29)  # Friday 23:59: still granted
    assert request_row(bot).status == Status.APPROVED
    bot.tick(minutes=1)  # Saturday 00:00
    assert request_row(bot).status == Status.EXPIRED
    revoke = shown_in(bot, IT_CHANNEL)[-1]
    assert "Revoke access" in revoke.all_text() and "Done" in revoke.all_text()
    assert "Expired" in card(bot).all_text()
    assert any("has ended" in text for text in dm_texts(bot, EMPLOYEE))
    bot.press(Ids.TASK_DONE, IT, revoke)
    assert "revoked" in [a for _, a, _ in trail(bot)]
    assert [a for _, a, _ in trail(bot)][-3:] == ["expiry_reminded", "expired", "revoked"]
    bot.tick(days=3)
    assert len([c for c in bot.slack.messages_to(IT_CHANNEL) if "Revoke access" in c.all_text()]) == 1


def test_an_extension_goes_through_the_same_steps_and_moves_the_end(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    approve_access(bot)
    bot.tick(days=2)  # Thursday: the reminder offers more time
    [reminder] = [c for c in bot.slack.dms_to(EMPLOYEE) if "ends after" in c.all_text()]
    bot.press(Ids.EXTEND, DIRECTOR, reminder)
    assert "Only <@U0EMP0001>" in last_response(bot)
    bot.press(Ids.EXTEND, EMPLOYEE, reminder)
    view = bot.last_view()
    assert view["callback_id"] == Ids.EXTEND_MODAL
    early = bot.submit(view, {Ids.NEW_END: "2026-11-19", Ids.REASON: "More posts"}, EMPLOYEE)
    assert Ids.NEW_END in early.json()["errors"]
    bot.submit(view, {Ids.NEW_END: "2026-11-27", Ids.REASON: "The program runs a week longer"}, EMPLOYEE)
    extension = card(bot, "R-2").all_text()
    assert "More time for R-1" in extension and "Extends R-1 to Fri Nov 27, 2026" in extension
    assert "R-2 asks for more time" in card(bot, "R-1").all_text()

    bot.press(Ids.APPROVE, DIRECTOR, card(bot, "R-2"))
    bot.press(Ids.APPROVE, CAO, card(bot, "R-2"))
    original = request_row(bot, 1)
    assert original.status == Status.APPROVED and str(original.ends_on) == "2026-11-27"
    assert any("Access extended" in c.all_text() for c in bot.slack.messages_to(COMMS_CHANNEL))
    assert "extended" in [a for _, a, _ in trail(bot, 1)]

    bot.tick(days=3)  # Sunday: the old end has passed, the grant holds
    assert request_row(bot, 1).status == Status.APPROVED
    assert not any("Revoke access" in c.all_text() for c in bot.slack.messages_to(IT_CHANNEL))
    bot.tick(days=6)  # Saturday Nov 28
    assert request_row(bot, 1).status == Status.EXPIRED
    assert any("Revoke access" in c.all_text() for c in bot.slack.messages_to(IT_CHANNEL))


def test_a_stale_step_reminds_its_approver_after_one_business_day_and_the_cao_after_three(
    bot: BotClient,
) -> None:
    file(bot, "access", EMPLOYEE)
    bot.tick(hours=23, minutes=59)  # Wednesday 9:59
    assert not any("waited" in text for text in dm_texts(bot, DIRECTOR))
    bot.tick(minutes=1)  # one business day
    [reminder] = [text for text in dm_texts(bot, DIRECTOR) if "waited a business day" in text]
    assert "R-1" in reminder and f"<#{APPROVALS}>" in reminder
    assert not any("business days" in text for text in dm_texts(bot, CAO))
    bot.tick(days=2)  # Friday 10:00: three business days
    [pointed] = [text for text in dm_texts(bot, CAO) if "3 business days" in text]
    assert "<@U0DIR0001>" in pointed
    assert [a for _, a, _ in trail(bot)] == ["filed", "reminded", "pointed_out_to_cao"]


def test_the_cao_is_told_of_their_own_stale_step_as_theirs(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    bot.press(Ids.APPROVE, DIRECTOR, card(bot))
    bot.tick(days=3)  # Friday 10:00: the CAO's step has waited three business days
    [pointed] = [text for text in dm_texts(bot, CAO) if "3 business days" in text]
    assert "has waited 3 business days for your decision" in pointed


def test_a_decision_stops_the_reminders_of_its_step(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    bot.press(Ids.APPROVE, DIRECTOR, card(bot))
    bot.tick(days=1)  # Wednesday 10:00: the CAO's step started Tuesday 10:00
    assert not any("waited" in text for text in dm_texts(bot, DIRECTOR))
    assert any("waited a business day" in text for text in dm_texts(bot, CAO))


def test_reminders_count_business_days_not_weekends(bot: BotClient) -> None:
    bot.rt.clock.advance(days=3)  # Friday 10:00
    file(bot, "access", EMPLOYEE, **{Ids.START: "2026-11-20", Ids.END: "2026-11-27"})
    bot.tick(days=2)  # Sunday 10:00
    assert not any("waited" in text for text in dm_texts(bot, DIRECTOR))
    bot.tick(days=1)  # Monday 10:00
    assert any("waited a business day" in text for text in dm_texts(bot, DIRECTOR))


def test_app_home_lists_open_requests_and_what_waits_for_you_and_cancels(bot: BotClient) -> None:
    file(bot, "access", EMPLOYEE)
    bot.event(payloads.app_home_opened(DIRECTOR))
    director_home = bot.slack.of("views.publish")[-1].all_text()
    assert "Waiting for your decision" in director_home and "R-1" in director_home
    bot.event(payloads.app_home_opened(EMPLOYEE))
    home = bot.slack.of("views.publish")[-1]
    assert "Your open requests" in home.all_text() and "R-1" in home.all_text()
    view = home["view"] if isinstance(home["view"], dict) else json.loads(home["view"])
    element = payloads.find_element(view["blocks"], Ids.CANCEL)
    bot.send(payloads.block_actions(element, EMPLOYEE, view={**view, "id": "V1"}))
    assert request_row(bot).status == Status.CANCELLED
    assert "R-1" not in bot.slack.of("views.publish")[-1].all_text()
    assert "*Cancelled* by <@U0EMP0001>" in card(bot).all_text()
    bot.tick(days=5)
    assert not any("waited" in text for text in dm_texts(bot, DIRECTOR))


def test_a_mistyped_kind_is_answered_with_the_kind_it_looks_like(bot: BotClient) -> None:
    assert "Did you mean `/request access`?" in bot.command("/request", "acess", EMPLOYEE).text
    said = bot.command("/request", "lunch", EMPLOYEE).text
    assert "“lunch” is not a kind of request" in said and "Did you mean" not in said
