"""Who is on call at a moment: the weekly rotation of organization.toml, with overrides laid over it, and the
escalation chain that starts from that person. Pure functions of the organisation, the overrides and time.

The hand-over happens at a local time on a weekday (default Monday 08:30) in the organisation's time zone, so
it stays at 08:30 on the clock across daylight-saving changes. Week zero of the rotation is the week of
`[oncall] rotation_start`, or a fixed epoch, so every replica and every restart agrees on who is on call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from bot.config import Organization

EPOCH = date(2024, 1, 1)  # week zero when the organisation file names no rotation_start
LOOKAHEAD = 60  # shifts to look through for the next different person


class OverrideLike(Protocol):
    user: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Shift:
    user: str
    starts_at: datetime  # when this person's turn began (or begins), UTC
    ends_at: datetime  # the next hand-over or the end of the override, UTC
    override: bool = False
    covering: str | None = None  # whose rotation turn an override covers


class Rotation:
    def __init__(self, org: Organization):
        self.org = org
        self.people = tuple(org.oncall_rotation)
        self.weekday, self.at = org.oncall_handover
        anchor = org.oncall_rotation_start or EPOCH
        self.anchor = anchor - timedelta(days=(anchor.weekday() - self.weekday) % 7)

    def _handover_on(self, day: date) -> datetime:
        return datetime.combine(day, self.at, tzinfo=self.org.tz).astimezone(UTC)

    def handover_before(self, moment: datetime) -> datetime:
        """The latest hand-over at or before `moment`."""
        local = moment.astimezone(self.org.tz).date()
        day = local - timedelta(days=(local.weekday() - self.weekday) % 7)
        if self._handover_on(day) > moment:
            day -= timedelta(days=7)
        return self._handover_on(day)

    def handover_after(self, moment: datetime) -> datetime:
        """The first hand-over strictly after `moment`."""
        day = self.handover_before(moment).astimezone(self.org.tz).date() + timedelta(days=7)
        return self._handover_on(day)

    def rotation_person(self, moment: datetime) -> str | None:
        if not self.people:
            return None
        week = (self.handover_before(moment).astimezone(self.org.tz).date() - self.anchor).days // 7
        return self.people[week % len(self.people)]

    def shift_at(self, moment: datetime, overrides: Sequence[OverrideLike]) -> Shift | None:
        """Who is on call at `moment`: an override covering it, else the rotation's person for the week."""
        scheduled = self.rotation_person(moment)
        for override in overrides:
            if override.starts_at <= moment < override.ends_at:
                return Shift(override.user, override.starts_at, override.ends_at, True, scheduled)
        if scheduled is None:
            return None
        starts, ends = self.handover_before(moment), self.handover_after(moment)
        for override in overrides:  # the turn is interrupted by an override before the hand-over
            if moment < override.starts_at < ends:
                ends = override.starts_at
            if starts < override.ends_at <= moment:
                starts = override.ends_at
        return Shift(scheduled, starts, ends)

    def next_shift(self, current: Shift, overrides: Sequence[OverrideLike]) -> Shift | None:
        """The next shift held by someone else than `current.user`, starting when it starts."""
        moment = current.ends_at
        for _ in range(LOOKAHEAD):
            shift = self.shift_at(moment, overrides)
            if shift is None:
                return None
            if shift.user != current.user:
                return Shift(shift.user, moment, shift.ends_at, shift.override, shift.covering)
            moment = shift.ends_at
        return None

    def chain(self, person: str | None) -> list[str]:
        """Who is paged, in order: the on-call person, then `[oncall] escalation` if set, else the rest of
        the rotation from that person on, then the CAO. Nobody twice."""
        if self.org.oncall_escalation is not None:
            after = list(self.org.oncall_escalation)
        else:
            people = list(self.people)
            start = people.index(person) + 1 if person in people else 0
            after = people[start:] + people[:start] + list(self.org.roles.get("cao", ()))
        ordered = ([person] if person else []) + after
        return list(dict.fromkeys(ordered))
