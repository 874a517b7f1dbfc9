"""The organisation's business calendar, the one time service every domain asks: is it business time, when
does business next begin, and what moment is N business hours from now.

It knows the time zone, the business days and hours (Westlock 1.11, Taber 1.04(q)), the statutory holidays
of the province (from `holidays`), closures designated by the CAO, and seasonal hours such as summer hours.
Deadlines ("8 business hours", Middlesex Centre), after-hours paging (Taber 1.04(i)) and the daily review
are counted here and nowhere else. Arithmetic is done on UTC instants, so a day with a daylight-saving
change has its true length.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from bot.config import BusinessHours, Organization, Season

MAX_DAYS = 3660  # ten years of days: a calendar with no business day at all must not loop forever


class BusinessCalendar:
    def __init__(
        self,
        timezone: str,
        holiday_region: str,
        hours: BusinessHours | None = None,
        closures: Sequence[tuple[date, date]] = (),
        seasons: Sequence[Season] = (),
    ):
        self.tz = ZoneInfo(timezone)
        self.hours = hours or BusinessHours()
        self.closures = tuple(closures)
        self.seasons = tuple(seasons)
        country, _, subdivision = holiday_region.partition("-")
        self._holidays = holidays.country_holidays(country, subdiv=subdivision or None)

    @classmethod
    def for_organization(cls, org: Organization) -> BusinessCalendar:
        return cls(org.timezone, org.holiday_region, org.hours, org.closures, org.seasons)

    # ----- days

    def is_holiday(self, day: date) -> bool:
        """A statutory holiday of the organisation's province."""
        return day in self._holidays

    def is_closed(self, day: date) -> bool:
        """A closure the organisation designated (organization.toml [calendar] closures)."""
        return any(first <= day <= last for first, last in self.closures)

    def hours_on(self, day: date) -> BusinessHours:
        """The hours that apply on `day`: the first season that contains it, else the usual hours."""
        return next((season.hours for season in self.seasons if season.contains(day)), self.hours)

    def is_business_day(self, day: date) -> bool:
        return (
            day.weekday() in self.hours_on(day).weekdays
            and not self.is_holiday(day)
            and not self.is_closed(day)
        )

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """Business hours on `day` as UTC instants (opening, closing), or None when it is not a business day."""
        if not self.is_business_day(day):
            return None
        hours = self.hours_on(day)
        start = datetime.combine(day, hours.start, tzinfo=self.tz).astimezone(UTC)
        end = datetime.combine(day, hours.end, tzinfo=self.tz).astimezone(UTC)
        return start, end

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    # ----- moments

    def is_business_time(self, moment: datetime) -> bool:
        """True from the opening (included) to the closing (excluded) of a business day."""
        window = self.window(self.local_date(moment))
        return window is not None and window[0] <= moment < window[1]

    def next_business_moment(self, moment: datetime) -> datetime:
        """`moment` itself during business hours, else the next opening; in UTC."""
        return self.add_business_hours(moment, 0)

    next_business_start = next_business_moment  # the name the first callers used

    def business_day_start(self, moment: datetime) -> datetime:
        """The opening of the business day under way at `moment`, or of the next one: when a day's review
        is due. Before the opening it is today's opening; after the closing, the next business day's."""
        day = self.local_date(moment)
        for _ in range(MAX_DAYS):
            window = self.window(day)
            if window is not None and moment < window[1]:
                return window[0]
            day += timedelta(days=1)
        raise ValueError("the business calendar has no business hours")

    def add_business_hours(self, moment: datetime, hours: float) -> datetime:
        """The moment `hours` of business time after `moment`, as an aware datetime in UTC. Zero hours is the
        next business moment; a deadline can fall exactly on a closing time."""
        if hours < 0:
            raise ValueError("business hours can only be added, not taken away")
        remaining = timedelta(hours=hours)
        moment = moment.astimezone(UTC)
        day = self.local_date(moment)
        for _ in range(MAX_DAYS):
            window = self.window(day)
            if window is not None:
                begin, end = max(window[0], moment), window[1]
                if begin < end:
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
            day += timedelta(days=1)
        raise ValueError("the business calendar has no business hours")

    def describe(self, moment: datetime) -> str:
        """A moment as people in the organisation read it: "Mon 23 Nov 2026, 08:30 MST"."""
        local = moment.astimezone(self.tz)
        return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M %Z}"
