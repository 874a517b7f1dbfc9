"""Domain logic tested directly: URLs, guesses, the business calendar, transitions, escaping."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.calendar import BusinessCalendar
from bot.errors import Conflict, InvalidInput
from bot.flags import transitions
from bot.flags.classify import guess_kind, guess_priority
from bot.flags.jobs import review_message
from bot.flags.models import Flag, Kind, Priority, Status
from bot.flags.transitions import FlagAction
from bot.flags.urls import find_url, looks_like_link, normalize_url, platform_of, validate_url
from bot.slack.text import escape, link

EDMONTON = ZoneInfo("America/Edmonton")


@pytest.mark.parametrize(
    "variant",
    [
        "https://www.facebook.com/town/posts/123",
        "http://facebook.com/town/posts/123/",
        "https://m.facebook.com/town/posts/123?fbclid=IwAR0abc",
        "https://mobile.facebook.com/town/posts/123#comments",
        "https://fb.com/town/posts/123?utm_source=share&utm_medium=copy",
        "facebook.com/town/posts/123",
    ],
)
def test_the_same_facebook_post_normalises_to_one_key(variant: str) -> None:
    assert normalize_url(validate_url(variant)) == "https://facebook.com/town/posts/123"


def test_twitter_and_x_are_the_same_site() -> None:
    assert normalize_url("https://twitter.com/town/status/1?s=20&t=abc") == normalize_url(
        "https://x.com/town/status/1"
    )


def test_youtube_short_links_match_watch_links() -> None:
    assert normalize_url("https://youtu.be/dQw4?si=xyz") == normalize_url(
        "https://www.youtube.com/watch?v=dQw4"
    )


def test_meaningful_query_parameters_stay() -> None:
    assert normalize_url("https://town.ca/news?id=7&utm_campaign=x") == "https://town.ca/news?id=7"
    assert normalize_url("https://town.ca/a?id=7") != normalize_url("https://town.ca/a?id=8")


@pytest.mark.parametrize(
    ("url", "platform"),
    [
        ("https://www.instagram.com/p/x", "Instagram"),
        ("https://x.com/a", "X/Twitter"),
        ("https://www.youtube.com/watch?v=1", "YouTube"),
        ("https://ca.linkedin.com/posts/1", "LinkedIn"),
        ("https://www.tiktok.com/@t/video/1", "TikTok"),
        ("https://old.reddit.com/r/a", "Reddit"),
        ("https://www.cbc.ca/news/1", "News site"),
        ("https://www.tabertimes.com/a", "News site"),
        ("https://example.org/page", "Other website"),
    ],
)
def test_platforms_are_recognised_from_the_host(url: str, platform: str) -> None:
    assert platform_of(url) == platform


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,x",
        "ftp://a.b/c",
        "not a link",
        "https://",
        "https://localhost/x",
        "",
    ],
)
def test_links_that_cannot_be_flagged(bad: str) -> None:
    with pytest.raises(InvalidInput):
        validate_url(bad)


def test_links_are_found_in_slack_text() -> None:
    assert find_url("look <https://x.com/a|x.com/a> now") == ("https://x.com/a", "look now")
    assert find_url("see https://town.ca/a.") == ("https://town.ca/a", "see")
    assert find_url("nothing here") == (None, "nothing here")
    assert looks_like_link("town.ca/x") and looks_like_link("htp//x") and not looks_like_link("hello")


@pytest.mark.parametrize(
    ("note", "kind"),
    [
        ("When does the outdoor pool open?", Kind.QUESTION),
        ("This post says the town is selling the arena, that's false", Kind.MISINFORMATION),
        ("Our Instagram was hacked", Kind.COMPROMISED),
        ("Candidate wants us to share his campaign video", Kind.ELECTION),
        ("Someone posted a racist comment under our snow removal post", Kind.ABUSIVE),
        ("A resident is threatening our bylaw officer by name", Kind.HARASSMENT),
        ("Great post from the library about the reading program, worth sharing", Kind.GOOD_POST),
    ],
)
def test_kinds_are_guessed_from_the_note(note: str, kind: Kind) -> None:
    assert guess_kind(note) is kind


@pytest.mark.parametrize(
    ("note", "priority"),
    [
        ("Wildfire smoke, people asking about evacuation", Priority.EMERGENCY),
        ("Is the road closure still on today?", Priority.TIME_SENSITIVE),
        ("Question about the council vote on the tax rate", Priority.COUNCIL),
        ("How do I register for the swim program", Priority.PROGRAM),
        ("When is the chamber of commerce fair", Priority.PARTNER),
        ("nice photo", Priority.OTHER),
    ],
)
def test_priorities_follow_taber_1_04_r(note: str, priority: Priority) -> None:
    assert guess_priority(note, Kind.QUESTION) is priority


def test_a_compromised_account_is_an_emergency() -> None:
    assert guess_priority("someone got in", Kind.COMPROMISED) is Priority.EMERGENCY


# ----- business calendar

CALENDAR = BusinessCalendar("America/Edmonton", "CA-AB")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=EDMONTON)


def test_eight_business_hours_within_one_day() -> None:
    assert CALENDAR.add_business_hours(local(2026, 11, 17, 8, 30), 8) == local(2026, 11, 17, 16, 30)


def test_business_hours_skip_nights_and_weekends() -> None:
    assert CALENDAR.add_business_hours(local(2026, 11, 20, 15, 0), 8) == local(2026, 11, 23, 15, 0)
    assert CALENDAR.add_business_hours(local(2026, 11, 21, 11, 0), 1) == local(2026, 11, 23, 9, 30)
    assert CALENDAR.add_business_hours(local(2026, 11, 17, 20, 0), 2) == local(2026, 11, 18, 10, 30)


def test_statutory_holidays_of_the_province_are_skipped() -> None:
    # Remembrance Day (Wednesday 11 November 2026) is a general holiday in Alberta, not in Ontario.
    assert CALENDAR.is_holiday(date(2026, 11, 11))
    assert CALENDAR.add_business_hours(local(2026, 11, 10, 16, 0), 1) == local(2026, 11, 12, 9, 0)
    assert not BusinessCalendar("America/Toronto", "CA-ON").is_holiday(date(2026, 11, 11))
    # Family Day (third Monday of February) in Alberta
    assert CALENDAR.is_holiday(date(2026, 2, 16))


def test_business_time_and_the_next_opening() -> None:
    assert CALENDAR.is_business_time(local(2026, 11, 17, 8, 30))
    assert not CALENDAR.is_business_time(local(2026, 11, 17, 16, 30))
    assert not CALENDAR.is_business_time(local(2026, 12, 25, 10, 0))
    # Christmas is Friday; Boxing Day is optional in Alberta and falls on Saturday anyway.
    assert CALENDAR.next_business_start(local(2026, 12, 24, 17, 0)) == local(2026, 12, 28, 8, 30)


def test_daylight_saving_change_is_counted_in_local_hours() -> None:
    # Clocks went back on Sunday 1 November 2026; Friday 16:00 + 1 h = Monday 09:00 local.
    assert CALENDAR.add_business_hours(local(2026, 10, 30, 16, 0), 1) == local(2026, 11, 2, 9, 0)


# ----- transitions


def make_flag(status: Status, escalated: bool = False) -> Flag:
    flag = Flag(id=7, status=status, assignee="U0MOD0001", resolved_by="U0MOD0002", escalated_by="U0MOD0001")
    flag.escalated_at = local(2026, 1, 1) if escalated else None
    return flag


@pytest.mark.parametrize(
    ("status", "action", "target"),
    [
        (Status.OPEN, FlagAction.CLAIM, Status.CLAIMED),
        (Status.CLAIMED, FlagAction.RELEASE, Status.OPEN),
        (Status.OPEN, FlagAction.RESOLVE, Status.RESOLVED),
        (Status.CLAIMED, FlagAction.RESOLVE, Status.RESOLVED),
        (Status.OPEN, FlagAction.ESCALATE, None),
        (Status.CLAIMED, FlagAction.EDIT, None),
    ],
)
def test_allowed_transitions(status: Status, action: FlagAction, target: Status | None) -> None:
    assert transitions.check(make_flag(status), action) == target


@pytest.mark.parametrize(
    ("status", "action", "words"),
    [
        (Status.CLAIMED, FlagAction.CLAIM, "already claimed by <@U0MOD0001>"),
        (Status.OPEN, FlagAction.RELEASE, "not claimed by anyone"),
        (Status.RESOLVED, FlagAction.RESOLVE, "already resolved"),
        (Status.RESOLVED, FlagAction.CLAIM, "already resolved"),
        (Status.RESOLVED, FlagAction.EDIT, "already resolved"),
    ],
)
def test_refused_transitions_say_why(status: Status, action: FlagAction, words: str) -> None:
    with pytest.raises(Conflict, match=words.replace("(", r"\(")):
        transitions.check(make_flag(status), action)


def test_escalation_happens_once() -> None:
    with pytest.raises(Conflict, match="already escalated"):
        transitions.check(make_flag(Status.OPEN, escalated=True), FlagAction.ESCALATE)


def test_escaping_and_links() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert link("https://a.b/x|y>z", "F|b <x>") == "<https://a.b/x%7Cy%3Ez|F¦b &lt;x&gt;>"


def _until(condition, seconds: float = 5.0) -> None:
    """Another thread's progress, polled with a deadline (no fixed sleep)."""
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_the_sqlite_write_lock_lets_the_few_statements_before_an_answer_go_first() -> None:
    import threading

    from bot.runtime import WriteLock

    lock, order = WriteLock(), []
    lock.__enter__()  # a transaction after some answer holds it

    def take(name: str, first: bool) -> None:
        with lock.first() if first else lock:
            order.append(name)

    waiting = threading.Thread(target=take, args=("after an answer", False))
    waiting.start()
    _until(lambda: lock.queued == 1)  # it is in line before the request arrives
    urgent = threading.Thread(target=take, args=("before an answer", True))
    urgent.start()
    _until(lambda: lock._urgent == 1)
    lock.__exit__()
    waiting.join(5)
    urgent.join(5)
    assert order == ["before an answer", "after an answer"]


def test_work_after_an_answer_waits_for_a_quiet_moment_but_not_forever() -> None:
    import threading
    import time

    from bot.runtime import RequestsInFlight

    requests = RequestsInFlight(patience=0.05)
    with requests.answering():
        started = time.monotonic()
        requests.wait_quiet()  # a request is being answered all along: it gives way, then goes ahead
        assert time.monotonic() - started >= 0.04
    requests = RequestsInFlight(patience=30)
    requests.wait_quiet()  # nobody is being answered: at once
    entered, release = threading.Event(), threading.Event()

    def answer() -> None:
        with requests.answering():
            entered.set()
            release.wait(5)

    answering = threading.Thread(target=answer)
    answering.start()
    assert entered.wait(5)
    threading.Timer(0.01, release.set).start()
    started = time.monotonic()
    requests.wait_quiet()
    assert time.monotonic() - started < 5  # the answer went out, so the work starts (not after 30 s)
    answering.join(5)


def test_the_daily_review_of_many_flags_with_long_links_stays_within_slacks_limits() -> None:
    now = datetime(2026, 11, 18, 15, 30, tzinfo=ZoneInfo("UTC"))
    flags = [
        Flag(
            id=n,
            url=f"https://www.facebook.com/town/posts/{n}?" + "x=1&" * 400,
            platform="Facebook",
            kind=Kind.QUESTION,
            priority=Priority.EMERGENCY if n % 2 else Priority.OTHER,
            status=Status.OPEN,
            deadline_at=now,
        )
        for n in range(1, 51)
    ]
    _text, blocks = review_message(flags, now, total=80)
    sections = [block["text"]["text"] for block in blocks if block["type"] == "section"]
    assert all(len(text) <= 3000 for text in sections) and len(blocks) <= 50
    assert sum(text.count("\n• *F-") + text.startswith("• *F-") for text in sections) == 50
    assert ":rotating_light: Emergency" in sections[1] and "…and 30 more" in str(blocks)
