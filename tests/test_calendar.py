"""The business calendar across weekends, holidays, closures, seasonal hours, both DST changes and the edges of
the day; and the rotation's hand-over, which keeps its local time across DST."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.calendar import BusinessCalendar
from bot.config import BusinessHours, Organization, Season
from bot.oncall.rotation import Rotation
from tests.oncall_helpers import local

ALBERTA = BusinessCalendar("America/Edmonton", "CA-AB")
SUMMER = Season("Summer hours", (7, 1), (8, 31), BusinessHours(time(8, 0), time(15, 0), (0, 1, 2, 3)))
TOWN = BusinessCalendar(
    "America/Edmonton",
    "CA-AB",
    closures=[(date(2026, 12, 24), date(2026, 12, 24)), (date(2026, 12, 29), date(2026, 12, 31))],
    seasons=[SUMMER],
)
ALL_DAY = BusinessCalendar(
    "America/Edmonton", "CA-AB", BusinessHours(time(0, 0), time(23, 59), (0, 1, 2, 3, 4, 5, 6))
)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (local(2026, 11, 17, 8, 29, 59), False),  # a second before opening
        (local(2026, 11, 17, 8, 30), True),  # opening is business time
        (local(2026, 11, 17, 16, 29, 59), True),
        (local(2026, 11, 17, 16, 30), False),  # closing is not
        (local(2026, 11, 21, 10, 0), False),  # Saturday
        (local(2026, 11, 11, 10, 0), False),  # Remembrance Day in Alberta
        (local(2026, 2, 16, 10, 0), False),  # Family Day
        (local(2026, 4, 3, 10, 0), False),  # Good Friday
        (datetime(2026, 11, 17, 17, 0, tzinfo=UTC), True),  # 10:00 in Edmonton, asked in UTC
    ],
)
def test_is_business_time_at_the_edges(moment: datetime, open_: bool) -> None:
    assert ALBERTA.is_business_time(moment) is open_


def test_the_next_business_moment() -> None:
    assert ALBERTA.next_business_moment(local(2026, 11, 17, 10, 0)) == local(2026, 11, 17, 10, 0)
    assert ALBERTA.next_business_moment(local(2026, 11, 17, 16, 30)) == local(2026, 11, 18, 8, 30)
    assert ALBERTA.next_business_moment(local(2026, 11, 21, 3, 45)) == local(2026, 11, 23, 8, 30)
    assert ALBERTA.next_business_moment(local(2026, 11, 10, 17, 0)) == local(2026, 11, 12, 8, 30)  # holiday
    assert ALBERTA.next_business_moment(local(2026, 12, 24, 17, 0)) == local(2026, 12, 28, 8, 30)


def test_adding_business_hours_at_the_edges_of_the_day() -> None:
    assert ALBERTA.add_business_hours(local(2026, 11, 17, 8, 30), 8) == local(2026, 11, 17, 16, 30)
    assert ALBERTA.add_business_hours(local(2026, 11, 17, 16, 30), 1) == local(2026, 11, 18, 9, 30)
    assert ALBERTA.add_business_hours(local(2026, 11, 17, 16, 29), 1) == local(2026, 11, 18, 9, 29)
    assert ALBERTA.add_business_hours(local(2026, 11, 20, 15, 0), 8) == local(2026, 11, 23, 15, 0)
    assert ALBERTA.add_business_hours(local(2026, 11, 17, 10, 0), 0.5) == local(2026, 11, 17, 10, 30)
    assert ALBERTA.add_business_hours(local(2026, 11, 17, 3, 0), 0) == local(2026, 11, 17, 8, 30)
    with pytest.raises(ValueError):
        ALBERTA.add_business_hours(local(2026, 11, 17, 10, 0), -1)


def test_both_dst_changes_in_the_usual_hours() -> None:
    # Spring forward on Sunday 8 March 2026, fall back on Sunday 1 November: Friday 16:00 + 1 h = Monday 09:00.
    assert ALBERTA.add_business_hours(local(2026, 3, 6, 16, 0), 1) == local(2026, 3, 9, 9, 0)
    assert ALBERTA.add_business_hours(local(2026, 10, 30, 16, 0), 1) == local(2026, 11, 2, 9, 0)
    assert ALBERTA.next_business_moment(local(2026, 3, 7, 12, 0)) == local(2026, 3, 9, 8, 30)
    assert local(2026, 3, 9, 8, 30).astimezone(UTC).hour == 14  # MDT
    assert local(2026, 11, 2, 8, 30).astimezone(UTC).hour == 15  # MST


def test_a_day_with_a_dst_change_has_its_true_length() -> None:
    # Open all day, every day: Sunday 8 March has 23 real hours, Sunday 1 November 25.
    march = ALL_DAY.window(date(2026, 3, 8))
    november = ALL_DAY.window(date(2026, 11, 1))
    assert march and march[1] - march[0] == timedelta(hours=22, minutes=59)
    assert november and november[1] - november[0] == timedelta(hours=24, minutes=59)
    assert ALL_DAY.add_business_hours(local(2026, 3, 8, 0, 0), 23) == local(2026, 3, 9, 0, 1)


def test_closures_and_summer_hours() -> None:
    assert not TOWN.is_business_day(date(2026, 12, 24)) and TOWN.is_business_day(date(2026, 12, 28))
    assert TOWN.next_business_moment(local(2026, 12, 28, 17, 0)) == local(
        2027, 1, 4, 8, 30
    )  # 29–31 + New Year
    assert TOWN.is_business_time(local(2026, 7, 6, 8, 0)) and not TOWN.is_business_time(
        local(2026, 7, 6, 15, 0)
    )
    assert not TOWN.is_business_day(date(2026, 7, 10))  # summer Fridays off
    assert TOWN.add_business_hours(local(2026, 7, 9, 14, 0), 2) == local(2026, 7, 13, 9, 0)
    assert TOWN.is_business_time(local(2026, 9, 1, 16, 0))  # back to the usual hours


def test_a_season_may_wrap_the_new_year() -> None:
    winter = Season("Winter", (12, 15), (1, 15), BusinessHours(time(9, 0), time(16, 0)))
    assert winter.contains(date(2026, 12, 20)) and winter.contains(date(2027, 1, 2))
    assert not winter.contains(date(2026, 11, 20))


def test_the_start_of_the_business_day() -> None:
    assert ALBERTA.business_day_start(local(2026, 11, 17, 7, 0)) == local(2026, 11, 17, 8, 30)
    assert ALBERTA.business_day_start(local(2026, 11, 17, 12, 0)) == local(2026, 11, 17, 8, 30)
    assert ALBERTA.business_day_start(local(2026, 11, 20, 17, 0)) == local(2026, 11, 23, 8, 30)


def test_moments_are_described_in_the_towns_zone() -> None:
    assert ALBERTA.describe(datetime(2026, 11, 23, 15, 30, tzinfo=UTC)) == "Mon 23 Nov 2026, 08:30 MST"


def test_the_handover_keeps_its_local_time_across_dst(org: Organization) -> None:
    rotation = Rotation(org)
    assert rotation.handover_after(local(2026, 10, 31, 12, 0)) == local(2026, 11, 2, 8, 30)
    assert rotation.handover_after(local(2026, 3, 7, 12, 0)) == local(2026, 3, 9, 8, 30)
    assert rotation.handover_before(local(2026, 11, 23, 8, 30)) == local(2026, 11, 23, 8, 30)
    assert rotation.handover_before(local(2026, 11, 23, 8, 29)) == local(2026, 11, 16, 8, 30)


def test_the_rotation_week_zero_and_a_custom_handover(org: Organization) -> None:
    mine = replace(org, oncall_rotation_start=date(2026, 11, 25), oncall_handover=(4, time(17, 0)))  # Fridays
    rotation = Rotation(mine)
    assert rotation.rotation_person(local(2026, 11, 20, 17, 0)) == "U0COM0001"  # the week of the 25th
    assert rotation.rotation_person(local(2026, 11, 27, 16, 59)) == "U0COM0001"
    assert rotation.rotation_person(local(2026, 11, 27, 17, 0)) == "U0MOD0001"
    assert rotation.rotation_person(local(2026, 11, 20, 16, 59)) == "U0MOD0001"  # the week before


def test_an_explicit_escalation_list(org: Organization) -> None:
    mine = replace(org, oncall_escalation=("U0DIR0001", "U0COM0001", "U0CAO0001"))
    assert Rotation(mine).chain("U0COM0001") == ["U0COM0001", "U0DIR0001", "U0CAO0001"]
    assert Rotation(org).chain("U0MOD0001") == ["U0MOD0001", "U0COM0001", "U0CAO0001"]
    assert Rotation(replace(org, oncall_rotation=())).chain(None) == ["U0CAO0001"]
