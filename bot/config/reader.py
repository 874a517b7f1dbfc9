"""Reading organization.toml: every key checked against SECTIONS, every mistake one plain sentence naming
the file, the key and the reason (with a did-you-mean for a typo)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from bot.config.values import CHANNEL_KEYS, REQUEST_KINDS, ROLES, USER_ID, WEEKDAY_NAMES
from bot.errors import ConfigError

if TYPE_CHECKING:
    pass

# Every section and key organization.toml may hold: a key not listed here is a typo, and is reported with
# the nearest known name. ADD AN OPTIONAL SECTION WITH ONE ENTRY HERE (plus its `read_<section>`
# function below). A tuple lists a section's keys; a dict maps each key to None (a plain value) or to the
# keys of its own sub-table ([hours.summer]) or array of tables ([[accounts]]); ANY_KEY is for a section
# whose keys are data ([people]: user ids).
ANY_KEY: Final = "any key"
Keys = tuple[str, ...] | dict[str, Any] | str
SECTIONS: dict[str, Keys] = {
    "organization": ("name", "timezone", "holiday_region"),
    "hours": ("start", "end", "weekdays"),
    "channels": CHANNEL_KEYS,
    "roles": ROLES,
    "people": ANY_KEY,
    "oncall": ("rotation", "ack_minutes", "handover_day", "handover_time", "rotation_start", "escalation"),
    "calendar": {
        "closures": None,
        "seasons": ("name", "from", "to", "start", "end", "weekdays"),
    },
    "accounts": ("name", "holders", "last_changed"),
    "flags": ("deadline_business_hours",),
    "policy": ("own_documents", "clause_directory"),
    "requests": (*REQUEST_KINDS, "election_period"),
}
KEY_NOUNS = {"roles": "role", "channels": "channel"}  # "is not a known role" reads better than "key"


class Reader:
    """Walks the parsed TOML and raises ConfigError naming the file, the key and the reason."""

    def __init__(self, path: Path, data: dict[str, Any]):
        self.path = path
        self.data = data

    def fail(self, key: str, reason: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {reason}")

    def table(self, name: str, required: bool = True) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(f"[{name}]", "this section is missing")
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"[{name}]", "must be a section (a TOML table)")
        return value

    def string(self, section: str, table: dict[str, Any], key: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if value is None:
            raise self.fail(f"[{section}] {key}", "is missing")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"[{section}] {key}", "must be a non-empty text in quotes")
        return value.strip()

    def user_ids(self, section: str, key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(f"[{section}] {key}", 'must be a list of Slack user ids, like ["U012ABCDEF"]')
        for item in value:
            if not isinstance(item, str) or not USER_ID.match(item):
                raise self.fail(
                    f"[{section}] {key}",
                    f"{item!r} is not a Slack user id (they start with U or W, like U012ABCDEF)",
                )
        return tuple(value)


def _not_known(noun: str, name: str, known: Iterable[str], brackets: bool = False) -> str:
    """'is not a known key (did you mean X?)': a typo names its correction; else the known names."""
    import difflib

    known = list(known)
    show = (lambda key: f"[{key}]") if brackets else (lambda key: key)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"is not a known {noun}: did you mean {show(close[0])}?"
    return f"is not a known {noun} ({', '.join(show(key) for key in known)})"


def _check_keys(reader: Reader, where: str, table: dict[str, Any], keys: Keys, noun: str = "key") -> None:
    if keys == ANY_KEY:
        return
    for key, value in table.items():
        if key not in keys:
            raise reader.fail(f"[{where}] {key}", _not_known(noun, key, keys))
        sub = keys.get(key) if isinstance(keys, dict) else None
        for item in (value if isinstance(value, list) else [value]) if sub is not None else ():
            if isinstance(item, dict):  # a sub-table, or one table of an array of tables
                _check_keys(reader, f"{where}.{key}", item, sub)


def check_sections(reader: Reader) -> None:
    """Every section and key is one Flagpost knows (SECTIONS): a typo must not silently use a default."""
    for name, value in reader.data.items():
        if name not in SECTIONS:
            raise reader.fail(f"[{name}]", _not_known("section", name, SECTIONS, brackets=True))
        for table in value if isinstance(value, list) else [value]:
            if isinstance(table, dict):
                _check_keys(reader, name, table, SECTIONS[name], KEY_NOUNS.get(name, "key"))


def clock_time(reader: Reader, key: str, value: Any, section: str = "hours") -> time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise reader.fail(f"[{section}] {key}", f'{value!r} is not a time of day like "08:30"')
    hour, minute = (int(part) for part in value.split(":"))
    if hour > 23 or minute > 59:
        raise reader.fail(f"[{section}] {key}", f'{value!r} is not a time of day like "08:30"')
    return time(hour, minute)


def weekday_list(reader: Reader, key: str, names: Any) -> tuple[int, ...]:
    if not isinstance(names, list) or not names:
        raise reader.fail(key, 'must be a list like ["mon", "tue", "wed", "thu", "fri"]')
    days = []
    for name in names:
        if not isinstance(name, str) or name.lower()[:3] not in WEEKDAY_NAMES:
            raise reader.fail(key, f"{name!r} is not a weekday (mon … sun)")
        days.append(WEEKDAY_NAMES.index(name.lower()[:3]))
    return tuple(sorted(set(days)))


def a_date(reader: Reader, key: str, value: Any) -> date:
    """A TOML date (2026-12-24) or the same in quotes."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise reader.fail(key, f"{value!r} is not a date like 2026-12-24")


def month_day(reader: Reader, key: str, value: Any) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", value) if isinstance(value, str) else None
    try:
        if match is not None:
            parsed = date(2024, int(match.group(1)), int(match.group(2)))  # a leap year: 02-29 is allowed
            return parsed.month, parsed.day
    except ValueError:
        pass
    raise reader.fail(key, f'{value!r} is not a month and day like "07-01"')
