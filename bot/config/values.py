"""What the organisation file describes, as frozen values: the organisation, its hours, seasons and accounts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

ROLES = ("moderator", "director", "cao", "it", "communications", "admin")
CHANNEL_KEYS = ("moderation", "approvals", "it", "communications")
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Requests (`[requests]`): each kind's approval steps, in order; a step is the roles any of whom may decide it.
# "director" is the director named on the request when it names one (Taber 1.05(a)), else any director.
REQUEST_KINDS = ("access", "share", "account", "photo")
REQUEST_STEP_ROLES = ("director", "cao", "communications", "it", "moderator")
DEFAULT_REQUEST_STEPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "access": (("director",), ("cao",)),  # Taber 1.05(a),(b)
    "share": (("communications", "director"),),  # Taber 1.04(s),(t)
    "account": (("director",), ("cao",)),  # Taber 1.02(d); Westlock 5.3
    "photo": (("director", "communications"),),  # Taber 1.04(d)
}
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
REGION = re.compile(r"^[A-Z]{2}(-[A-Za-z0-9]{1,10})?$")


@dataclass(frozen=True)
class BusinessHours:
    start: time = time(8, 30)
    end: time = time(16, 30)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday is 0


@dataclass(frozen=True)
class Season:
    """Hours that apply between two month-days every year (summer hours), inclusive; may wrap the new year."""

    name: str
    first: tuple[int, int]  # (month, day)
    last: tuple[int, int]
    hours: BusinessHours

    def contains(self, day: date) -> bool:
        key = (day.month, day.day)
        if self.first <= self.last:
            return self.first <= key <= self.last
        return key >= self.first or key <= self.last


@dataclass(frozen=True)
class PasswordAccount:
    """A shared social-media login whose password is changed every 60 days (Taber 1.03(f))."""

    name: str
    holders: tuple[str, ...]
    last_changed: date | None = None  # as the organisation file says; a recorded change wins


@dataclass(frozen=True)
class Organization:
    name: str
    timezone: str
    holiday_region: str
    channels: dict[str, str]
    roles: dict[str, tuple[str, ...]]
    oncall_rotation: tuple[str, ...] = ()
    oncall_ack_minutes: int = 15
    hours: BusinessHours = field(default_factory=BusinessHours)
    flag_deadline_business_hours: float = 8.0
    own_documents: tuple[str, ...] = ()
    people: dict[str, str] = field(default_factory=dict)  # user id → display name (optional [people])
    request_steps: dict[str, tuple[tuple[str, ...], ...]] = field(
        default_factory=lambda: dict(DEFAULT_REQUEST_STEPS)
    )
    election_period: tuple[date, date] | None = None  # optional [requests] election_period (Taber 1.04(p))
    # [calendar]: closure days besides statutory holidays (first, last inclusive), and seasonal hours.
    closures: tuple[tuple[date, date], ...] = ()
    seasons: tuple[Season, ...] = ()
    # [oncall]: the weekly hand-over (weekday, Monday is 0; local time), the week the rotation's first
    # person starts (None: a fixed epoch), and who is paged after the on-call person (None: the default).
    oncall_handover: tuple[int, time] = (0, time(8, 30))
    oncall_rotation_start: date | None = None
    oncall_escalation: tuple[str, ...] | None = None
    accounts: tuple[PasswordAccount, ...] = ()  # [[accounts]]
    clause_directory: Path | None = None  # [policy] clause_directory, relative to the organisation file
    source: Path | None = None

    @property
    def tz(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    def has_role(self, user_id: str, *roles: str) -> bool:
        return any(user_id in self.roles.get(role, ()) for role in roles)

    def name_of(self, user_id: str) -> str:
        """A person's name for plain-text places where a <@mention> does not render (select options)."""
        return self.people.get(user_id, user_id)

    def users_with_role(self, *roles: str) -> list[str]:
        seen: dict[str, None] = {}
        for role in roles:
            for user in self.roles.get(role, ()):
                seen.setdefault(user, None)
        return list(seen)
