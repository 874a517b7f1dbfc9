"""The policy checks a request is put through when it is filed, and how the card states them.

A check is a short code stored with the request (so the card says what was true when it was filed, e.g.
"less than 2 weeks' notice"); its words and the clause behind it live here. Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.requests import clauses
from bot.requests.clauses import Clause
from bot.requests.models import Kind

NOTICE = timedelta(days=14)  # Middlesex "Sharing/Following": two weeks before the event


@dataclass(frozen=True)
class Check:
    text: str
    clause: Clause
    quote: bool = False  # quote the clause in full on the card (a rule that forbids it)


CHECKS: dict[str, Check] = {
    "short_notice": Check("The event is close: less than 2 weeks' notice.", clauses.SHARE_NOTICE),
    "individual_fundraiser": Check(
        "A fundraiser by an individual or a business, not a recognised charity or community organisation.",
        clauses.SHARE_FUNDRAISER,
        quote=True,
    ),
    "candidate": Check(
        "Candidate or campaign content: this goes to the CAO.", clauses.ELECTION_NO_CAMPAIGN, quote=True
    ),
    "election_period": Check(
        "It is the election period: the CAO was told at once, to inform the Chief Returning Officer.",
        clauses.ELECTION_CAO,
    ),
    "exception_other": Check(
        "It claims none of the listed exceptions: sharing is at the sole discretion of the CAO or "
        "Communications (Taber 1.04(t)(iii)).",
        clauses.SHARE_DEFAULT,
    ),
    "training_not_done": Check(
        "Communications training is not done yet: it must come before access starts.",
        clauses.ACCESS_TRAINING,
    ),
    "emergency_scene": Check(
        "It shows an emergency scene. The policy forbids taking such photos; posting one needs express "
        "written approval with a valid explanation (Westlock 8.2.1.2).",
        clauses.PHOTO_EMERGENCY,
        quote=True,
    ),
    "no_consent": Check(
        "Not everyone shown agreed to it, or nobody knows.", clauses.PHOTO_CONSENT, quote=True
    ),
}


def in_period(period: tuple[date, date] | None, *days: date) -> bool:
    return period is not None and any(period[0] <= day <= period[1] for day in days)


def checks_for(
    kind: Kind, details: dict[str, str], *, today: date, election_period: tuple[date, date] | None
) -> list[str]:
    """The codes of the checks this request raises, in the order the card shows them."""
    found: list[str] = []
    if kind is Kind.SHARE:
        event_day = date.fromisoformat(details["event_date"])
        if details.get("candidate") == "yes":
            found.append("candidate")
            if in_period(election_period, today, event_day):
                found.append("election_period")
        if event_day - today < NOTICE:
            found.append("short_notice")
        fundraiser = details.get("fundraiser") == "yes"
        if fundraiser and details.get("organiser") in ("individual", "business"):
            found.append("individual_fundraiser")
        if details.get("exception") == "other":
            found.append("exception_other")
    elif kind is Kind.ACCESS and details.get("training") != "done":
        found.append("training_not_done")
    elif kind is Kind.PHOTO:
        if details.get("emergency") == "yes":
            found.append("emergency_scene")
        if details.get("consent") == "not_all":
            found.append("no_consent")
    return found


def goes_to_cao(codes: list[str]) -> bool:
    """Candidate or campaign content is the CAO's to decide (Taber 1.04(p), Westlock 9)."""
    return "candidate" in codes


def check_lines(codes: list[str]) -> list[str]:
    """The card's lines for these checks (mrkdwn; our words only, so nothing to escape)."""
    lines = []
    for code in codes:
        check = CHECKS.get(code)
        if check is None:  # a check retired since the request was filed
            continue
        line = f":warning: {check.text} _({check.clause.ref})_"
        if check.quote:
            line += "\n" + check.clause.quoted()
        lines.append(line)
    return lines
