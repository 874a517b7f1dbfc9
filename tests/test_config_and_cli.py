"""The organisation file and the settings, as an installer meets them: every mistake in one sentence that
names the file, the key and the reason (and, for a typo, the name that was meant)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import config
from bot.config import load_organization, load_settings
from bot.errors import ConfigError
from tests.commands import ORG_FILE

GOOD = ORG_FILE.read_text()
# Only the keys DESIGN.md lists: this file must always work.
MINIMAL = """
[organization]
name = "Town of Minimal"
timezone = "America/Regina"
holiday_region = "CA-SK"

[channels]
moderation = "C0MOD"

[roles]
moderator = ["U0MOD0001"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organization.toml"
    path.write_text(text)
    return path


def refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as error:
        load_organization(write(tmp_path, text))
    assert str(tmp_path / "organization.toml") in error.value.message
    assert "\n" not in error.value.message
    return error.value.message


def test_the_shipped_demo_file_is_valid() -> None:
    org = load_organization(ORG_FILE)
    assert org.name == "Town of Prairie Crossing" and org.holiday_region == "CA-AB"
    assert org.has_role("U0MOD0001", "moderator") and not org.has_role("U0EMP0001", "moderator")
    assert org.flag_deadline_business_hours == 8 and org.clause_directory is None


def test_a_file_with_only_the_keys_design_lists_works(tmp_path: Path) -> None:
    org = load_organization(write(tmp_path, MINIMAL))
    assert org.name == "Town of Minimal" and org.channels == {"moderation": "C0MOD"}
    assert org.flag_deadline_business_hours == 8 and org.hours.weekdays == (0, 1, 2, 3, 4)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            'moderator = ["U0MOD0001", "U0MOD0002"]',
            'moderator = ["U0MOD0001", "bob"]',
            "[roles] moderator: 'bob' is not a Slack user id",
        ),
        (
            'admin = ["U0ADM0001"]',
            'wizard = ["U0ADM0001"]',
            "[roles] wizard: is not a known role (moderator,",
        ),
        (
            'timezone = "America/Edmonton"',
            'timezone = "Mars/Olympus"',
            "[organization] timezone: 'Mars/Olympus'",
        ),
        (
            'holiday_region = "CA-AB"',
            'holiday_region = "CA-XX"',
            "holiday_region: 'CA-XX' is not a known region",
        ),
        ('holiday_region = "CA-AB"', 'holiday_region = "ZZ"', "unknown country 'ZZ'"),
        (
            'holiday_region = "CA-AB"',
            'holiday_region = "Alberta"',
            "'Alberta' is not a region like \"CA-AB\"",
        ),
        (
            'moderation = "C0MODERATE"',
            'moderation = "#moderation"',
            "[channels] moderation: '#moderation' is not",
        ),
        ("ack_minutes = 15", 'ack_minutes = "soon"', "[oncall] ack_minutes"),
        ('start = "08:30"', 'start = "8.30am"', "[hours] start"),
        (
            'rotation = ["U0COM0001", "U0MOD0001"]',
            'rotation = "U0COM0001"',
            "[oncall] rotation: must be a list",
        ),
    ],
)
def test_a_bad_organisation_file_names_the_file_the_key_and_the_reason(
    tmp_path: Path, old: str, new: str, words: str
) -> None:
    assert old in GOOD
    assert words in refusal(tmp_path, GOOD.replace(old, new, 1))


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        # The default of 8 hours would otherwise apply without a word.
        (
            "deadline_business_hours = 8",
            "deadline_busines_hours = 4",
            "[flags] deadline_busines_hours: is not a known key: did you mean deadline_business_hours?",
        ),
        ("[roles]", "[role]", "[role]: is not a known section: did you mean [roles]?"),
        (
            "[organization]",
            "[organisation]",
            "[organisation]: is not a known section: did you mean [organization]?",
        ),
        (
            "moderator = [",
            "moderators = [",
            "[roles] moderators: is not a known role: did you mean moderator?",
        ),
        ("[hours]\n", "[hours]\nstrat = '08:00'\n", "[hours] strat: is not a known key: did you mean start?"),
        (
            "[flags]\n",
            "[flags.escalation]\nafter = 2\n[flags]\n",
            "[flags] escalation: is not a known key (deadline_business_hours)",
        ),
        ("[oncall]", "[weather]\n[oncall]", "[weather]: is not a known section ("),
    ],
)
def test_a_typo_is_reported_with_the_name_that_was_meant(
    tmp_path: Path, old: str, new: str, words: str
) -> None:
    assert old in GOOD
    assert words in refusal(tmp_path, GOOD.replace(old, new, 1))


def test_nobody_to_act_on_a_card_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace('moderator = ["U0MOD0001", "U0MOD0002"]', "").replace('admin = ["U0ADM0001"]', "")
    assert "[roles]: list at least one moderator or admin" in refusal(tmp_path, text)
    only_admin = GOOD.replace('moderator = ["U0MOD0001", "U0MOD0002"]', "")
    assert load_organization(write(tmp_path, only_admin)).users_with_role("moderator", "admin") == [
        "U0ADM0001"
    ]


def test_adding_an_optional_section_is_one_entry_in_the_table(tmp_path: Path, monkeypatch) -> None:
    """How a new domain's sections join (as [requests], [calendar] and [[accounts]] did): one line in
    config.SECTIONS, plus a read_<section> function."""
    extra = '\n[records]\nkeep_days = 365\n\n[[archives]]\nplatform = "facebook"\nowner = "U0COM0001"\n'
    assert "[records]: is not a known section" in refusal(tmp_path, GOOD + extra)
    monkeypatch.setitem(config.SECTIONS, "records", ("keep_days",))
    monkeypatch.setitem(config.SECTIONS, "archives", ("platform", "owner", "handle"))
    assert load_organization(write(tmp_path, GOOD + extra)).name == "Town of Prairie Crossing"
    typo = extra.replace("owner =", "ownr =")
    assert "[archives] ownr: is not a known key: did you mean owner?" in refusal(tmp_path, GOOD + typo)
    monkeypatch.setitem(
        config.SECTIONS, "oncall", {"rotation": None, "ack_minutes": None, "escalation": ("after",)}
    )
    nested = GOOD + "\n[oncall.escalation]\naftr = 30\n"
    assert "[oncall.escalation] aftr: is not a known key: did you mean after?" in refusal(tmp_path, nested)


def test_the_organisations_own_clause_folder_is_relative_to_the_file(tmp_path: Path) -> None:
    text = GOOD.replace("[policy]\n", '[policy]\nclause_directory = "our-policies"\n')
    assert load_organization(write(tmp_path, text)).clause_directory == tmp_path / "our-policies"


def test_commands_that_need_no_calendar_skip_the_holidays_library(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('"CA-AB"', '"CA-XX"'))
    assert load_organization(path, check_holidays=False).holiday_region == "CA-XX"
    with pytest.raises(ConfigError, match="not a known region"):
        load_organization(path)


def test_broken_toml_and_missing_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_organization(write(tmp_path, "[organization\nname="))
    with pytest.raises(ConfigError, match="does not exist"):
        load_organization(tmp_path / "nope.toml")


def test_settings_read_the_environment_with_defaults() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert settings.database_url == "sqlite:///flagpost.db" and settings.port == 3000
    assert settings.slack_api_url == "http://127.0.0.1:9/api/" and settings.log_level == "INFO"
    assert settings.missing_for_run() == ["SLACK_SIGNING_SECRET"] and settings.policies_dir is None
    assert load_settings({"SLACK_BOT_TOKEN": "x", "SLACK_APP_TOKEN": "xapp"}).socket_mode
    assert load_settings({"FLAGPOST_POLICIES": "/etc/flagpost/policies"}).policies_dir == Path(
        "/etc/flagpost/policies"
    )
    assert load_settings({"LOG_LEVEL": "debug"}).log_level == "DEBUG"
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({"PORT": "http"})
    with pytest.raises(ConfigError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'loud'"):
        load_settings({"LOG_LEVEL": "loud"})


@pytest.mark.parametrize(
    ("env", "words"),
    [
        (
            {"SLACK_BOT_TOKEN": "xoxb-your-bot-token", "SLACK_SIGNING_SECRET": "s"},
            "SLACK_BOT_TOKEN is still the example",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "your-signing-secret"},
            "SLACK_SIGNING_SECRET is still",
        ),
        ({"SLACK_BOT_TOKEN": "xoxp-user-token", "SLACK_SIGNING_SECRET": "s"}, "starts with xoxb-"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-1"},
            "SLACK_APP_TOKEN must be an app-level token",
        ),
    ],
)
def test_placeholder_and_wrong_kind_tokens_are_named(env: dict[str, str], words: str) -> None:
    problems = load_settings(env).token_problems()
    assert len(problems) == 1 and words in problems[0]


def test_real_looking_tokens_have_no_problems() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_APP_TOKEN": "xapp-1-A0-2-def"})
    assert settings.token_problems() == []


def test_host_is_an_address_to_listen_on_and_tokens_lose_stray_spaces() -> None:
    assert load_settings({}).host == "0.0.0.0"
    assert load_settings({"HOST": "127.0.0.1"}).host == "127.0.0.1"
    with pytest.raises(ConfigError, match=r"HOST must be an IP address to listen on, like 127\.0\.0\.1"):
        load_settings({"HOST": "localhost:3000"})
    settings = load_settings({"SLACK_BOT_TOKEN": " xoxb-1\n", "SLACK_APP_TOKEN": "xapp-1 "})
    assert (settings.bot_token, settings.app_token, settings.token_problems()) == ("xoxb-1", "xapp-1", [])
