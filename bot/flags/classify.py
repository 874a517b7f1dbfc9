"""On the fast path (`/flag <url> <note>`) nobody picks a kind or a priority: guess them from the note.
The card shows the guess as editable, so a wrong guess costs one click."""

from __future__ import annotations

import re

from bot.flags.models import Kind, Priority

KIND_CUES: list[tuple[Kind, tuple[str, ...]]] = [
    (
        Kind.COMPROMISED,
        (
            "hack",
            "compromis",
            "password",
            "not us posting",
            "we didn't post",
            "we did not post",
            "account was taken",
            "locked out",
            "suspicious login",
            "someone else is posting",
            "impersonat",
            "fake town",
            "fake account",
            "phishing",
            "scam post",
        ),
    ),
    (
        Kind.ELECTION,
        (
            "election",
            "candidate",
            "campaign",
            "ballot",
            "vote for",
            "voting",
            "nomination",
            "running for council",
            "running for mayor",
            "returning officer",
            "platform",
        ),
    ),
    (
        Kind.HARASSMENT,
        (
            "harass",
            "threat",
            "doxx",
            "stalk",
            "attacking staff",
            "attacking our staff",
            "named our staff",
            "our employee",
            "staff member",
            "abuse toward",
            "abusing staff",
        ),
    ),
    (
        Kind.ABUSIVE,
        (
            "abusive",
            "offensive",
            "spam",
            "swear",
            "profan",
            "vulgar",
            "racist",
            "hate",
            "troll",
            "off-topic",
            "off topic",
            "insult",
            "obscene",
            "explicit",
            "slur",
        ),
    ),
    (
        Kind.MISINFORMATION,
        (
            "misinformation",
            "disinformation",
            "misleading",
            "false",
            "wrong",
            "incorrect",
            "not true",
            "untrue",
            "rumour",
            "rumor",
            "misrepresent",
            "inaccurate",
            "fake news",
            "claims that",
            "saying that",
            "lie",
            "lying",
            "error in",
        ),
    ),
    (
        Kind.GOOD_POST,
        (
            "great post",
            "worth sharing",
            "share this",
            "reshare",
            "shout out",
            "shoutout",
            "kudos",
            "positive",
            "nice post",
            "good news",
            "celebrat",
            "thank you post",
            "proud",
            "award",
        ),
    ),
    (
        Kind.QUESTION,
        (
            "?",
            "question",
            "asking",
            "asked",
            "wondering",
            "does anyone know",
            "how do",
            "when is",
            "when will",
            "where is",
            "why is",
            "complain",
        ),
    ),
]

PRIORITY_CUES: list[tuple[Priority, tuple[str, ...]]] = [
    (
        Priority.EMERGENCY,
        (
            "emergency",
            "fire",
            "flood",
            "evacuat",
            "boil water",
            "water advisory",
            "tornado",
            "storm",
            "power out",
            "outage",
            "gas leak",
            "accident",
            "missing child",
            "shelter",
            "wildfire",
            "911",
            "danger",
            "injur",
            "spill",
        ),
    ),
    (
        Priority.TIME_SENSITIVE,
        (
            "today",
            "tonight",
            "tomorrow",
            "this morning",
            "this afternoon",
            "urgent",
            "asap",
            "deadline",
            "right now",
            "closing",
            "closed",
            "road closure",
            "cancel",
            "this weekend",
            "hours",
        ),
    ),
    (
        Priority.COUNCIL,
        (
            "council",
            "bylaw",
            "mayor",
            "councillor",
            "councilor",
            "tax",
            "budget",
            "resolution",
            "meeting",
            "vote",
        ),
    ),
    (
        Priority.PROGRAM,
        (
            "program",
            "registration",
            "register",
            "recreation",
            "pool",
            "arena",
            "project",
            "construction",
            "garbage",
            "recycling",
            "library hours",
            "permit",
            "utility",
            "snow removal",
            "parks",
        ),
    ),
    (
        Priority.PARTNER,
        (
            "partner",
            "chamber",
            "school",
            "library",
            "fair",
            "festival",
            "non-profit",
            "nonprofit",
            "rodeo",
            "fundraiser",
            "community group",
        ),
    ),
]


def _has(text: str, cue: str) -> bool:
    if cue == "?":
        return "?" in text
    return re.search(r"(?<![a-z])" + re.escape(cue), text) is not None


def guess_kind(note: str) -> Kind:
    text = note.lower()
    for kind, cues in KIND_CUES:
        if any(_has(text, cue) for cue in cues):
            return kind
    return Kind.QUESTION


def guess_priority(note: str, kind: Kind) -> Priority:
    if kind is Kind.COMPROMISED:
        return Priority.EMERGENCY
    text = note.lower()
    for priority, cues in PRIORITY_CUES:
        if any(_has(text, cue) for cue in cues):
            return priority
    return Priority.OTHER
