"""Simultaneous clicks and policy decisions, through the signed HTTP path on both databases: one card and one
vote however many clicks, each audience told once per flag and kind, one rule for Release and Resolve
(issue 8, items 10 and 11)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from bot.flags.ids import FlagIds
from bot.flags.models import Flag, Kind, Status
from bot.policy.ids import PolicyIds
from bot.policy.models import PolicyFeedback
from tests.conftest import ADMIN, CAO, COMMS, EMPLOYEE, IT, MODERATOR, MODERATOR_2
from tests.harness import BotClient

MODERATION = "C0MODERATE"
POST = "https://www.facebook.com/town/posts/1"


def all_at_once(count: int, click: Callable[[], Any]) -> None:
    """`count` clicks released together, as several browser tabs or a double-click send them."""
    barrier = threading.Barrier(count)

    def one() -> None:
        barrier.wait()
        click()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def count(bot: BotClient, model: type) -> int:
    return int(bot.query(lambda s: s.scalar(select(func.count()).select_from(model))))


# ----- item 10: simultaneous clicks


def test_three_simultaneous_sends_to_communications_make_one_card(bot: BotClient) -> None:
    answer = bot.command("/policy", "how many vacation days do I get", EMPLOYEE).json()
    all_at_once(3, lambda: bot.press(PolicyIds.SEND_TO_COMMUNICATIONS, EMPLOYEE, answer, wait=False))
    bot.wait()
    assert count(bot, Flag) == 1
    assert len(bot.slack.messages_to(MODERATION)) == 1
    said = [response["text"] for response in bot.slack.responses]
    assert len(said) == 3 and all("Sent to Communications as *F-1*" in text for text in said), said


def test_simultaneous_helpful_clicks_make_one_vote(bot: BotClient) -> None:
    answer = bot.command("/policy", "how often do we change the social media password", EMPLOYEE).json()
    all_at_once(6, lambda: bot.press(PolicyIds.HELPFUL, EMPLOYEE, answer, wait=False))
    bot.wait()
    assert count(bot, PolicyFeedback) == 1
    said = [response["text"] for response in bot.slack.responses]
    assert said == ["Thanks, noted as helpful."] * 6, said


# ----- item 11: each audience told once per flag and kind


def dms(bot: BotClient, user: str) -> list[str]:
    return [call["text"] for call in bot.slack.dms_to(user)]


def test_toggling_the_kind_tells_each_audience_once(bot: BotClient) -> None:
    bot.command("/flag", f"{POST} our account was hacked, we did not post this", EMPLOYEE)
    assert bot.query(lambda s: s.get(Flag, 1)).kind == Kind.COMPROMISED
    for kind in ["question", "compromised"] * 5:
        bot.press(FlagIds.SET_KIND, MODERATOR, selected_option=kind)
    assert bot.query(lambda s: s.get(Flag, 1)).kind == Kind.COMPROMISED
    for person in (CAO, IT, COMMS):
        told = [text for text in dms(bot, person) if "Possible compromised town account" in text]
        assert len(told) == 1, (person, told)


def test_a_new_kind_tells_its_own_audience_under_its_own_clause(bot: BotClient) -> None:
    bot.command("/flag", f"{POST} our account was hacked", EMPLOYEE)
    bot.press(FlagIds.SET_KIND, MODERATOR, selected_option="election")
    bot.press(FlagIds.SET_KIND, MODERATOR, selected_option="compromised")
    bot.press(FlagIds.SET_KIND, MODERATOR, selected_option="election")
    told = dms(bot, CAO)
    assert sum("Taber 1.06(c)" in text for text in told) == 1
    assert sum("Taber 1.04(p)" in text for text in told) == 1


# ----- item 11: one rule for Release and Resolve


def test_only_the_owner_or_an_admin_may_release_or_resolve_a_claimed_flag(bot: BotClient) -> None:
    bot.command("/flag", f"{POST} when does the pool open?", EMPLOYEE)
    bot.press(FlagIds.CLAIM, MODERATOR)
    card = bot.slack.of("chat.update")[-1]
    assert "only they (or an admin) can release or resolve it" in card.all_text()
    rule = f"F-1 is claimed by <@{MODERATOR}>; only they (or an admin) can release or resolve it."

    bot.press(FlagIds.RELEASE, MODERATOR_2, card)
    assert bot.slack.responses[-1]["text"] == rule
    bot.press(FlagIds.RESOLVE, MODERATOR_2, card)
    assert bot.slack.responses[-1]["text"] == rule and bot.slack.of("views.open") == []

    bot.press(FlagIds.RESOLVE, MODERATOR, card)  # the owner opens the form…
    view = bot.last_view()
    refused = bot.submit(view, {FlagIds.OUTCOME_BLOCK: "answered"}, MODERATOR_2).json()  # …another submits it
    assert rule in str(refused)
    assert bot.query(lambda s: s.get(Flag, 1)).status == Status.CLAIMED

    bot.submit(view, {FlagIds.OUTCOME_BLOCK: "answered"}, ADMIN)
    flag = bot.query(lambda s: s.get(Flag, 1))
    assert (flag.status, flag.resolved_by) == (Status.RESOLVED, ADMIN)


def test_any_moderator_may_resolve_an_open_flag(bot: BotClient) -> None:
    bot.command("/flag", f"{POST} when does the pool open?", EMPLOYEE)
    bot.press(FlagIds.RESOLVE, MODERATOR_2)
    bot.submit(bot.last_view(), {FlagIds.OUTCOME_BLOCK: "answered"}, MODERATOR_2)
    assert bot.query(lambda s: s.get(Flag, 1)).status == Status.RESOLVED
