"""Password rotation (Taber 1.03(f)) end to end, and the optional organization.toml keys for the calendar, on
call and accounts: a file with only the keys in DESIGN.md keeps working, and every mistake is named."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.accounts.ids import AccountIds
from bot.accounts.models import Account
from bot.config import Organization, PasswordAccount, load_organization
from bot.errors import ConfigError
from tests.conftest import COMMS, EMPLOYEE, IT, MODERATOR, ORG_FILE
from tests.harness import BotClient
from tests.oncall_helpers import at, audit_of, local

GOOD = ORG_FILE.read_text()
EXTRAS = """
[calendar]
closures = ["2026-12-24", "2026-12-29 to 2026-12-31", 2027-01-02]

[[calendar.seasons]]
name = "Summer hours"
from = "07-01"
to = "08-31"
start = "08:00"
end = "15:00"
weekdays = ["mon", "tue", "wed", "thu"]

[[accounts]]
name = "Town Facebook page"
holders = ["U0COM0001", "U0MOD0001"]
last_changed = 2026-10-01

[[accounts]]
name = "Town Instagram"
holders = ["U0COM0001"]
"""
ONCALL_EXTRAS = """handover_day = "fri"
handover_time = "17:00"
rotation_start = "2026-11-20"
escalation = ["U0DIR0001", "U0CAO0001"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organization.toml"
    path.write_text(text)
    return path


def with_extras(text: str = EXTRAS, oncall: str = ONCALL_EXTRAS) -> str:
    return GOOD.replace("ack_minutes = 15", "ack_minutes = 15\n" + oncall, 1) + text


def test_the_optional_keys_are_read(tmp_path: Path) -> None:
    org = load_organization(write(tmp_path, with_extras()))
    assert org.closures == (
        (date(2026, 12, 24), date(2026, 12, 24)),
        (date(2026, 12, 29), date(2026, 12, 31)),
        (date(2027, 1, 2), date(2027, 1, 2)),
    )
    [summer] = org.seasons
    assert (summer.first, summer.last, summer.hours.start, summer.hours.weekdays) == (
        (7, 1),
        (8, 31),
        time(8),
        (0, 1, 2, 3),
    )
    assert org.oncall_handover == (4, time(17, 0)) and org.oncall_rotation_start == date(2026, 11, 20)
    assert org.oncall_escalation == ("U0DIR0001", "U0CAO0001")
    assert [account.name for account in org.accounts] == ["Town Facebook page", "Town Instagram"]
    assert org.accounts[0].last_changed == date(2026, 10, 1) and org.accounts[1].last_changed is None


def test_the_shipped_file_has_none_of_them_and_gets_the_defaults() -> None:
    org = load_organization(ORG_FILE)
    assert (org.closures, org.seasons, org.accounts, org.oncall_escalation) == ((), (), (), None)
    assert org.oncall_handover == (0, time(8, 30))


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('"2026-12-24",', '"24/12/2026",', "[calendar] closures: '24/12/2026' is not a date"),
        ('"2026-12-29 to 2026-12-31"', '"2026-12-31 to 2026-12-29"', "ends before it begins"),
        ('from = "07-01"', 'from = "07-32"', "[calendar.seasons] from: '07-32' is not a month and day"),
        ('end = "15:00"', 'end = "07:00"', "[calendar.seasons] end: must be later than start"),
        ('holders = ["U0COM0001"]', "holders = []", "needs at least one password holder"),
        ('name = "Town Instagram"', 'name = "Town Facebook page"', "must be unique"),
        ('handover_day = "fri"', 'handover_day = "someday"', "[oncall] handover_day"),
        ('handover_time = "17:00"', 'handover_time = "5pm"', "[oncall] handover_time"),
        ('escalation = ["U0DIR0001", "U0CAO0001"]', 'escalation = ["the CAO"]', "[oncall] escalation"),
        ("[calendar]", "[calendar]\nholidays = 3", "[calendar] holidays: is not a known key"),
    ],
)
def test_mistakes_in_the_optional_keys_name_the_key(tmp_path: Path, old: str, new: str, words: str) -> None:
    assert old in EXTRAS + ONCALL_EXTRAS  # changed there only (the shipped file has commented examples)
    text = with_extras(EXTRAS.replace(old, new, 1), ONCALL_EXTRAS.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        load_organization(write(tmp_path, text))
    assert words in error.value.message


# ----- password rotation, end to end


@pytest.fixture
def org(org: Organization) -> Organization:
    return replace(
        org,
        accounts=(
            PasswordAccount("Town Facebook page", (COMMS, MODERATOR), date(2026, 10, 1)),
            PasswordAccount("Town <Instagram> & co", (COMMS,)),
        ),
    )


def reminders_to(bot: BotClient, user: str, account: str = "") -> list:
    return [
        call
        for call in bot.slack.dms_to(user)
        if "Time to change the password" in call["text"] and account in call["text"]
    ]


def test_holders_are_reminded_sixty_days_after_the_last_change_and_changed_it_records_the_date(
    bot: BotClient,
) -> None:
    bot.tick()  # Tuesday 17 November: the Facebook password was changed 1 October, so it is 47 days old
    assert reminders_to(bot, COMMS) == []
    at(bot, local(2026, 11, 30, 9, 0))  # 60 days after 1 October 09:00
    bot.tick()
    assert len(reminders_to(bot, COMMS)) == 1 and len(reminders_to(bot, MODERATOR)) == 1
    reminder = reminders_to(bot, MODERATOR)[0]
    assert "Town Facebook page" in reminder.all_text() and "Taber 1.03(f)" in reminder.all_text()
    bot.press(AccountIds.CHANGED, EMPLOYEE, reminder)  # not a holder
    assert "Only the password holders" in str(bot.slack.responses[-1].get("text"))
    bot.press(AccountIds.CHANGED, MODERATOR, reminder)
    row = bot.query(lambda s: s.scalar(select(Account).where(Account.name == "Town Facebook page")))
    assert row.last_changed_at == local(2026, 11, 30, 9, 0) and row.changed_by == MODERATOR
    assert "recorded that the password" in bot.slack.dms_to(COMMS)[-1]["text"]
    assert ("password_changed", MODERATOR) in audit_of(bot, "account")
    bot.tick(days=59)
    assert len(reminders_to(bot, COMMS, "Facebook")) == 1  # the next one is 60 days after the recorded change
    bot.tick(days=1)
    bot.tick()
    assert len(reminders_to(bot, MODERATOR, "Facebook")) == 2


def test_an_account_without_a_known_change_counts_from_when_flagpost_first_saw_it(bot: BotClient) -> None:
    bot.tick()
    at(bot, local(2027, 1, 18, 10, 0))  # 62 days later
    bot.tick()
    instagram = [call for call in reminders_to(bot, COMMS) if "Instagram" in call["text"]]
    assert len(instagram) == 1
    assert "&lt;Instagram&gt; &amp; co" in instagram[0].all_text()  # the name is escaped
    bot.press(AccountIds.CHANGED, IT, instagram[0])  # IT may record it too
    assert ("password_changed", IT) in audit_of(bot, "account")


def test_no_accounts_means_no_reminders(bot: BotClient) -> None:
    bot.rt.org = replace(bot.rt.org, accounts=())
    bot.tick()
    at(bot, local(2027, 6, 1, 10, 0))
    bot.tick()
    assert reminders_to(bot, COMMS) == [] and bot.query(lambda s: s.scalar(select(Account))) is None
