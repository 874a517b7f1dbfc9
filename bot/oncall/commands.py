"""Reading `/oncall …`: which sub-command, which person, and the time range, in the organisation's time zone.
Pure functions; every mistake is an InvalidInput in plain words with an example."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import InvalidInput
from bot.slack.text import escape

MAX_TEXT = 200
MAX_OVERRIDE = timedelta(days=90)
MAX_AHEAD = timedelta(days=366)

USAGE = (
    "*/oncall* shows who is on call now and next.\n"
    "*/oncall me 2026-11-21 18:00 2026-11-22 08:30* takes a shift (rotation members).\n"
    "*/oncall cover @someone 2026-11-21 18:00 2026-11-22 08:30* puts a rotation member on call "
    "(Communications or an admin).\n"
    "*/oncall cancel* gives up your own next shift; *cancel @someone* ends theirs (Communications or an admin).\n"
    "Times are in the organisation's time zone. A date alone means the whole day; `now` starts at once."
)
EXAMPLE = "like `2026-11-21 18:00 2026-11-22 08:30`, `2026-11-21 2026-11-22`, or `now 2026-11-22 08:30`"

# Escaped mention "<@U123|dana>", "<@U123>", or a bare id.
MENTION = re.compile(r"<@([UW][A-Z0-9]{2,20})(?:\|[^>]{0,80})?>|([UW][A-Z0-9]{2,20})")
DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2}))?")
CLOCK = re.compile(r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?", re.IGNORECASE)


@dataclass(frozen=True)
class Command:
    kind: str  # "show" | "help" | "cover" | "me" | "cancel"
    user: str | None = None
    when: str = ""


def parse_command(text: str) -> Command:
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"That is too long for /oncall; please keep it under {MAX_TEXT} characters.")
    word, _, rest = text.partition(" ")
    word, rest = word.lower(), rest.strip()
    if word in ("", "now", "who", "next"):
        return Command("show")
    if word in ("help", "?"):
        return Command("help")
    if word == "me":
        return Command("me", when=rest)
    if word == "cover":
        target, _, when = rest.partition(" ")
        return Command(
            "cover", user=_person(target, "cover @dana 2026-11-21 18:00 2026-11-22 08:30"), when=when.strip()
        )
    if word in ("cancel", "drop"):
        return Command("cancel", user=_person(rest, "cancel @dana") if rest else None)
    raise InvalidInput(f"/oncall does not know “{escape(word[:30])}”.\n{USAGE}")


def _person(target: str, example: str) -> str:
    match = MENTION.fullmatch(target)
    if match is None:
        raise InvalidInput(
            f"“{escape(target[:40] or '…')}” is not a person. Mention them, like `/oncall {example}`."
        )
    return match.group(1) or match.group(2)


def _clock(token: str) -> time | None:
    match = CLOCK.fullmatch(token)
    if match is None:
        return None
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), (match.group(3) or "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    if hour > 23 or minute > 59 or (not half and match.group(2) is None):
        return None  # a bare "18" is too easy to misread
    return time(hour, minute)


def _moment(tokens: list[str], now: datetime, tz: ZoneInfo, is_end: bool) -> tuple[datetime, list[str]]:
    """One moment from the front of `tokens` ("now", "today", "tomorrow" or a date, then maybe a time);
    returns it and the tokens left."""
    if not tokens:
        raise InvalidInput(f"Please give when it starts and when it ends, {EXAMPLE}.")
    head, rest = tokens[0].lower(), tokens[1:]
    if head == "now":
        return now, rest
    today = now.astimezone(tz).date()
    match = DATE.fullmatch(head)
    if head in ("today", "tomorrow"):
        day, at = today + timedelta(days=1 if head == "tomorrow" else 0), None
    elif match:
        try:
            day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            raise InvalidInput(f"“{escape(tokens[0])}” is not a date on the calendar.") from None
        at = _clock(f"{match.group(4)}:{match.group(5)}") if match.group(4) else None
    else:
        raise InvalidInput(
            f"“{escape(tokens[0][:30])}” is not a date or time I can read; write it {EXAMPLE}."
        )
    if at is None and rest and (at := _clock(rest[0])) is not None:
        rest = rest[1:]
    if at is None:  # a date alone: from its first minute, or to its last
        day, at = (day + timedelta(days=1), time(0)) if is_end else (day, time(0))
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC), rest


def parse_range(text: str, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """`<from> <to>` in the organisation's zone, checked: it ends after it starts and after now, lasts at most
    90 days and starts within a year. A start in the past means now."""
    tokens = [token for token in text.split() if token.lower() not in ("from", "to", "until", "-", "→")]
    starts, rest = _moment(tokens, now, tz, is_end=False)
    ends, rest = _moment(rest, now, tz, is_end=True)
    if rest:
        raise InvalidInput(
            f"I did not understand “{escape(' '.join(rest)[:60])}”; write the range {EXAMPLE}."
        )
    if ends <= starts:
        raise InvalidInput("That range ends before it starts; give the start first, then the end.")
    if ends <= now:
        raise InvalidInput("That range is already over; give one that ends in the future.")
    starts = max(starts, now)
    if ends - starts > MAX_OVERRIDE:
        raise InvalidInput("An override can last at most 90 days; for longer, change the rotation.")
    if starts - now > MAX_AHEAD:
        raise InvalidInput("An override can start at most a year from now.")
    return starts, ends
