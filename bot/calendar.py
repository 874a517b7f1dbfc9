"""The organisation's business calendar: hours, weekdays, time zone and provincial statutory holidays.

Deadlines ("8 business hours", Middlesex Centre) and after-hours paging (Taber 1.04(i), 1.04(q)) are
counted here and nowhere else.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from bot.config import BusinessHours, Organization


class BusinessCalendar:
    def __init__(self, timezone: str, holiday_region: str, hours: BusinessHours | None = None):
        self.tz = ZoneInfo(timezone)
        self.hours = hours or BusinessHours()
        country, _, subdivision = holiday_region.partition("-")
        self._holidays = holidays.country_holidays(country, subdiv=subdivision or None)

    @classmethod
    def for_organization(cls, org: Organization) -> BusinessCalendar:
        return cls(org.timezone, org.holiday_region, org.hours)

    def is_holiday(self, day: date) -> bool:
        return day in self._holidays

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.hours.weekdays and not self.is_holiday(day)

    def _window(self, day: date) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.hours.start, tzinfo=self.tz)
        end = datetime.combine(day, self.hours.end, tzinfo=self.tz)
        return start, end

    def is_business_time(self, moment: datetime) -> bool:
        local = moment.astimezone(self.tz)
        if not self.is_business_day(local.date()):
            return False
        start, end = self._window(local.date())
        return start <= local < end

    def add_business_hours(self, moment: datetime, hours: float) -> datetime:
        """The moment `hours` of business time after `moment`, as an aware datetime in UTC."""
        remaining = timedelta(hours=hours)
        local = moment.astimezone(self.tz)
        day = local.date()
        for _ in range(3660):  # ten years of days; a calendar with no business days would loop forever
            if self.is_business_day(day):
                start, end = self._window(day)
                begin = max(start, local) if day == local.date() else start
                if begin < end:
                    available = end - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(ZoneInfo("UTC"))
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("the business calendar has no business hours")

    def next_business_start(self, moment: datetime) -> datetime:
        """When business hours next begin (or `moment` itself during business hours), in UTC."""
        if self.is_business_time(moment):
            return moment.astimezone(ZoneInfo("UTC"))
        local = moment.astimezone(self.tz)
        day = local.date()
        for _ in range(3660):
            if self.is_business_day(day):
                start, _end = self._window(day)
                if start > local:
                    return start.astimezone(ZoneInfo("UTC"))
            day += timedelta(days=1)
        raise ValueError("the business calendar has no business hours")
