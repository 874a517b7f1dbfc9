"""Paging end to end: an urgent flag after hours pages the person on call by DM, escalates when nobody
acknowledges, and stops for good at the first acknowledgement; through the signed HTTP path and scheduler
ticks under the frozen clock, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import due
from bot.domain import timed_handlers
from bot.flags.ids import FlagIds
from bot.oncall.ids import OncallIds
from bot.oncall.models import Page, PageStatus
from bot.scheduler import _run_one, run_timed_jobs
from tests.conftest import CAO, COMMS, DIRECTOR, EMPLOYEE, EMPLOYEE_2, MODERATOR, MODERATOR_2
from tests.harness import BotClient
from tests.oncall_helpers import (
    HACKED,
    MODERATION,
    QUESTION,
    as_shown,
    at,
    audit_of,
    latest_page,
    local,
    pages_to,
)

SUNDAY_0345 = local(
    2026, 11, 22, 3, 45
)  # who is on call that week: Communications, then the moderator, then the CAO


def file_after_hours(bot: BotClient, text: str = HACKED) -> None:
    at(bot, SUNDAY_0345)
    assert bot.command("/flag", text, EMPLOYEE).status == 200
    bot.tick()  # the flags.filed job decides: after hours and urgent, so it pages


def card_text(bot: BotClient) -> str:
    calls = [
        c
        for c in bot.slack.of("chat.postMessage") + bot.slack.of("chat.update")
        if c.get("channel") == MODERATION
    ]
    return calls[-1].all_text()


def test_an_urgent_flag_after_hours_pages_the_person_on_call(bot: BotClient) -> None:
    file_after_hours(bot)
    [page] = pages_to(bot.slack, COMMS)
    text = page.all_text()
    assert "F-1" in text and "Possible compromised town account" in text
    assert "Taber 1.06(c)" in text and "Taber 1.04(i)" in text
    assert "it is posting crypto ads" in text
    assert f"<#{MODERATION}>" in text  # the card's channel, until Slack gives the card's link
    assert pages_to(bot.slack, MODERATOR) == [] and pages_to(bot.slack, CAO) == []
    assert ":pager: Paged <@U0COM0001>" in card_text(bot)
    bot.tick(seconds=15)  # the next tick fetches the card's permalink and edits it into the DM
    assert "https://town.slack.com/archives/C0MODERATE/p" in latest_page(bot.slack, COMMS).all_text()
    assert audit_of(bot, "page") == [("paged", "flagpost")]


def test_nobody_acknowledges_so_it_escalates_step_by_step_and_stops_at_the_end(bot: BotClient) -> None:
    file_after_hours(bot)
    bot.tick(minutes=14)
    assert pages_to(bot.slack, MODERATOR) == []
    bot.tick(minutes=1)
    [second] = pages_to(bot.slack, MODERATOR)
    assert "Escalated to you" in second.all_text()
    assert "escalated to <@U0MOD0001>" in latest_page(bot.slack, COMMS).all_text()  # the earlier page says so
    bot.tick(minutes=15)
    assert len(pages_to(bot.slack, CAO)) == 1
    assert "escalated to" in latest_page(bot.slack, MODERATOR).all_text()
    bot.tick(minutes=15)
    assert "nobody has acknowledged" in latest_page(bot.slack, CAO).all_text()
    bot.tick(hours=5)
    assert [len(pages_to(bot.slack, user)) for user in (COMMS, MODERATOR, CAO)] == [1, 1, 1]
    assert [action for action, _ in audit_of(bot, "page")] == [
        "paged",
        "escalated",
        "escalated",
        "unanswered",
    ]
    card = card_text(bot)
    assert "<@U0COM0001>" in card and "<@U0MOD0001>" in card and "<@U0CAO0001>" in card


def test_acknowledging_stops_the_escalation_and_shows_everywhere(bot: BotClient) -> None:
    file_after_hours(bot)
    bot.tick(minutes=15)  # escalated to the moderator
    bot.press(OncallIds.ACKNOWLEDGE, MODERATOR, as_shown(latest_page(bot.slack, MODERATOR)))
    for user in (COMMS, MODERATOR):
        shown = latest_page(bot.slack, user)
        assert "Acknowledged* by <@U0MOD0001>" in shown.all_text()
        assert OncallIds.ACKNOWLEDGE not in str(shown.blocks)  # no button left to press
    assert "acknowledged by <@U0MOD0001>" in card_text(bot)
    bot.tick(hours=3)
    assert pages_to(bot.slack, CAO) == []
    assert audit_of(bot, "page")[-1] == ("acknowledged", MODERATOR)
    page = bot.query(lambda s: s.scalar(select(Page)))
    assert (page.status, page.acknowledged_by, page.acknowledged_at) == (
        PageStatus.ACKNOWLEDGED,
        MODERATOR,
        local(2026, 11, 22, 4, 0),
    )


def test_acknowledging_twice_is_harmless_and_an_earlier_step_may_still_acknowledge(bot: BotClient) -> None:
    file_after_hours(bot)
    bot.tick(minutes=15)
    first = as_shown(pages_to(bot.slack, COMMS)[0])  # the original page, with its button
    bot.press(OncallIds.ACKNOWLEDGE, COMMS, first)
    bot.press(OncallIds.ACKNOWLEDGE, COMMS, first)
    bot.press(OncallIds.ACKNOWLEDGE, MODERATOR, as_shown(pages_to(bot.slack, MODERATOR)[0]))
    assert [a for a, _ in audit_of(bot, "page")].count("acknowledged") == 1
    assert "Acknowledged* by <@U0COM0001>" in latest_page(bot.slack, MODERATOR).all_text()
    assert bot.slack.responses == []  # nobody was told anything went wrong


def test_only_people_in_the_chain_may_acknowledge(bot: BotClient) -> None:
    file_after_hours(bot)
    value = "page-1-s0"
    for stranger in (EMPLOYEE, DIRECTOR, MODERATOR_2):
        bot.click(OncallIds.ACKNOWLEDGE, value, stranger)
        assert "Only the people this page went to" in str(bot.slack.responses[-1].get("text"))
    assert bot.query(lambda s: s.scalar(select(Page.status))) == PageStatus.PAGING
    bot.click(OncallIds.ACKNOWLEDGE, value, CAO)  # later in the chain, not paged yet: may take it
    assert bot.query(lambda s: s.scalar(select(Page.acknowledged_by))) == CAO
    bot.tick(hours=1)
    assert pages_to(bot.slack, MODERATOR) == [] and pages_to(bot.slack, CAO) == []


def test_an_acknowledgement_in_the_same_second_as_the_escalation_wins(bot: BotClient) -> None:
    file_after_hours(bot)
    at(bot, SUNDAY_0345 + timedelta(minutes=15))  # the escalation is due this very second
    bot.press(OncallIds.ACKNOWLEDGE, COMMS, as_shown(pages_to(bot.slack, COMMS)[0]))
    bot.tick()
    assert pages_to(bot.slack, MODERATOR) == []


def test_an_escalation_already_claimed_when_the_acknowledgement_lands_does_nothing(bot: BotClient) -> None:
    file_after_hours(bot)
    at(bot, SUNDAY_0345 + timedelta(minutes=15))
    with bot.rt.sessions() as session:  # a worker has taken the job in this tick, but not run it yet
        [(job_id, lease)] = due.claim_due(session, due.TimedJob, bot.rt.clock.now())
    bot.press(OncallIds.ACKNOWLEDGE, COMMS, as_shown(pages_to(bot.slack, COMMS)[0]))
    assert _run_one(bot.rt, timed_handlers(bot.rt.domains), job_id, lease) is False
    assert run_timed_jobs(bot.rt) == 0
    bot.tick(hours=1)
    assert pages_to(bot.slack, MODERATOR) == []
    assert [a for a, _ in audit_of(bot, "page")] == ["paged", "acknowledged"]


def test_in_business_hours_an_urgent_flag_mentions_the_moderators_instead(bot: BotClient) -> None:
    bot.command("/flag", HACKED, EMPLOYEE)  # Tuesday 10:00
    bot.tick()
    assert pages_to(bot.slack, COMMS) == []
    [alert] = [c for c in bot.slack.messages_to(MODERATION) if "needs a moderator now" in c["text"]]
    assert "<@U0MOD0001> <@U0MOD0002>" in alert["text"] and "Taber 1.06(c)" in alert["text"]
    card = bot.slack.messages_to(MODERATION)[0]
    assert alert.get("thread_ts") == card.response["ts"]  # on the card's thread


def test_a_holiday_counts_as_after_hours(bot: BotClient) -> None:
    at(bot, local(2026, 11, 11, 10, 0))  # Remembrance Day, a Wednesday: a general holiday in Alberta
    bot.command("/flag", HACKED, EMPLOYEE)
    bot.tick()
    assert len(pages_to(bot.slack, MODERATOR)) == 1  # on call the week of 9 November


def test_a_flag_that_is_not_urgent_pages_nobody(bot: BotClient) -> None:
    at(bot, SUNDAY_0345)
    bot.command("/flag", QUESTION, EMPLOYEE)
    bot.tick(hours=2)
    assert all(pages_to(bot.slack, user) == [] for user in (COMMS, MODERATOR, CAO))


def test_a_moderator_pages_on_call_from_the_card_and_only_once(bot: BotClient) -> None:
    at(bot, SUNDAY_0345)
    bot.command("/flag", QUESTION, EMPLOYEE)
    bot.tick()
    bot.press(FlagIds.PAGE, EMPLOYEE)  # not a moderator
    assert "Only the town's authorized" in str(bot.slack.responses[-1].get("text"))
    assert pages_to(bot.slack, COMMS) == []
    bot.press(FlagIds.PAGE, MODERATOR)
    [page] = pages_to(bot.slack, COMMS)
    assert "paged by a moderator" in page.all_text()
    bot.press(FlagIds.PAGE, MODERATOR_2)
    assert "already being paged" in str(bot.slack.responses[-1].get("text"))
    assert len(pages_to(bot.slack, COMMS)) == 1
    assert ("paged_on_call", MODERATOR) in audit_of(bot, "flag")


def test_user_text_in_a_page_is_escaped(bot: BotClient) -> None:
    file_after_hours(bot, "https://x.com/a/status/1 hacked <!channel> <https://evil.example|click> & more")
    text = str(pages_to(bot.slack, COMMS)[0].blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "&amp; more" in text


def test_an_escalation_across_the_end_of_daylight_saving_waits_real_minutes(bot: BotClient) -> None:
    at(bot, local(2026, 11, 1, 1, 50))  # 01:50 MDT; at 02:00 the clocks go back to 01:00 MST
    bot.command("/flag", HACKED, EMPLOYEE)
    bot.tick()
    paged = [user for user in (COMMS, MODERATOR, CAO) if pages_to(bot.slack, user)]
    assert len(paged) == 1
    bot.tick(minutes=14)  # 01:04 MST, an hour "earlier" on the clock
    assert sum(len(pages_to(bot.slack, user)) for user in (COMMS, MODERATOR, CAO)) == 1
    bot.tick(minutes=1)
    assert sum(len(pages_to(bot.slack, user)) for user in (COMMS, MODERATOR, CAO)) == 2


def test_a_page_slack_refuses_is_sent_later_once_and_the_escalation_keeps_time(bot: BotClient) -> None:
    at(bot, SUNDAY_0345)
    bot.command("/flag", HACKED, EMPLOYEE)
    bot.slack.fail_next("chat.postMessage", status=500)  # a post is not retried at once: it may have gone
    bot.tick()
    assert pages_to(bot.slack, COMMS) == []
    bot.tick(seconds=30)
    assert len(pages_to(bot.slack, COMMS)) == 1
    bot.tick(minutes=14, seconds=30)  # 15 minutes after the page was made, not after Slack took it
    assert len(pages_to(bot.slack, MODERATOR)) == 1 and len(pages_to(bot.slack, COMMS)) == 1


def test_claiming_the_flag_stops_its_page_as_an_acknowledgement_would(bot: BotClient) -> None:
    file_after_hours(bot)
    [card] = [c for c in bot.slack.of("chat.postMessage") if c.get("channel") == MODERATION]
    bot.press(FlagIds.CLAIM, MODERATOR_2, card)  # a moderator takes the flag itself, not the page
    assert f"*Acknowledged* by <@{MODERATOR_2}>" in latest_page(bot.slack, COMMS).all_text()
    bot.tick(minutes=16)
    bot.tick(minutes=16)
    assert pages_to(bot.slack, MODERATOR) == [] and pages_to(bot.slack, CAO) == []
    page = bot.query(lambda s: s.scalar(select(Page)))
    assert (page.status, page.acknowledged_by) == (PageStatus.ACKNOWLEDGED, MODERATOR_2)
    assert ("acknowledged", MODERATOR_2) in audit_of(bot, "page")


def test_resolving_the_flag_stops_its_page(bot: BotClient) -> None:
    file_after_hours(bot)
    [card] = [c for c in bot.slack.of("chat.postMessage") if c.get("channel") == MODERATION]
    bot.press(FlagIds.RESOLVE, MODERATOR_2, card)
    bot.submit(bot.last_view(), {FlagIds.OUTCOME_BLOCK: "no_action"}, MODERATOR_2)
    bot.tick(minutes=31)
    assert pages_to(bot.slack, MODERATOR) == []
    assert bot.query(lambda s: s.scalar(select(Page))).status == PageStatus.ACKNOWLEDGED


def test_a_flag_raised_to_emergency_after_hours_pages_once_unless_already_claimed(bot: BotClient) -> None:
    file_after_hours(bot, QUESTION)
    assert pages_to(bot.slack, COMMS) == []
    bot.press(FlagIds.SET_PRIORITY, EMPLOYEE, selected_option="emergency")  # the reporter corrects it
    bot.tick()
    [page] = pages_to(bot.slack, COMMS)
    assert "Taber 1.04(r)(i)" in page.all_text()
    bot.press(FlagIds.SET_PRIORITY, EMPLOYEE, selected_option="routine")
    bot.press(FlagIds.SET_PRIORITY, EMPLOYEE, selected_option="time_sensitive")
    bot.tick()
    assert len(pages_to(bot.slack, COMMS)) == 1  # the page already running is the page


def test_raising_the_priority_of_a_claimed_flag_pages_nobody(bot: BotClient) -> None:
    file_after_hours(bot, QUESTION)
    bot.press(FlagIds.CLAIM, MODERATOR)
    bot.press(FlagIds.SET_PRIORITY, MODERATOR, selected_option="emergency")
    bot.tick()
    assert pages_to(bot.slack, COMMS) == []


def test_raising_the_priority_in_business_hours_alerts_the_moderators_on_the_card(bot: BotClient) -> None:
    assert bot.command("/flag", QUESTION, EMPLOYEE).status == 200  # Tuesday 10:00
    bot.tick()
    bot.press(FlagIds.SET_PRIORITY, MODERATOR_2, selected_option="emergency")
    bot.tick()
    thread = [c for c in bot.slack.of("chat.postMessage") if c.get("thread_ts")]
    assert any(":rotating_light: F-1 needs a moderator now" in c.all_text() for c in thread)
    assert pages_to(bot.slack, COMMS) == []


def test_the_reporter_of_an_urgent_flag_hears_who_is_being_woken(bot: BotClient) -> None:
    at(bot, SUNDAY_0345)
    text = bot.command("/flag", HACKED, EMPLOYEE).text
    assert "the person on call is being paged now (Taber 1.04(i))" in text
    assert "I've also told the CAO, IT and Communications right away" in text
    assert "being paged" not in bot.command("/flag", QUESTION, EMPLOYEE).text  # not urgent: nobody woken
    at(bot, local(2026, 11, 23, 10, 0))  # Monday morning
    text = bot.command("/flag", HACKED.replace("posts/", "posts/9"), EMPLOYEE_2).text
    assert "the moderators are being alerted on its card now" in text
