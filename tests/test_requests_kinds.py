"""Sharing, new accounts and photos over the signed wire, on both databases: their checks on the card, the
policy's words quoted where they forbid something, and who decides."""

from __future__ import annotations

from bot.requests.ids import RequestIds as Ids
from bot.requests.models import Status
from tests.conftest import CAO, COMMS, DIRECTOR, EMPLOYEE
from tests.harness import BotClient
from tests.requests_kit import (
    COMMS_CHANNEL,
    IT_CHANNEL,
    card,
    dm_texts,
    file,
    last_response,
    request_row,
    trail,
)


def test_share_states_the_default_and_communications_approves(bot: BotClient) -> None:
    file(bot, "share", EMPLOYEE)
    text = card(bot).all_text()
    assert "default is to defer to other channels" in text and "Taber 1.04(s)" in text
    assert "Prairie Crossing Lions Club" in text and "A community event open to the public" in text
    assert "less than 2 weeks' notice" not in text  # Dec 19 is more than two weeks away
    bot.press(Ids.APPROVE, COMMS, card(bot))
    assert request_row(bot).status == Status.APPROVED
    assert any("Pancake breakfast" in c.all_text() for c in bot.slack.messages_to(COMMS_CHANNEL))
    assert [(d["step"], d["role"]) for _, a, d in trail(bot) if a == "approved"] == [(1, "communications")]


def test_share_flags_short_notice_and_a_fundraiser_by_an_individual(bot: BotClient) -> None:
    result = file(
        bot,
        "share",
        EMPLOYEE,
        **{
            Ids.EVENT_DATE: "2026-11-30",
            Ids.ORGANISER: "individual",
            Ids.FUNDRAISER: "yes",
            Ids.ORGANISATION: "<@U0CAO0001> & friends",
        },
    )
    text = card(bot).all_text()
    assert "less than 2 weeks' notice" in text
    assert (
        "not a recognised charity" in text and "The municipality will not share/promote fundraising" in text
    )
    assert "&lt;@U0CAO0001&gt; &amp; friends" in text and "<@U0CAO0001> &" not in text
    receipt = str(result.json()["view"])
    assert "less than 2 weeks' notice" in receipt  # the receipt says so too
    assert "It needs one approval, from " in receipt and "; first" not in receipt


def test_candidate_content_goes_to_the_cao_who_is_told_at_once(bot: BotClient) -> None:
    file(bot, "share", EMPLOYEE, **{Ids.CANDIDATE: "yes"})
    text = card(bot).all_text()
    assert "Candidate or campaign content" in text and "Westlock 9.2" in text
    assert "will not be used as a discussion tool or a campaign platform" in text
    assert any("Taber 1.04(p)" in message for message in dm_texts(bot, CAO))
    bot.press(Ids.APPROVE, DIRECTOR, card(bot))
    assert "Only the CAO can approve" in last_response(bot)
    bot.press(Ids.APPROVE, CAO, card(bot))
    assert request_row(bot).status == Status.APPROVED
    assert [(d["step"], d["role"]) for _, a, d in trail(bot) if a == "approved"] == [(1, "cao")]


def test_account_goes_to_the_director_then_the_cao_and_it_and_communications_are_told(bot: BotClient) -> None:
    file(bot, "account", EMPLOYEE)
    text = card(bot).all_text()
    assert "Recreation" in text and "Taber 1.02(d)" in text and "Westlock 5.3" in text
    assert "Communications reviews the calendar monthly" in text
    bot.press(Ids.APPROVE, DIRECTOR, card(bot))
    bot.press(Ids.APPROVE, CAO, card(bot))
    assert request_row(bot).status == Status.APPROVED
    for channel in (IT_CHANNEL, COMMS_CHANNEL):
        [notice] = bot.slack.messages_to(channel)
        assert "New department profile approved" in notice.all_text() and "1.02(d)" in notice.all_text()
    approvals = [(d["step"], d["role"]) for _, a, d in trail(bot) if a == "approved"]
    assert approvals == [(1, "director"), (2, "cao")]


def test_a_photo_of_an_emergency_scene_quotes_the_rule_that_forbids_it(bot: BotClient) -> None:
    file(bot, "photo", EMPLOYEE, **{Ids.EMERGENCY: "yes", Ids.CONSENT: "not_all"})
    text = card(bot).all_text()
    assert (
        "During an emergency, employees, contractors, and volunteers cannot take photos or videos of incident "
        "scenes, emergency response apparatus, employees engaged in the incident and civilians who may or may "
        "not be involved." in text
    )
    assert "Westlock 8.2" in text and "Taber 1.07(b)(v)" in text
    bot.press(Ids.DENY, COMMS, card(bot))
    bot.submit(bot.last_view(), {Ids.REASON: "Westlock 8.2: not without the CAO's written approval"}, COMMS)
    assert request_row(bot).status == Status.DENIED
    assert any("Westlock 8.2: not without" in text for text in dm_texts(bot, EMPLOYEE))


def test_a_photo_of_an_emergency_scene_needs_a_director_or_the_cao_after_communications(
    bot: BotClient,
) -> None:
    file(bot, "photo", EMPLOYEE, **{Ids.EMERGENCY: "yes", Ids.CONSENT: "all"})
    bot.press(Ids.APPROVE, COMMS, card(bot))  # Communications may approve a photo, but not this one alone
    assert request_row(bot).status == Status.PENDING
    assert "waiting for" in card(bot).all_text() and "the CAO" in card(bot).all_text()
    bot.press(Ids.APPROVE, CAO, card(bot))  # Westlock 8.2.1.2: "the CAO, Directors, or Fire Chief"
    assert request_row(bot).status == Status.APPROVED


def test_a_plain_photo_is_approved_by_the_director(bot: BotClient) -> None:
    file(bot, "photo", EMPLOYEE)
    assert "During an emergency" not in card(bot).all_text()
    bot.press(Ids.APPROVE, DIRECTOR, card(bot))
    assert request_row(bot).status == Status.APPROVED
    assert any("is approved" in text for text in dm_texts(bot, EMPLOYEE))
