"""`/oncall` over the signed HTTP path: the real schedule now and next, hand-overs (across a DST change too),
and overrides with their refusals; and the overrides deciding who a page goes to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.oncall.ids import OncallIds
from bot.oncall.models import Override
from tests.conftest import ADMIN, CAO, COMMS, DIRECTOR, EMPLOYEE, MODERATOR
from tests.harness import BotClient
from tests.oncall_helpers import HACKED, as_shown, at, audit_of, latest_page, local, pages_to


def oncall(bot: BotClient, text: str = "", user: str = EMPLOYEE) -> str:
    result = bot.command("/oncall", text, user)
    assert result.status == 200
    return result.text


def test_oncall_shows_who_is_on_call_now_and_next_with_the_handover_in_the_towns_zone(bot: BotClient) -> None:
    text = oncall(bot)  # Tuesday 17 November, 10:00
    assert "*On call now:* <@U0COM0001> until Mon 23 Nov 2026, 08:30 MST" in text
    assert "*Next:* <@U0MOD0001> from Mon 23 Nov 2026, 08:30 MST" in text
    assert "<@U0MOD0001> → <@U0CAO0001>" in text  # the escalation chain behind the person on call
    assert "Hand-over every Monday at 08:30 (America/Edmonton)" in text and "business hours" in text


def test_the_clock_moved_across_a_handover(bot: BotClient) -> None:
    at(bot, local(2026, 11, 23, 8, 29))
    assert "*On call now:* <@U0COM0001> until Mon 23 Nov 2026, 08:30 MST" in oncall(bot)
    bot.tick(minutes=1)
    text = oncall(bot)
    assert "*On call now:* <@U0MOD0001> until Mon 30 Nov 2026, 08:30 MST" in text
    assert "*Next:* <@U0COM0001>" in text


def test_the_handover_stays_at_0830_on_the_clock_across_the_end_of_daylight_saving(bot: BotClient) -> None:
    at(bot, local(2026, 10, 31, 12, 0))  # clocks go back on Sunday 1 November
    assert "until Mon 2 Nov 2026, 08:30 MST" in oncall(bot)
    at(bot, local(2026, 3, 7, 12, 0))  # and forward on Sunday 8 March
    assert "until Mon 9 Mar 2026, 08:30 MDT" in oncall(bot)


def test_help_and_nonsense(bot: BotClient) -> None:
    assert "/oncall cover" in oncall(bot, "help")
    assert "does not know" in oncall(bot, "dance")


def test_communications_puts_a_rotation_member_on_call_and_pages_follow_the_override(bot: BotClient) -> None:
    reply = oncall(bot, "cover <@U0MOD0001|morgan> 2026-11-21 18:00 2026-11-22 08:30", COMMS)
    assert "<@U0MOD0001> is on call from Sat 21 Nov 2026, 18:00 MST to Sun 22 Nov 2026, 08:30 MST" in reply
    bot.wait()
    assert "put you on call" in bot.slack.dms_to(MODERATOR)[-1]["text"]
    assert "*Override:* <@U0MOD0001>" in oncall(bot)
    at(bot, local(2026, 11, 22, 3, 45))
    assert (
        "*On call now:* <@U0MOD0001> (covering for <@U0COM0001>) until Sun 22 Nov 2026, 08:30 MST"
        in oncall(bot)
    )
    bot.command("/flag", HACKED, EMPLOYEE)
    bot.tick()
    assert len(pages_to(bot.slack, MODERATOR)) == 1 and pages_to(bot.slack, COMMS) == []
    bot.tick(
        minutes=15
    )  # then the rest of the rotation from the person on call: Communications, then the CAO
    assert len(pages_to(bot.slack, COMMS)) == 1
    assert audit_of(bot, "oncall_override") == [("override_added", COMMS)]


def test_a_rotation_member_takes_a_shift(bot: BotClient) -> None:
    reply = oncall(bot, "me now 2026-11-17 18:00", MODERATOR)
    assert "You are on call from Tue 17 Nov 2026, 10:00 MST to Tue 17 Nov 2026, 18:00 MST" in reply
    assert (
        "*On call now:* <@U0MOD0001> (covering for <@U0COM0001>) until Tue 17 Nov 2026, 18:00 MST"
        in oncall(bot)
    )


def test_an_admin_may_cover_too(bot: BotClient) -> None:
    assert "is on call" in oncall(bot, "cover U0MOD0001 2026-11-28 2026-11-29", ADMIN)
    override = bot.query(lambda s: s.scalar(select(Override)))
    assert override.starts_at == local(2026, 11, 28, 0, 0) and override.ends_at == local(2026, 11, 30, 0, 0)


@pytest.mark.parametrize(
    ("user", "text", "words"),
    [
        (EMPLOYEE, "cover <@U0MOD0001> 2026-11-21 18:00 2026-11-22 08:30", "Only Communications"),
        (MODERATOR, "cover <@U0COM0001> 2026-11-21 18:00 2026-11-22 08:30", "Only Communications"),
        (EMPLOYEE, "me 2026-11-21 18:00 2026-11-22 08:30", "Only people in the on-call rotation"),
        (COMMS, "cover <@U0DIR0001> 2026-11-21 18:00 2026-11-22 08:30", "not in the on-call rotation"),
        (COMMS, "cover dana 2026-11-21 18:00 2026-11-22 08:30", "is not a person"),
        (COMMS, "cover <@U0MOD0001> 2026-11-22 08:30 2026-11-21 18:00", "ends before it starts"),
        (COMMS, "cover <@U0MOD0001> 2026-11-01 2026-11-02", "already over"),
        (COMMS, "cover <@U0MOD0001> 2026-02-30 2026-03-02", "not a date on the calendar"),
        (COMMS, "cover <@U0MOD0001> saturday sunday", "is not a date or time"),
        (COMMS, "cover <@U0MOD0001> 2026-11-21 18:00", "when it ends"),
        (COMMS, "cover <@U0MOD0001> 2026-11-21 2027-06-01", "at most 90 days"),
        (COMMS, "cover <@U0MOD0001> 2026-11-21 25:00 2026-11-22", "“25:00” is not a date or time"),
        (COMMS, "cover <@U0MOD0001> 2026-11-21 2026-11-22 and more", "I did not understand"),
        (COMMS, "cover <@U0MOD0001> " + "x" * 300, "too long"),
    ],
)
def test_bad_overrides_get_a_plain_error_and_change_nothing(
    bot: BotClient, user: str, text: str, words: str
) -> None:
    reply = oncall(bot, text, user)
    assert words in reply, reply
    assert bot.query(lambda s: s.scalar(select(Override))) is None


def test_overlapping_overrides_are_refused(bot: BotClient) -> None:
    oncall(bot, "cover <@U0MOD0001> 2026-11-21 18:00 2026-11-22 08:30", COMMS)
    reply = oncall(bot, "me 2026-11-22 06:00 2026-11-22 12:00", COMMS)
    assert "overlaps <@U0MOD0001>'s shift" in reply
    assert "You are on call" in oncall(bot, "me 2026-11-22 08:30 2026-11-22 12:00", COMMS)  # touching is fine
    assert "overlaps your own shift" in oncall(bot, "me 2026-11-22 09:00 2026-11-22 10:00", COMMS)
    assert len(bot.query(lambda s: list(s.scalars(select(Override))))) == 2


def test_a_member_gives_up_a_shift_and_the_rotation_covers_it_again(bot: BotClient) -> None:
    oncall(bot, "me 2026-11-21 18:00 2026-11-22 08:30", MODERATOR)
    reply = oncall(bot, "cancel", MODERATOR)
    assert "Your shift from Sat 21 Nov 2026, 18:00 MST to Sun 22 Nov 2026, 08:30 MST is cancelled" in reply
    assert bot.query(lambda s: s.scalar(select(Override))) is None
    at(bot, local(2026, 11, 22, 3, 45))
    bot.command("/flag", HACKED, EMPLOYEE)
    bot.tick()
    assert pages_to(bot.slack, MODERATOR) == [] and len(pages_to(bot.slack, COMMS)) == 1
    assert audit_of(bot, "oncall_override")[-1] == ("override_cancelled", MODERATOR)
    assert "no shift now or later" in oncall(bot, "cancel", MODERATOR)
    assert "on call this week by the rotation" in oncall(bot, "cancel", COMMS)  # Cam's rotation week


def test_communications_ends_a_shift_under_way_and_the_record_keeps_what_was_covered(bot: BotClient) -> None:
    oncall(bot, "cover <@U0MOD0001> now 2026-11-18 08:30", COMMS)
    bot.tick(hours=2)
    assert "Only Communications" in oncall(bot, "cancel <@U0MOD0001>", EMPLOYEE)
    reply = oncall(bot, "cancel <@U0MOD0001>", COMMS)
    assert "<@U0MOD0001>'s shift from Tue 17 Nov 2026, 10:00 MST" in reply and "is cancelled" in reply
    bot.wait()
    assert "took you off call" in bot.slack.dms_to(MODERATOR)[-1]["text"]
    override = bot.query(lambda s: s.scalar(select(Override)))
    assert override.ends_at == local(2026, 11, 17, 12, 0)
    assert "*On call now:* <@U0COM0001>" in oncall(bot)
    assert "is not a person" in oncall(bot, "cancel dana", COMMS)


def test_the_chain_ends_with_the_cao_and_nobody_twice(bot: BotClient) -> None:
    text = oncall(bot)
    assert text.count("<@U0CAO0001>") == 1 and CAO == "U0CAO0001"
    assert DIRECTOR not in text


def test_a_past_start_means_now(bot: BotClient) -> None:
    oncall(bot, "me 2026-11-17 2026-11-17 20:00", MODERATOR)
    override = bot.query(lambda s: s.scalar(select(Override)))
    assert override.starts_at == bot.rt.clock.now() and override.ends_at - override.starts_at == timedelta(
        hours=10
    )


def test_app_home_shows_who_is_on_call(bot: BotClient) -> None:
    bot.event({"type": "app_home_opened", "user": EMPLOYEE, "channel": "D0HOME", "tab": "home"})
    [home] = bot.slack.of("views.publish")
    assert "*On call now:* <@U0COM0001> until Mon 23 Nov 2026, 08:30 MST" in home.all_text()


def test_oncall_and_an_acknowledgement_over_socket_mode(socket_bot: BotClient) -> None:
    """The same listeners answer over Socket Mode: the real schedule, and a page acknowledged."""
    assert (
        "*On call now:* <@U0COM0001> until Mon 23 Nov 2026, 08:30 MST"
        in socket_bot.command("/oncall", "", EMPLOYEE).text
    )
    at(socket_bot, local(2026, 11, 22, 3, 45))
    socket_bot.command("/flag", HACKED, EMPLOYEE)
    socket_bot.tick()
    socket_bot.press(OncallIds.ACKNOWLEDGE, COMMS, as_shown(latest_page(socket_bot.slack, COMMS)))
    assert "Acknowledged* by <@U0COM0001>" in latest_page(socket_bot.slack, COMMS).all_text()
