"""Requests' domain logic tested directly: transitions, who may decide a step, the fields and checks of each
kind, the dates of reminders and expiry, the quoted clauses, the ids, and the [requests] configuration."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.calendar import BusinessCalendar
from bot.config import DEFAULT_REQUEST_STEPS, Organization, load_organization
from bot.errors import ConfigError, Conflict, InvalidInput
from bot.flags.ids import FlagIds
from bot.policy import SHIPPED_CLAUSES
from bot.policy.ids import PolicyIds
from bot.requests import checks, clauses, steps, timing, transitions
from bot.requests.blocks import task_card
from bot.requests.fields import read_answers, read_link
from bot.requests.ids import RequestIds as Ids
from bot.requests.models import Kind, Request, RequestTask, Status, StepStatus, TaskKind
from bot.requests.transitions import RequestAction
from tests.conftest import ADMIN, CAO, COMMS, DIRECTOR, EMPLOYEE, ORG_FILE, ROOT
from tests.requests_kit import ACCESS

TODAY = date(2026, 11, 17)
NOW = datetime(2026, 11, 17, 17, 0, tzinfo=UTC)
DIRECTOR_2 = "U0DIR0002"


@pytest.fixture
def org() -> Organization:
    base = load_organization(ORG_FILE)
    return replace(base, roles={**base.roles, "director": (DIRECTOR, DIRECTOR_2)})


def request_with(
    steps_: list[tuple[str, ...]], director: str | None = DIRECTOR, kind: Kind = Kind.ACCESS
) -> Request:
    request = Request(
        id=7, kind=kind, status=Status.PENDING, requester=EMPLOYEE, director=director, version=3
    )
    request.steps = steps.make_steps(steps_, director, NOW)
    return request


# ----- transitions


def test_an_approval_keeps_the_request_pending_until_its_last_step() -> None:
    request = request_with([("director",), ("cao",)])
    first, last = request.steps
    assert transitions.target(request, RequestAction.APPROVE, first) is Status.PENDING
    assert transitions.target(request, RequestAction.APPROVE, last) is Status.APPROVED
    assert transitions.target(request, RequestAction.DENY, first) is Status.DENIED


def test_a_decided_step_names_who_decided_it() -> None:
    request = request_with([("director",), ("cao",)])
    first = request.steps[0]
    first.status, first.decided_by, first.decided_at = StepStatus.APPROVED, DIRECTOR, NOW
    with pytest.raises(Conflict, match=r"Step 1 of R-7 was already approved by <@U0DIR0001> <!date\^"):
        transitions.check_step(request, first)
    transitions.check_step(request, request.steps[1])  # the CAO's step is current now


def test_a_later_step_waits_for_the_earlier_one() -> None:
    request = request_with([("director",), ("cao",)])
    with pytest.raises(Conflict, match="waits for step 1"):
        transitions.check_step(request, request.steps[1])


@pytest.mark.parametrize(
    ("status", "action", "words"),
    [
        (Status.APPROVED, RequestAction.CANCEL, "already approved"),
        (Status.CANCELLED, RequestAction.APPROVE, "was cancelled by"),
        (Status.EXPIRED, RequestAction.EXTEND, "has expired"),
        (Status.PENDING, RequestAction.EXPIRE, "while it is pending"),
    ],
)
def test_the_transitions_table_refuses_in_words(status: Status, action: RequestAction, words: str) -> None:
    request = request_with([("director",)])
    request.status = status
    with pytest.raises(Conflict, match=words):
        transitions.check(request, action)


def test_only_access_expires_or_is_extended() -> None:
    request = request_with([("director",)], kind=Kind.PHOTO)
    request.status = Status.APPROVED
    with pytest.raises(Conflict, match="not an access grant"):
        transitions.check(request, RequestAction.EXTEND)


# ----- who may decide


def test_a_director_step_belongs_to_the_named_director(org: Organization) -> None:
    step = request_with([("director",)]).steps[0]
    assert steps.acting_role(org, step, DIRECTOR) == "director"
    assert steps.acting_role(org, step, DIRECTOR_2) is None  # another director
    assert steps.acting_role(org, step, CAO) is None
    assert steps.acting_role(org, step, ADMIN) == "admin"
    assert steps.approvers(org, step) == [DIRECTOR]


def test_a_role_step_is_anyone_with_one_of_its_roles(org: Organization) -> None:
    step = request_with([("communications", "director")], director=None, kind=Kind.SHARE).steps[0]
    assert steps.acting_role(org, step, COMMS) == "communications"
    assert steps.acting_role(org, step, DIRECTOR_2) == "director"
    assert steps.acting_role(org, step, EMPLOYEE) is None
    assert steps.describe(step) == "Communications or a director"


def test_a_step_nobody_holds_reminds_the_admins(org: Organization) -> None:
    step = request_with([("moderator",)], director=None).steps[0]
    bare = replace(org, roles={"admin": (ADMIN,)})
    assert steps.approvers(bare, step) == [ADMIN]


def test_candidate_content_replaces_the_configured_steps_with_the_cao(org: Organization) -> None:
    assert steps.plan(org, Kind.SHARE, to_cao=True) == [("cao",)]
    assert steps.plan(org, Kind.SHARE, to_cao=False) == [("communications", "director")]


# ----- fields and checks


def test_access_answers_become_a_time_frame(org: Organization) -> None:
    answers = read_answers(Kind.ACCESS, dict(ACCESS), today=TODAY, org=org, requester=EMPLOYEE)
    assert (answers.starts_on, answers.ends_on, answers.director) == (TODAY, date(2026, 11, 20), DIRECTOR)
    assert answers.details["platform"] == "Facebook, Instagram"


@pytest.mark.parametrize(
    "link",
    ["https://town.ca", "HTTP://Town.CA/a?b=c#d", "https://a.b/" + "x" * 1900],
)
def test_web_links_are_accepted(link: str) -> None:
    assert read_link(link, "b") == link


def test_a_link_without_its_scheme_is_read_as_https() -> None:
    assert read_link("www.pool.ca/events", "b") == "https://www.pool.ca/events"


@pytest.mark.parametrize(
    "link",
    [
        "pool-schedule",
        "javascript:alert(1)",
        "javascript:a.b",
        "a@b.c/x",
        "https://localhost/x",
        "https://town .ca",
        "https://[::1",
        "mailto:a@b.c",
        "https://" + "a." * 1000 + " ",
    ],
)
def test_anything_else_is_not_a_link(link: str) -> None:
    with pytest.raises(InvalidInput, match=r"not a web link|longer than") as error:
        read_link(link, Ids.LINK)
    assert error.value.field == Ids.LINK


def share(**changes: str) -> dict[str, str]:
    answers = {
        "event_date": "2026-12-19",
        "organiser": "community_group",
        "fundraiser": "no",
        "candidate": "no",
    }
    return {**answers, "exception": "community_event", **changes}


@pytest.mark.parametrize(
    ("details", "found"),
    [
        (share(), []),
        (share(event_date="2026-12-01"), []),  # exactly two weeks ahead
        (share(event_date="2026-11-30"), ["short_notice"]),
        (share(fundraiser="yes", organiser="charity"), []),
        (share(fundraiser="yes", organiser="individual"), ["individual_fundraiser"]),
        (share(exception="other"), ["exception_other"]),
        (share(candidate="yes"), ["candidate"]),
    ],
)
def test_share_checks(details: dict[str, str], found: list[str]) -> None:
    assert checks.checks_for(Kind.SHARE, details, today=TODAY, election_period=None) == found


def test_candidate_content_in_the_election_period_says_so() -> None:
    period = (date(2026, 9, 1), date(2026, 10, 19))
    found = checks.checks_for(
        Kind.SHARE,
        share(candidate="yes", event_date="2026-10-10"),
        today=date(2026, 9, 2),
        election_period=period,
    )
    assert found == ["candidate", "election_period"]
    assert checks.goes_to_cao(found)


def test_photo_and_access_checks() -> None:
    assert checks.checks_for(
        Kind.PHOTO, {"emergency": "yes", "consent": "not_all"}, today=TODAY, election_period=None
    ) == ["emergency_scene", "no_consent"]
    assert checks.checks_for(Kind.ACCESS, {"training": "not_yet"}, today=TODAY, election_period=None) == [
        "training_not_done"
    ]
    [line] = checks.check_lines(["emergency_scene"])
    assert clauses.PHOTO_EMERGENCY.text in line and "Westlock 8.2" in line


def test_every_quoted_clause_is_the_policys_own_words() -> None:
    texts = []
    for path in SHIPPED_CLAUSES.glob("*.json"):
        texts += [clause["text"] for clause in json.loads(path.read_text())["clauses"]]
    for clause in clauses.ALL:
        assert any(clause.text in text for text in texts), clause.ref


# ----- dates


def test_one_business_day_is_the_length_of_the_town_s_day(org: Organization) -> None:
    assert timing.business_day_hours(org) == 8


@pytest.mark.parametrize(
    ("ends_on", "reminded"),
    [
        (date(2026, 11, 20), datetime(2026, 11, 19, 8, 30)),  # Friday → Thursday
        (date(2026, 11, 23), datetime(2026, 11, 20, 8, 30)),  # Monday → the Friday before
        (date(2026, 12, 26), datetime(2026, 12, 24, 8, 30)),  # Saturday; Friday is Christmas → Thursday
    ],
)
def test_the_expiry_reminder_comes_the_business_day_before(
    org: Organization, ends_on: date, reminded: datetime
) -> None:
    calendar = BusinessCalendar.for_organization(org)
    assert timing.reminder_moment(org, calendar, ends_on) == reminded.replace(
        tzinfo=ZoneInfo("America/Edmonton")
    )


# ----- ids and configuration


def test_every_action_and_callback_id_is_unique_across_domains() -> None:
    values = [item.value for enum in (Ids, FlagIds, PolicyIds) for item in enum if item.value != "value"]
    assert len(values) == len(set(values))
    assert all(item.value.startswith(("request_", "/request")) or item.value == "value" for item in Ids)


MINIMAL = """
[organization]
name = "Town"
timezone = "America/Edmonton"
holiday_region = "CA-AB"
[channels]
moderation = "C0MOD"
approvals = "C0APP"
[roles]
director = ["U0DIR0001"]
moderator = ["U0MOD0001"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organization.toml"
    path.write_text(text)
    return path


def test_a_file_without_requests_gets_the_policy_s_steps(tmp_path: Path) -> None:
    org = load_organization(write(tmp_path, MINIMAL))
    assert org.request_steps == DEFAULT_REQUEST_STEPS and org.election_period is None


def test_requests_steps_and_the_election_period_are_configurable(tmp_path: Path) -> None:
    text = (
        MINIMAL + '[requests]\naccess = ["director", ["cao", "communications"]]\nphoto = ["communications"]\n'
    )
    text += 'election_period = ["2026-09-01", 2026-10-19]\n'
    org = load_organization(write(tmp_path, text))
    assert org.request_steps["access"] == (("director",), ("cao", "communications"))
    assert org.request_steps["photo"] == (("communications",),)
    assert org.request_steps["share"] == DEFAULT_REQUEST_STEPS["share"]
    assert org.election_period == (date(2026, 9, 1), date(2026, 10, 19))


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ('approvers = ["cao"]', "[requests] approvers: is not a known key (access, share, account, photo, "),
        ('access = ["chief"]', "'chief' is not a role that approves"),
        ("access = []", "must be a list of one to five steps"),
        ('access = "cao"', "must be a list of one to five steps"),
        ('share = [["cao", 3]]', "3 is not a role that approves"),
        ('election_period = ["2026-10-19", "2026-09-01"]', "must not be before the first"),
        ('election_period = ["soon"]', "must be two dates"),
        ('election_period = ["2026-09-01", "someday"]', "must be two dates"),
    ],
)
def test_a_bad_requests_section_is_named_in_plain_words(tmp_path: Path, section: str, words: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_organization(write(tmp_path, MINIMAL + "[requests]\n" + section + "\n"))
    assert words in str(error.value)


def test_the_manifest_s_usage_hint_lists_the_four_kinds() -> None:
    manifest = (ROOT / "slack-manifest.yml").read_text()
    block = manifest[manifest.index("- command: /request") :].split("- command:", 2)[1]
    hint = next(line for line in block.splitlines() if "usage_hint" in line)
    assert all(kind.value in hint for kind in Kind)


@pytest.mark.parametrize(("training", "warned"), [("done", False), ("not_yet", True)])
def test_it_is_told_not_to_give_access_before_the_training(training: str, warned: bool) -> None:
    request = request_with([("director",), ("cao",)])
    request.details = {"platform": "Facebook", "training": training}
    request.starts_on, request.ends_on = date(2026, 11, 17), date(2026, 11, 20)
    task = RequestTask(id=1, request_id=7, kind=TaskKind.PROVISION)
    _text, blocks = task_card(task, request)
    assert ("Do not give the access until Communications confirms the training" in str(blocks)) is warned
