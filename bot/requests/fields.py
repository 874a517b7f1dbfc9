"""The fields each kind of request asks for, and how what was typed becomes a request or a field error.

One table (`FORMS`) drives both the modal (forms.py builds it) and the checks here, so a field can't be
asked for without being validated. Pure functions: no session, no Slack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from bot.config import Organization
from bot.errors import InvalidInput
from bot.requests.ids import RequestIds as Ids
from bot.requests.models import Kind
from bot.slack.text import escape

MAX_TEXT, MAX_LONG, MAX_URL = 200, 1500, 2000
MAX_GRANT = timedelta(days=366)  # temporary access (Taber 1.05) is at most a year at a time
YES_NO = (("yes", "Yes"), ("no", "No"))
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Field:
    key: str  # its name in Request.details
    block: str  # its block_id on the form
    label: str
    type: str  # "text" | "long" | "url" | "date" | "director" | "choice"
    required: bool = True
    choices: tuple[tuple[str, str], ...] = ()  # (value, label)
    hint: str = ""
    placeholder: str = ""

    @property
    def max_length(self) -> int:
        return {"long": MAX_LONG, "url": MAX_URL}.get(self.type, MAX_TEXT)


EXCEPTIONS = (
    ("recognition", "A day of national, provincial or municipal recognition"),  # Taber 1.04(t)(i)
    ("unique_benefit", "Of unique benefit to the town"),  # Taber 1.04(t)(ii)
    ("community_event", "A community event open to the public"),  # Middlesex "Sharing/Following"
    ("psa", "A public service announcement from another government"),  # Middlesex "Sharing/Following"
    ("other", "Other"),  # Taber 1.04(t)(iii): at the CAO's or Communications' discretion
)
ORGANISERS = (
    ("community_group", "A community group or organisation"),
    ("charity", "A recognised charity"),
    ("government", "Another government or agency"),
    ("business", "A business"),
    ("individual", "An individual or group of individuals"),
)
CONSENT = (
    ("all", "Everyone shown agreed to it"),
    ("nobody_identifiable", "Nobody can be identified in it"),
    ("not_all", "Not everyone agreed, or I don't know"),
)
TRAINING = (("done", "Yes, it's done"), ("not_yet", "Not yet"))

FORMS: dict[Kind, tuple[Field, ...]] = {
    Kind.ACCESS: (
        Field("platform", Ids.PLATFORM, "Platform(s)", "text", placeholder="Facebook, Instagram…"),
        Field("purpose", Ids.PURPOSE, "Purpose", "long", placeholder="What will you post, and why?"),
        Field("start", Ids.START, "From", "date"),
        Field("end", Ids.END, "Until (the last day)", "date", hint="Access ends after this day."),
        Field(
            "director", Ids.DIRECTOR, "Your director", "director", hint="Taber 1.05(a): they approve first."
        ),
        Field(
            "training",
            Ids.TRAINED,
            "Communications training on these accounts",
            "choice",
            choices=TRAINING,
            hint="Taber 1.05(h): training comes before access.",
        ),
    ),
    Kind.SHARE: (
        Field("organisation", Ids.ORGANISATION, "Organisation", "text"),
        Field("organiser", Ids.ORGANISER, "Who is asking", "choice", choices=ORGANISERS),
        Field("event", Ids.EVENT, "Event or information", "text"),
        Field("event_date", Ids.EVENT_DATE, "Date of the event", "date"),
        Field("link", Ids.LINK, "Link", "url", placeholder="https://…"),
        Field("description", Ids.DESCRIPTION, "Description", "long"),
        Field(
            "exception",
            Ids.EXCEPTION,
            "Which exception does it claim?",
            "choice",
            choices=EXCEPTIONS,
            hint="Taber 1.04(t); Middlesex “Sharing/Following”.",
        ),
        Field(
            "fundraiser",
            Ids.FUNDRAISER,
            "Does it raise funds (a fundraiser, sale or donations)?",
            "choice",
            choices=YES_NO,
        ),
        Field(
            "candidate",
            Ids.CANDIDATE,
            "Is it about a candidate, a party or an election campaign?",
            "choice",
            choices=YES_NO,
            hint="Taber 1.04(p), Westlock 9: this goes to the CAO.",
        ),
    ),
    Kind.ACCOUNT: (
        Field("department", Ids.DEPARTMENT, "Department", "text"),
        Field("platform", Ids.PLATFORM, "Platform", "text"),
        Field(
            "need",
            Ids.NEED,
            "Why the department needs its own profile",
            "long",
            hint="Taber 1.02(e)(a)–(c); Westlock 5.3.1, 5.3.4.",
        ),
        Field(
            "audience",
            Ids.AUDIENCE,
            "Who it reaches that the town's accounts don't",
            "long",
            hint="Taber 1.02(e)(b); Westlock 5.3.2.",
        ),
        Field(
            "resources",
            Ids.RESOURCES,
            "Staffing, budget, resources and training",
            "long",
            hint="Taber 1.02(e)(d); Westlock 5.3.5.",
        ),
        Field(
            "oversight",
            Ids.OVERSIGHT,
            "Who administers it, and with what oversight by Communications",
            "long",
            hint="Taber 1.02(e)(e); Westlock 5.3.3.",
        ),
        Field(
            "director",
            Ids.DIRECTOR,
            "The department's director",
            "director",
            hint="Taber 1.02(d): the director asks, the CAO approves.",
        ),
    ),
    Kind.PHOTO: (
        Field("link", Ids.LINK, "Link to the photo", "url", placeholder="https://…"),
        Field("taken_where", Ids.TAKEN_WHERE, "Where it was taken", "text"),
        Field("taken_on", Ids.TAKEN_ON, "When it was taken", "date"),
        Field(
            "consent",
            Ids.CONSENT,
            "Consent of the people shown",
            "choice",
            choices=CONSENT,
            hint="Taber 1.07(b)(v).",
        ),
        Field(
            "emergency",
            Ids.EMERGENCY,
            "Does it show an emergency scene, responders or their equipment?",
            "choice",
            choices=YES_NO,
            hint="Westlock 8.2.",
        ),
        Field(
            "director",
            Ids.DIRECTOR,
            "Your director",
            "director",
            hint="Taber 1.04(d): your director or Communications approves.",
        ),
    ),
}


@dataclass(frozen=True)
class Answers:
    """A request's fields, checked: what goes in Request.details, and the columns some kinds fill."""

    details: dict[str, str] = field(default_factory=dict)
    director: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None


def field_of(kind: Kind, key: str) -> Field:
    return next(item for item in FORMS[kind] if item.key == key)


def choice_label(kind: Kind, key: str, value: str | None) -> str:
    return dict(field_of(kind, key).choices).get(value or "", value or "")


def read_answers(
    kind: Kind, answers: dict[str, Any], *, today: date, org: Organization, requester: str
) -> Answers:
    """The request's fields from the form, or InvalidInput marking every field that is wrong at once (one
    round on a phone, not three)."""
    details: dict[str, str] = {}
    errors: dict[str, str] = {}
    for spec in FORMS[kind]:
        try:
            value = _read(spec, answers.get(spec.block), org)
        except InvalidInput as exc:
            errors[exc.field or spec.block] = exc.message
            continue
        if value:
            details[spec.key] = value
    director = details.get("director")
    if director is not None and director == requester:
        errors[Ids.DIRECTOR] = "You can't approve your own request: choose another director, or ask an admin."
    starts_on = ends_on = None
    try:
        if kind is Kind.ACCESS and "start" in details and "end" in details:
            starts_on, ends_on = date.fromisoformat(details["start"]), date.fromisoformat(details["end"])
            if starts_on < today:
                errors[Ids.START] = "The start date is in the past; access begins today at the earliest."
            check_end(starts_on, ends_on, Ids.END)
        elif (
            kind is Kind.SHARE
            and "event_date" in details
            and date.fromisoformat(details["event_date"]) < today
        ):
            errors[Ids.EVENT_DATE] = "The event date is in the past."
        elif kind is Kind.PHOTO and "taken_on" in details and date.fromisoformat(details["taken_on"]) > today:
            errors[Ids.TAKEN_ON] = "That date is in the future; when was the photo taken?"
    except InvalidInput as exc:
        errors[exc.field or ""] = exc.message
    if errors:
        raise InvalidInput.on_fields(errors)
    return Answers(details=details, director=director, starts_on=starts_on, ends_on=ends_on)


def check_end(starts_on: date, ends_on: date, block: str) -> None:
    if ends_on < starts_on:
        raise InvalidInput("The end date is before the start date.", block)
    if ends_on - starts_on > MAX_GRANT:
        raise InvalidInput("Temporary access is for a year at most; ask for an extension later.", block)


def read_date(value: Any, block: str, required: bool = True) -> date | None:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        if required:
            raise InvalidInput("Please choose a date.", block)
        return None
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InvalidInput(f"“{escape(text[:20])}” is not a date.", block)


def read_link(value: str, block: str) -> str:
    if len(value) > MAX_URL:
        raise InvalidInput(f"That link is longer than {MAX_URL:,} characters.", block)
    first = value.split("/", 1)[0]
    if "://" not in value and "." in first and not {":", "@"} & set(first):
        value = "https://" + value  # "www.pool.ca/events", as people paste it (and as /flag takes it)
    try:
        parts = urlsplit(value)
        host = parts.hostname if parts.scheme.lower() in ("http", "https") and parts.netloc else None
    except ValueError:  # a malformed [IPv6] host
        host = None
    if not host or "." not in host.strip(".") or any(ch.isspace() for ch in value):
        raise InvalidInput(
            f"“{escape(value[:80])}” is not a web link; it must start with http:// or https://.", block
        )
    return value


def _read(spec: Field, raw: Any, org: Organization) -> str:
    if spec.type == "date":
        found = read_date(raw, spec.block, spec.required)
        return found.isoformat() if found else ""
    value = raw.strip() if isinstance(raw, str) else ""
    if not value:
        if spec.required:
            chosen = spec.type in ("choice", "director")
            raise InvalidInput("Please choose one." if chosen else "Please fill this in.", spec.block)
        return ""
    if spec.type == "url":
        return read_link(value, spec.block)
    if spec.type == "director":
        if value not in org.users_with_role("director"):
            raise InvalidInput("Please choose one of the town's directors.", spec.block)
        return value
    if spec.type == "choice":
        if value not in dict(spec.choices):
            raise InvalidInput("Please choose one of the options.", spec.block)
        return value
    if len(value) > spec.max_length:
        raise InvalidInput(
            f"This is {len(value):,} characters long; please keep it under {spec.max_length:,}.", spec.block
        )
    return value
