"""Settings from the environment (and `.env`) and the organisation file `organization.toml`."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from bot.errors import ConfigError

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

# tomllib, zoneinfo, difflib and holidays are imported where they are used: every command imports this
# module, and `flagpost --help` should not pay for reading an organisation file it never opens.

DEFAULT_DATABASE_URL = "sqlite:///flagpost.db"
DEFAULT_ORG_FILE = "policy_data/organization.toml"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Every environment variable Flagpost reads, for `--help` and the README. `.env` is read from the current
# directory; a variable already set in the environment wins over it.
ENVIRONMENT: dict[str, str] = {
    "SLACK_BOT_TOKEN": "the bot token, xoxb-…",
    "SLACK_SIGNING_SECRET": "verifies HTTP requests (HTTP mode)",
    "SLACK_APP_TOKEN": "xapp-…: when set, Socket Mode",
    "PORT": "HTTP mode: Slack's requests and /healthz; Socket Mode: /healthz only (default 3000)",
    "DATABASE_URL": f"sqlite:///path.db or postgresql://user:pass@host/db (default {DEFAULT_DATABASE_URL})",
    "FLAGPOST_ORG": f"the organisation file (default {DEFAULT_ORG_FILE})",
    "FLAGPOST_POLICIES": "a folder of your own clause files, added to the shipped ones",
    "LOG_LEVEL": "DEBUG, INFO (default), WARNING or ERROR",
    "SLACK_API_URL": "the Web API's base URL (the tests and the sandbox point it at a stand-in)",
}
# The values .env.example ships with: a copy left unchanged is a mistake to name, not a token to try.
EXAMPLE_VALUES = {"SLACK_BOT_TOKEN": "xoxb-your-bot-token", "SLACK_SIGNING_SECRET": "your-signing-secret"}

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

# Every section and key organization.toml may hold: a key not listed here is a typo, and is reported with
# the nearest known name. ADD AN OPTIONAL SECTION WITH ONE ENTRY HERE (plus its `_read_<section>`
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


@dataclass(frozen=True)
class Settings:
    """What `flagpost run` needs from the environment (names as in DESIGN.md)."""

    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    slack_api_url: str
    database_url: str
    org_file: Path
    port: int
    policies_dir: Path | None = None  # FLAGPOST_POLICIES: the organisation's own clause files
    log_level: str = "INFO"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def missing_for_run(self) -> list[str]:
        missing = [] if self.bot_token else ["SLACK_BOT_TOKEN"]
        if not self.socket_mode and not self.signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        return missing

    def token_problems(self) -> list[str]:
        """What is wrong with the tokens that are set, each in one sentence (placeholders, wrong kinds)."""
        problems = [
            f"{name} is still the example value from .env.example: replace it with your Slack app's own"
            for name, example in EXAMPLE_VALUES.items()
            if (self.bot_token if name == "SLACK_BOT_TOKEN" else self.signing_secret) == example
        ]
        if self.bot_token and not problems and not self.bot_token.startswith("xoxb-"):
            problems.append(
                "SLACK_BOT_TOKEN must be the Bot User OAuth Token, which starts with xoxb- (your Slack "
                "app's 'OAuth & Permissions' page)"
            )
        if self.app_token and not self.app_token.startswith("xapp-"):
            problems.append(
                "SLACK_APP_TOKEN must be an app-level token, which starts with xapp- ('Basic Information' → "
                "'App-Level Tokens', scope connections:write); leave it empty for HTTP mode"
            )
        return problems


def load_settings(env: dict[str, str] | None = None, dotenv_path: str | None = ".env") -> Settings:
    """Read settings; values already in the environment win over `.env` (in the current directory)."""
    if env is None:
        if dotenv_path and Path(dotenv_path).is_file():
            from dotenv import load_dotenv  # only when there is a file to read

            load_dotenv(dotenv_path, override=False)
        env = dict(os.environ)
    api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    port_text = env.get("PORT") or "3000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"PORT must be a TCP port number between 1 and 65535, not {port_text!r}.")
    log_level = (env.get("LOG_LEVEL") or "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {env['LOG_LEVEL']!r}.")
    return Settings(
        bot_token=env.get("SLACK_BOT_TOKEN") or None,
        signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        app_token=env.get("SLACK_APP_TOKEN") or None,
        slack_api_url=api_url,
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        org_file=Path(env.get("FLAGPOST_ORG") or DEFAULT_ORG_FILE),
        port=int(port_text),
        policies_dir=Path(env["FLAGPOST_POLICIES"]) if env.get("FLAGPOST_POLICIES") else None,
        log_level=log_level,
    )


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


class _Reader:
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


def _check_keys(reader: _Reader, where: str, table: dict[str, Any], keys: Keys, noun: str = "key") -> None:
    if keys == ANY_KEY:
        return
    for key, value in table.items():
        if key not in keys:
            raise reader.fail(f"[{where}] {key}", _not_known(noun, key, keys))
        sub = keys.get(key) if isinstance(keys, dict) else None
        for item in (value if isinstance(value, list) else [value]) if sub is not None else ():
            if isinstance(item, dict):  # a sub-table, or one table of an array of tables
                _check_keys(reader, f"{where}.{key}", item, sub)


def _check_sections(reader: _Reader) -> None:
    """Every section and key is one Flagpost knows (SECTIONS): a typo must not silently use a default."""
    for name, value in reader.data.items():
        if name not in SECTIONS:
            raise reader.fail(f"[{name}]", _not_known("section", name, SECTIONS, brackets=True))
        for table in value if isinstance(value, list) else [value]:
            if isinstance(table, dict):
                _check_keys(reader, name, table, SECTIONS[name], KEY_NOUNS.get(name, "key"))


def _clock_time(reader: _Reader, key: str, value: Any, section: str = "hours") -> time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise reader.fail(f"[{section}] {key}", f'{value!r} is not a time of day like "08:30"')
    hour, minute = (int(part) for part in value.split(":"))
    if hour > 23 or minute > 59:
        raise reader.fail(f"[{section}] {key}", f'{value!r} is not a time of day like "08:30"')
    return time(hour, minute)


def _read_hours(reader: _Reader) -> BusinessHours:
    table = reader.table("hours", required=False)
    start = _clock_time(reader, "start", table.get("start", "08:30"))
    end = _clock_time(reader, "end", table.get("end", "16:30"))
    if end <= start:
        raise reader.fail("[hours] end", "must be later than start")
    names = table.get("weekdays", ["mon", "tue", "wed", "thu", "fri"])
    return BusinessHours(start=start, end=end, weekdays=_weekdays(reader, "[hours] weekdays", names))


def _weekdays(reader: _Reader, key: str, names: Any) -> tuple[int, ...]:
    if not isinstance(names, list) or not names:
        raise reader.fail(key, 'must be a list like ["mon", "tue", "wed", "thu", "fri"]')
    days = []
    for name in names:
        if not isinstance(name, str) or name.lower()[:3] not in WEEKDAY_NAMES:
            raise reader.fail(key, f"{name!r} is not a weekday (mon … sun)")
        days.append(WEEKDAY_NAMES.index(name.lower()[:3]))
    return tuple(sorted(set(days)))


def _a_date(reader: _Reader, key: str, value: Any) -> date:
    """A TOML date (2026-12-24) or the same in quotes."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}\s*", value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise reader.fail(key, f"{value!r} is not a date like 2026-12-24")


def _read_calendar(
    reader: _Reader, hours: BusinessHours
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
        begin = _a_date(reader, "[calendar] closures", first)
        end = _a_date(reader, "[calendar] closures", last) if last else begin
        if end < begin:
            raise reader.fail("[calendar] closures", f"{item!r} ends before it begins")
        closures.append((begin, end))
    seasons = table.get("seasons", [])
    if not isinstance(seasons, list) or not all(isinstance(season, dict) for season in seasons):
        raise reader.fail("[calendar] seasons", "must be [[calendar.seasons]] tables")
    return tuple(closures), tuple(_read_season(reader, season, hours) for season in seasons)


def _month_day(reader: _Reader, key: str, value: Any) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", value) if isinstance(value, str) else None
    try:
        if match is not None:
            parsed = date(2024, int(match.group(1)), int(match.group(2)))  # a leap year: 02-29 is allowed
            return parsed.month, parsed.day
    except ValueError:
        pass
    raise reader.fail(key, f'{value!r} is not a month and day like "07-01"')


def _read_season(reader: _Reader, table: dict[str, Any], hours: BusinessHours) -> Season:
    section = "calendar.seasons"
    name = reader.string(section, table, "name", "Seasonal hours")
    start = _clock_time(reader, "start", table.get("start", "08:30"), section)
    end = _clock_time(reader, "end", table.get("end", "16:30"), section)
    if end <= start:
        raise reader.fail(f"[{section}] end", "must be later than start")
    weekdays = (
        _weekdays(reader, f"[{section}] weekdays", table["weekdays"])
        if "weekdays" in table
        else hours.weekdays
    )
    return Season(
        name=name,
        first=_month_day(reader, f"[{section}] from", table.get("from")),
        last=_month_day(reader, f"[{section}] to", table.get("to")),
        hours=BusinessHours(start=start, end=end, weekdays=weekdays),
    )


def _read_oncall_schedule(
    reader: _Reader, table: dict[str, Any]
) -> tuple[tuple[int, time], date | None, tuple[str, ...] | None]:
    """The optional [oncall] keys: handover_day ("mon"), handover_time ("08:30"), rotation_start (a date in
    the week the rotation's first person is on call), escalation (who is paged after the on-call person)."""
    day = table.get("handover_day", "mon")
    if not isinstance(day, str) or day.lower()[:3] not in WEEKDAY_NAMES:
        raise reader.fail("[oncall] handover_day", f"{day!r} is not a weekday (mon … sun)")
    at = _clock_time(reader, "handover_time", table.get("handover_time", "08:30"), "oncall")
    start = table.get("rotation_start")
    escalation = table.get("escalation")
    return (
        (WEEKDAY_NAMES.index(day.lower()[:3]), at),
        _a_date(reader, "[oncall] rotation_start", start) if start is not None else None,
        reader.user_ids("oncall", "escalation", escalation) if escalation is not None else None,
    )


def _read_accounts(reader: _Reader) -> tuple[PasswordAccount, ...]:
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
                name, holders, _a_date(reader, "[[accounts]] last_changed", changed) if changed else None
            )
        )
    return tuple(accounts)


def _read_request_step(reader: _Reader, kind: str, step: Any) -> tuple[str, ...]:
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


def _read_election_period(reader: _Reader, value: Any) -> tuple[date, date]:
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


def _read_requests(
    reader: _Reader,
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
        steps[kind] = tuple(_read_request_step(reader, kind, step) for step in value)
    period = table.get("election_period")
    return steps, (_read_election_period(reader, period) if period is not None else None)


def _check_holiday_region(reader: _Reader, region: str, ask_the_library: bool = True) -> None:
    """The region's form, then (imported only now, as most commands never need it) the holidays library's
    answer for this one country."""
    key = "[organization] holiday_region"
    if not REGION.match(region):
        raise reader.fail(key, f'{region!r} is not a region like "CA-AB" (a country, "-", a province)')
    if not ask_the_library:
        return
    import holidays

    country, _, subdivision = region.partition("-")
    try:
        known = holidays.country_holidays(country).subdivisions
    except NotImplementedError:
        raise reader.fail(key, f"{region!r}: unknown country {country!r}") from None
    if subdivision and subdivision not in known:
        names = ", ".join(f"{country}-{code}" for code in known)
        raise reader.fail(key, f"{region!r} is not a known region (known: {names})")


def _read_roles(reader: _Reader) -> dict[str, tuple[str, ...]]:
    roles = {key: reader.user_ids("roles", key, value) for key, value in reader.table("roles").items()}
    if not roles.get("moderator") and not roles.get("admin"):
        raise reader.fail(
            "[roles]", "list at least one moderator or admin: nobody else may act on a flag's card"
        )
    return roles


def _read_policy(reader: _Reader) -> tuple[tuple[str, ...], Path | None]:
    policy = reader.table("policy", required=False)
    own = policy.get("own_documents", [])
    if not isinstance(own, list) or not all(isinstance(item, str) and item for item in own):
        raise reader.fail("[policy] own_documents", 'must be a list of document ids, like ["taber-adm-7"]')
    directory = policy.get("clause_directory")
    if directory is None:
        return tuple(own), None
    if not isinstance(directory, str) or not directory.strip():
        raise reader.fail("[policy] clause_directory", 'must be a folder in quotes, like "policies"')
    return tuple(own), reader.path.parent / directory.strip()  # relative to the organisation file


def load_organization(path: Path, *, check_holidays: bool = True) -> Organization:
    """Parse and validate organization.toml; every problem is a ConfigError in plain words.
    `check_holidays=False` skips asking the holidays library about the region (it imports 250 country
    modules): for commands that need no calendar."""
    import tomllib
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not path.is_file():
        raise ConfigError(f"{path}: the organisation file does not exist (set FLAGPOST_ORG to its path)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: this is not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the file is not UTF-8 text") from None
    reader = _Reader(path, data)
    _check_sections(reader)

    org = reader.table("organization")
    name = reader.string("organization", org, "name")
    timezone = reader.string("organization", org, "timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail(
            "[organization] timezone", f"{timezone!r} is not a known time zone (like America/Edmonton)"
        ) from None
    region = reader.string("organization", org, "holiday_region")
    _check_holiday_region(reader, region, check_holidays)

    channels: dict[str, str] = {}
    for key, value in reader.table("channels").items():
        if not isinstance(value, str) or not CHANNEL_ID.match(value):
            raise reader.fail(f"[channels] {key}", f"{value!r} is not a Slack channel id (like C012ABCDEF)")
        channels[key] = value
    if "moderation" not in channels:
        raise reader.fail("[channels] moderation", "is missing: flags need a moderation channel")

    roles = _read_roles(reader)

    oncall = reader.table("oncall", required=False)
    rotation = reader.user_ids("oncall", "rotation", oncall.get("rotation", []))
    ack_minutes = oncall.get("ack_minutes", 15)
    if not isinstance(ack_minutes, int) or isinstance(ack_minutes, bool) or not 1 <= ack_minutes <= 1440:
        raise reader.fail("[oncall] ack_minutes", "must be a whole number of minutes from 1 to 1440")

    flags = reader.table("flags", required=False)
    deadline = flags.get("deadline_business_hours", 8)
    if isinstance(deadline, bool) or not isinstance(deadline, int | float) or not 0 < deadline <= 200:
        raise reader.fail("[flags] deadline_business_hours", "must be a number of hours above 0")

    own, clause_directory = _read_policy(reader)

    people_table = reader.table("people", required=False)
    for user_id, display in people_table.items():
        if not USER_ID.match(user_id):
            raise reader.fail(f"[people] {user_id}", "is not a Slack user id (they start with U or W)")
        if not isinstance(display, str) or not display.strip() or len(display) > 80:
            raise reader.fail(f"[people] {user_id}", 'must be a name in quotes, like "Dana Smith"')

    request_steps, election_period = _read_requests(reader)
    hours = _read_hours(reader)
    closures, seasons = _read_calendar(reader, hours)
    handover, rotation_start, escalation = _read_oncall_schedule(reader, oncall)
    return Organization(
        name=name,
        timezone=timezone,
        holiday_region=region,
        channels=channels,
        roles=roles,
        oncall_rotation=rotation,
        oncall_ack_minutes=ack_minutes,
        hours=hours,
        flag_deadline_business_hours=float(deadline),
        own_documents=own,
        people={user_id: display.strip() for user_id, display in people_table.items()},
        request_steps=request_steps,
        election_period=election_period,
        closures=closures,
        seasons=seasons,
        oncall_handover=handover,
        oncall_rotation_start=rotation_start,
        oncall_escalation=escalation,
        accounts=_read_accounts(reader),
        clause_directory=clause_directory,
        source=path,
    )


def environment_help(*names: str) -> str:
    """The 'environment:' paragraph of a command's --help."""
    lines = [f"  {name:<22}{ENVIRONMENT[name]}" for name in names]
    return "environment (also read from .env in the current directory):\n" + "\n".join(lines) + "\n"
