"""Settings from the environment (and `.env`) and the organisation file `organization.toml`."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from dotenv import load_dotenv

from bot.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///flagpost.db"
DEFAULT_ORG_FILE = "policy_data/organization.toml"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"

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

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def missing_for_run(self) -> list[str]:
        missing = [] if self.bot_token else ["SLACK_BOT_TOKEN"]
        if not self.socket_mode and not self.signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        return missing


def load_settings(env: dict[str, str] | None = None, dotenv_path: str | None = ".env") -> Settings:
    """Read settings; values already in the environment win over `.env`."""
    if env is None:
        if dotenv_path:
            load_dotenv(dotenv_path, override=False)
        env = dict(os.environ)
    api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    port_text = env.get("PORT") or "3000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"PORT must be a TCP port number between 1 and 65535, not {port_text!r}.")
    return Settings(
        bot_token=env.get("SLACK_BOT_TOKEN") or None,
        signing_secret=env.get("SLACK_SIGNING_SECRET") or None,
        app_token=env.get("SLACK_APP_TOKEN") or None,
        slack_api_url=api_url,
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        org_file=Path(env.get("FLAGPOST_ORG") or DEFAULT_ORG_FILE),
        port=int(port_text),
    )


@dataclass(frozen=True)
class BusinessHours:
    start: time = time(8, 30)
    end: time = time(16, 30)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday is 0


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
    source: Path | None = None

    @property
    def tz(self) -> ZoneInfo:
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


def _clock_time(reader: _Reader, key: str, value: Any) -> time:
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise reader.fail(f"[hours] {key}", f'{value!r} is not a time of day like "08:30"')
    hour, minute = (int(part) for part in value.split(":"))
    if hour > 23 or minute > 59:
        raise reader.fail(f"[hours] {key}", f'{value!r} is not a time of day like "08:30"')
    return time(hour, minute)


def _read_hours(reader: _Reader) -> BusinessHours:
    table = reader.table("hours", required=False)
    unknown = set(table) - {"start", "end", "weekdays"}
    if unknown:
        raise reader.fail(f"[hours] {sorted(unknown)[0]}", "is not a known key (start, end, weekdays)")
    start = _clock_time(reader, "start", table.get("start", "08:30"))
    end = _clock_time(reader, "end", table.get("end", "16:30"))
    if end <= start:
        raise reader.fail("[hours] end", "must be later than start")
    names = table.get("weekdays", ["mon", "tue", "wed", "thu", "fri"])
    if not isinstance(names, list) or not names:
        raise reader.fail("[hours] weekdays", 'must be a list like ["mon", "tue", "wed", "thu", "fri"]')
    days = []
    for name in names:
        if not isinstance(name, str) or name.lower()[:3] not in WEEKDAY_NAMES:
            raise reader.fail("[hours] weekdays", f"{name!r} is not a weekday (mon … sun)")
        days.append(WEEKDAY_NAMES.index(name.lower()[:3]))
    return BusinessHours(start=start, end=end, weekdays=tuple(sorted(set(days))))


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
    table = reader.table("requests", required=False)
    known = (*REQUEST_KINDS, "election_period")
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise reader.fail(f"[requests] {unknown[0]}", f"is not a known key ({', '.join(known)})")
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


def _check_holiday_region(reader: _Reader, region: str) -> None:
    country, _, subdivision = region.partition("-")
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise reader.fail("[organization] holiday_region", f"{region!r}: unknown country {country!r}")
    if subdivision and subdivision not in supported[country]:
        known = ", ".join(f"{country}-{code}" for code in supported[country])
        raise reader.fail(
            "[organization] holiday_region", f"{region!r} is not a known region (known: {known})"
        )


def load_organization(path: Path) -> Organization:
    """Parse and validate organization.toml; every problem is a ConfigError in plain words."""
    if not path.is_file():
        raise ConfigError(f"{path}: the organisation file does not exist (set FLAGPOST_ORG to its path)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: this is not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: the file is not UTF-8 text") from None
    reader = _Reader(path, data)

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
    _check_holiday_region(reader, region)

    channels_table = reader.table("channels")
    channels: dict[str, str] = {}
    for key, value in channels_table.items():
        if key not in CHANNEL_KEYS:
            raise reader.fail(f"[channels] {key}", f"is not a known channel ({', '.join(CHANNEL_KEYS)})")
        if not isinstance(value, str) or not CHANNEL_ID.match(value):
            raise reader.fail(f"[channels] {key}", f"{value!r} is not a Slack channel id (like C012ABCDEF)")
        channels[key] = value
    if "moderation" not in channels:
        raise reader.fail("[channels] moderation", "is missing: flags need a moderation channel")

    roles_table = reader.table("roles")
    roles: dict[str, tuple[str, ...]] = {}
    for key, value in roles_table.items():
        if key not in ROLES:
            raise reader.fail(f"[roles] {key}", f"is not a known role ({', '.join(ROLES)})")
        roles[key] = reader.user_ids("roles", key, value)

    oncall = reader.table("oncall", required=False)
    rotation = reader.user_ids("oncall", "rotation", oncall.get("rotation", []))
    ack_minutes = oncall.get("ack_minutes", 15)
    if not isinstance(ack_minutes, int) or isinstance(ack_minutes, bool) or not 1 <= ack_minutes <= 1440:
        raise reader.fail("[oncall] ack_minutes", "must be a whole number of minutes from 1 to 1440")

    flags = reader.table("flags", required=False)
    deadline = flags.get("deadline_business_hours", 8)
    if isinstance(deadline, bool) or not isinstance(deadline, int | float) or not 0 < deadline <= 200:
        raise reader.fail("[flags] deadline_business_hours", "must be a number of hours above 0")

    policy = reader.table("policy", required=False)
    own = policy.get("own_documents", [])
    if not isinstance(own, list) or not all(isinstance(item, str) and item for item in own):
        raise reader.fail("[policy] own_documents", 'must be a list of document ids, like ["taber-adm-7"]')

    people_table = reader.table("people", required=False)
    for user_id, display in people_table.items():
        if not USER_ID.match(user_id):
            raise reader.fail(f"[people] {user_id}", "is not a Slack user id (they start with U or W)")
        if not isinstance(display, str) or not display.strip() or len(display) > 80:
            raise reader.fail(f"[people] {user_id}", 'must be a name in quotes, like "Dana Smith"')

    request_steps, election_period = _read_requests(reader)
    return Organization(
        name=name,
        timezone=timezone,
        holiday_region=region,
        channels=channels,
        roles=roles,
        oncall_rotation=rotation,
        oncall_ack_minutes=ack_minutes,
        hours=_read_hours(reader),
        flag_deadline_business_hours=float(deadline),
        own_documents=tuple(own),
        people={user_id: display.strip() for user_id, display in people_table.items()},
        request_steps=request_steps,
        election_period=election_period,
        source=path,
    )
