"""The sections of organization.toml beyond the required ones, each read by its own `read_<section>`."""

from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING, Any

from bot.config.reader import Reader, a_date, clock_time, month_day, weekday_list
from bot.config.values import (
    DEFAULT_REQUEST_STEPS,
    REQUEST_KINDS,
    REQUEST_STEP_ROLES,
    WEEKDAY_NAMES,
    BusinessHours,
    PasswordAccount,
    Season,
)

if TYPE_CHECKING:
    pass


def read_hours(reader: Reader) -> BusinessHours:
    table = reader.table("hours", required=False)
    start = clock_time(reader, "start", table.get("start", "08:30"))
    end = clock_time(reader, "end", table.get("end", "16:30"))
    if end <= start:
        raise reader.fail("[hours] end", "must be later than start")
    names = table.get("weekdays", ["mon", "tue", "wed", "thu", "fri"])
    return BusinessHours(start=start, end=end, weekdays=weekday_list(reader, "[hours] weekdays", names))


def read_calendar(
    reader: Reader, hours: BusinessHours
) -> tuple[tuple[tuple[date, date], ...], tuple[Season, ...]]:
    """[calendar] closures = ["2026-12-24", "2026-12-29 to 2026-12-31"] (Westlock 1.11: "closures designated
    by the CAO"), and [[calendar.seasons]] with name, from/to ("07-01", month-day), start, end, weekdays."""
    table = reader.table("calendar", required=False)
    closures = []
    items = table.get("closures", [])
    if not isinstance(items, list):
        raise reader.fail(
            "[calendar] closures", 'must be a list like ["2026-12-24", "2026-12-29 to 2026-12-31"]'
        )
    for item in items:
        first, _, last = item.partition(" to ") if isinstance(item, str) else (item, "", "")
        begin = a_date(reader, "[calendar] closures", first)
        end = a_date(reader, "[calendar] closures", last) if last else begin
        if end < begin:
            raise reader.fail("[calendar] closures", f"{item!r} ends before it begins")
        closures.append((begin, end))
    seasons = table.get("seasons", [])
    if not isinstance(seasons, list) or not all(isinstance(season, dict) for season in seasons):
        raise reader.fail("[calendar] seasons", "must be [[calendar.seasons]] tables")
    return tuple(closures), tuple(read_season(reader, season, hours) for season in seasons)


def read_season(reader: Reader, table: dict[str, Any], hours: BusinessHours) -> Season:
    section = "calendar.seasons"
    name = reader.string(section, table, "name", "Seasonal hours")
    start = clock_time(reader, "start", table.get("start", "08:30"), section)
    end = clock_time(reader, "end", table.get("end", "16:30"), section)
    if end <= start:
        raise reader.fail(f"[{section}] end", "must be later than start")
    weekdays = (
        weekday_list(reader, f"[{section}] weekdays", table["weekdays"])
        if "weekdays" in table
        else hours.weekdays
    )
    return Season(
        name=name,
        first=month_day(reader, f"[{section}] from", table.get("from")),
        last=month_day(reader, f"[{section}] to", table.get("to")),
        hours=BusinessHours(start=start, end=end, weekdays=weekdays),
    )


def read_oncall_schedule(
    reader: Reader, table: dict[str, Any]
) -> tuple[tuple[int, time], date | None, tuple[str, ...] | None]:
    """The optional [oncall] keys: handover_day ("mon"), handover_time ("08:30"), rotation_start (a date in
    the week the rotation's first person is on call), escalation (who is paged after the on-call person)."""
    day = table.get("handover_day", "mon")
    if not isinstance(day, str) or day.lower()[:3] not in WEEKDAY_NAMES:
        raise reader.fail("[oncall] handover_day", f"{day!r} is not a weekday (mon … sun)")
    at = clock_time(reader, "handover_time", table.get("handover_time", "08:30"), "oncall")
    start = table.get("rotation_start")
    escalation = table.get("escalation")
    return (
        (WEEKDAY_NAMES.index(day.lower()[:3]), at),
        a_date(reader, "[oncall] rotation_start", start) if start is not None else None,
        reader.user_ids("oncall", "escalation", escalation) if escalation is not None else None,
    )


def read_accounts(reader: Reader) -> tuple[PasswordAccount, ...]:
    """[[accounts]] name = "Town Facebook page", holders = ["U…"], optional last_changed = 2026-10-01."""
    items = reader.data.get("accounts", [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise reader.fail("[[accounts]]", "must be [[accounts]] tables with a name and holders")
    accounts: list[PasswordAccount] = []
    for item in items:
        name = reader.string("accounts", item, "name")
        if len(name) > 80 or any(account.name == name for account in accounts):
            raise reader.fail("[[accounts]] name", f"{name!r} must be unique and at most 80 characters")
        holders = reader.user_ids("accounts", "holders", item.get("holders"))
        if not holders:
            raise reader.fail("[[accounts]] holders", f"{name!r} needs at least one password holder")
        changed = item.get("last_changed")
        accounts.append(
            PasswordAccount(
                name, holders, a_date(reader, "[[accounts]] last_changed", changed) if changed else None
            )
        )
    return tuple(accounts)


def read_request_step(reader: Reader, kind: str, step: Any) -> tuple[str, ...]:
    roles = [step] if isinstance(step, str) else step
    if not isinstance(roles, list) or not roles:
        raise reader.fail(
            f"[requests] {kind}", 'each step is a role or a list of roles, like ["director", "cao"]'
        )
    for role in roles:
        if role not in REQUEST_STEP_ROLES:
            raise reader.fail(
                f"[requests] {kind}",
                f"{role!r} is not a role that approves ({', '.join(REQUEST_STEP_ROLES)})",
            )
    return tuple(dict.fromkeys(roles))


def read_election_period(reader: Reader, value: Any) -> tuple[date, date]:
    usage = 'must be two dates, like ["2026-09-01", "2026-10-19"]'
    if not isinstance(value, list) or len(value) != 2:
        raise reader.fail("[requests] election_period", usage)
    try:
        start, end = (item if type(item) is date else date.fromisoformat(item) for item in value)
    except (TypeError, ValueError):
        raise reader.fail("[requests] election_period", usage) from None
    if end < start:
        raise reader.fail("[requests] election_period", "the second date must not be before the first")
    return start, end


def read_requests(
    reader: Reader,
) -> tuple[dict[str, tuple[tuple[str, ...], ...]], tuple[date, date] | None]:
    """The optional `[requests]` section: who approves each kind, step by step, and the election period."""
    table = reader.table("requests", required=False)  # its keys are checked against SECTIONS
    steps = dict(DEFAULT_REQUEST_STEPS)
    for kind in REQUEST_KINDS:
        if kind not in table:
            continue
        value = table[kind]
        if not isinstance(value, list) or not value or len(value) > 5:
            raise reader.fail(
                f"[requests] {kind}", 'must be a list of one to five steps, like ["director", "cao"]'
            )
        steps[kind] = tuple(read_request_step(reader, kind, step) for step in value)
    period = table.get("election_period")
    return steps, (read_election_period(reader, period) if period is not None else None)
