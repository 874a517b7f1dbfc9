"""Load and validate organization.toml; every problem is a ConfigError in plain words."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bot.config.reader import Reader, check_sections
from bot.config.sections import (
    read_accounts,
    read_calendar,
    read_hours,
    read_oncall_schedule,
    read_requests,
)
from bot.config.values import CHANNEL_ID, REGION, USER_ID, Organization
from bot.errors import ConfigError

if TYPE_CHECKING:
    pass


def _check_holiday_region(reader: Reader, region: str, ask_the_library: bool = True) -> None:
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


def read_roles(reader: Reader) -> dict[str, tuple[str, ...]]:
    roles = {key: reader.user_ids("roles", key, value) for key, value in reader.table("roles").items()}
    if not roles.get("moderator") and not roles.get("admin"):
        raise reader.fail(
            "[roles]", "list at least one moderator or admin: nobody else may act on a flag's card"
        )
    return roles


def read_policy(reader: Reader) -> tuple[tuple[str, ...], Path | None]:
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
    reader = Reader(path, data)
    check_sections(reader)

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

    roles = read_roles(reader)

    oncall = reader.table("oncall", required=False)
    rotation = reader.user_ids("oncall", "rotation", oncall.get("rotation", []))
    ack_minutes = oncall.get("ack_minutes", 15)
    if not isinstance(ack_minutes, int) or isinstance(ack_minutes, bool) or not 1 <= ack_minutes <= 1440:
        raise reader.fail("[oncall] ack_minutes", "must be a whole number of minutes from 1 to 1440")

    flags = reader.table("flags", required=False)
    deadline = flags.get("deadline_business_hours", 8)
    if isinstance(deadline, bool) or not isinstance(deadline, int | float) or not 0 < deadline <= 200:
        raise reader.fail("[flags] deadline_business_hours", "must be a number of hours above 0")

    own, clause_directory = read_policy(reader)

    people_table = reader.table("people", required=False)
    for user_id, display in people_table.items():
        if not USER_ID.match(user_id):
            raise reader.fail(f"[people] {user_id}", "is not a Slack user id (they start with U or W)")
        if not isinstance(display, str) or not display.strip() or len(display) > 80:
            raise reader.fail(f"[people] {user_id}", 'must be a name in quotes, like "Dana Smith"')

    request_steps, election_period = read_requests(reader)
    hours = read_hours(reader)
    closures, seasons = read_calendar(reader, hours)
    handover, rotation_start, escalation = read_oncall_schedule(reader, oncall)
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
        accounts=read_accounts(reader),
        clause_directory=clause_directory,
        source=path,
    )
