"""Flag deadline reminders and the daily review, end to end under the frozen clock, on both databases."""

from __future__ import annotations

from sqlalchemy import select

from bot import due
from bot.flags.ids import FlagIds
from bot.flags.jobs import REVIEW
from tests.conftest import DIRECTOR, EMPLOYEE, EMPLOYEE_2, MODERATOR
from tests.harness import BotClient
from tests.oncall_helpers import MODERATION, QUESTION, at, audit_of, local

OTHER = "https://www.instagram.com/p/pool/ When is the pool open on the holiday?"
THIRD = "https://x.com/town/status/3 Is the arena parking lot closed this week?"


def channel_texts(bot: BotClient, words: str) -> list:
    return [call for call in bot.slack.messages_to(MODERATION) if words in str(call.get("text"))]


def latest_card(bot: BotClient, ref: str):  # -> the recorded stand-in call
    shown = bot.slack.of("chat.postMessage") + bot.slack.of("chat.update")
    return [c for c in shown if c.get("channel") == MODERATION and f"{ref} ·" in str(c.get("text"))][-1]


def card_of(bot: BotClient, ref: str) -> str:
    return latest_card(bot, ref).all_text()


def test_an_unclaimed_flag_is_reminded_at_75_percent_on_its_cards_thread(bot: BotClient) -> None:
    bot.command("/flag", QUESTION, EMPLOYEE)  # Tuesday 10:00; deadline Wednesday 10:00 (8 business hours)
    bot.tick()
    bot.tick(hours=5, minutes=59)
    assert channel_texts(bot, "still unclaimed") == []
    bot.tick(minutes=1)  # 6 business hours in: Tuesday 16:00
    [reminder] = channel_texts(bot, "still unclaimed")
    assert reminder.get("thread_ts") == bot.slack.messages_to(MODERATION)[0].response["ts"]
    assert "<!channel>" not in reminder["text"] and "<@" not in reminder["text"]  # nobody is nagged by name
    bot.tick(hours=1)
    assert len(channel_texts(bot, "still unclaimed")) == 1


def test_after_downtime_past_the_deadline_the_flag_is_overdue_not_still_unclaimed(bot: BotClient) -> None:
    # Tuesday 10:00; reminder Tuesday 16:00, deadline Wednesday 10:00
    bot.command("/flag", QUESTION, EMPLOYEE)
    bot.tick()
    bot.tick(days=1, hours=1)  # the bot was down: both jobs fall due in the same tick
    assert channel_texts(bot, "still unclaimed") == []
    assert "overdue" in card_of(bot, "F-1").lower()


def test_the_75_percent_point_is_counted_in_business_hours_across_a_weekend(bot: BotClient) -> None:
    at(bot, local(2026, 11, 20, 15, 0))  # Friday 15:00: 1.5 h left today, deadline Monday 15:00
    bot.command("/flag", QUESTION, EMPLOYEE)
    bot.tick()
    bot.tick(hours=48)  # Sunday 15:00: nothing, it is the weekend
    assert channel_texts(bot, "still unclaimed") == []
    at(bot, local(2026, 11, 23, 13, 0))  # 6 business hours: Friday 1.5 + Monday 4.5
    bot.tick()
    assert len(channel_texts(bot, "still unclaimed")) == 1


def test_the_reminder_and_the_deadline_across_the_start_of_daylight_saving(bot: BotClient) -> None:
    at(bot, local(2026, 3, 6, 15, 0))  # Friday; clocks go forward on Sunday 8 March
    bot.command("/flag", QUESTION, EMPLOYEE)
    bot.tick()
    at(bot, local(2026, 3, 9, 12, 59))
    bot.tick()
    assert channel_texts(bot, "still unclaimed") == []
    bot.tick(minutes=1)  # Monday 13:00 MDT: 1.5 business hours on Friday, 4.5 on Monday
    assert len(channel_texts(bot, "still unclaimed")) == 1
    at(bot, local(2026, 3, 9, 15, 0))  # the deadline, 8 business hours
    bot.tick()
    assert "past its deadline" in bot.slack.dms_to(DIRECTOR)[-1]["text"]


def test_a_claimed_flag_is_not_reminded_but_its_owner_hears_when_it_is_overdue(bot: BotClient) -> None:
    bot.command("/flag", QUESTION, EMPLOYEE)
    bot.tick()
    bot.press(FlagIds.CLAIM, MODERATOR)
    bot.tick(hours=6)
    assert channel_texts(bot, "still unclaimed") == []
    at(bot, local(2026, 11, 18, 10, 0))  # the deadline
    bot.tick()
    assert "past its deadline" in bot.slack.dms_to(MODERATOR)[-1]["text"]
    assert "claimed by <@U0MOD0001>" in bot.slack.dms_to(DIRECTOR)[-1]["text"]
    assert "overdue" in card_of(bot, "F-1")
    told = len(bot.slack.dms_to(DIRECTOR))
    bot.tick(hours=24)
    assert len(bot.slack.dms_to(DIRECTOR)) == told  # once
    assert ("overdue", "flagpost") in audit_of(bot, "flag")


def test_a_resolved_flag_is_neither_reminded_nor_overdue(bot: BotClient) -> None:
    bot.command("/flag", QUESTION, EMPLOYEE)
    bot.tick()
    bot.press(FlagIds.RESOLVE, MODERATOR)
    bot.submit(bot.last_view(), {FlagIds.OUTCOME_BLOCK: "answered"}, MODERATOR)
    bot.tick(hours=30)
    assert channel_texts(bot, "still unclaimed") == [] and bot.slack.dms_to(DIRECTOR) == []


def test_the_daily_review_lists_open_items_oldest_first_with_owners_and_deadlines(bot: BotClient) -> None:
    bot.command("/flag", QUESTION, EMPLOYEE)
    bot.tick(minutes=5)
    bot.command("/flag", OTHER, EMPLOYEE_2)
    bot.tick(minutes=5)
    bot.command("/flag", THIRD, EMPLOYEE)
    bot.tick()
    bot.press(FlagIds.SET_PRIORITY, MODERATOR, latest_card(bot, "F-2"), selected_option="emergency")
    bot.press(FlagIds.CLAIM, MODERATOR, latest_card(bot, "F-2"))
    bot.press(FlagIds.RESOLVE, MODERATOR, latest_card(bot, "F-3"))
    bot.submit(bot.last_view(), {FlagIds.OUTCOME_BLOCK: "answered"}, MODERATOR)
    assert channel_texts(bot, "Daily review") == []  # Tuesday's review was before Flagpost started
    at(bot, local(2026, 11, 18, 8, 29))
    bot.tick()
    assert channel_texts(bot, "Daily review") == []
    bot.tick(minutes=1)
    [review] = channel_texts(bot, "Daily review")
    text = review.all_text()
    assert "Taber 1.04(q)" in text and "2 open items, oldest first" in text
    assert text.index("*F-1*") < text.index("*F-2*") and "*F-3*" not in text
    assert "_unclaimed_" in text and "<@U0MOD0001>" in text and "due <!date^" in text
    assert "*F-2* Public question · :rotating_light: Emergency" in text  # the priority that goes first
    assert ":rotating_light:" not in text.split("*F-2*")[0]  # F-1 is not urgent
    bot.tick(hours=3)
    assert len(channel_texts(bot, "Daily review")) == 1


def test_the_review_skips_weekends_and_holidays(bot: BotClient) -> None:
    def next_review() -> str:
        keys = bot.query(
            lambda s: list(s.scalars(select(due.TimedJob.key).where(due.TimedJob.kind == REVIEW)))
        )
        return sorted(keys)[-1]

    at(bot, local(2026, 11, 20, 17, 0))  # Friday evening
    bot.tick()
    assert next_review() == f"{REVIEW}:2026-11-23"
    at(bot, local(2026, 11, 10, 17, 0))  # Tuesday evening before Remembrance Day
    bot.tick()
    assert f"{REVIEW}:2026-11-12" in bot.query(lambda s: list(s.scalars(select(due.TimedJob.key))))
    at(bot, local(2026, 11, 12, 8, 30))
    bot.tick()
    assert len(channel_texts(bot, "Daily review")) == 1
    assert "Nothing is open" in channel_texts(bot, "Daily review")[0].all_text()
