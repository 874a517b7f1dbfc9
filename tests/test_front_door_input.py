"""What users type, through the signed HTTP path: no text stalls the bot, a link shows the host a browser
opens, odd ids and characters get plain answers, a replayed request counts once (issue 8, items 4, 6, 12)."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from bot.flags import urls
from bot.flags.ids import FlagIds
from bot.flags.intake import clean_note
from bot.flags.models import Flag, FlagReport
from bot.policy.models import PolicyQuestion
from bot.policy.service import check_question
from bot.slack.testkit import payloads
from handlers import flags as flag_handlers
from handlers import policy as policy_handlers
from tests.conftest import EMPLOYEE, MODERATOR
from tests.harness import BotClient

MODERATION = "C0MODERATE"

# ----- item 4: every regular expression that sees user text is linear, and its input is bounded

SHAPES = [
    "<ftp://a",
    "<http://a|",
    "<http://a",
    "<https://a|b",
    "<javascript:/",
    "<",
    "<@U",
    "<a",
    "http://a<",
    "a.",
    "www.",
    "&amp;",
    "a" * 7 + " ",
]
MEGABYTE = 1_000_000


def adversarial(shape: str, size: int) -> str:
    return (shape * (size // len(shape) + 1))[:size]


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    with contextlib.suppress(Exception):  # a refusal in plain words is fine: only the time is measured
        work()
    return time.perf_counter() - started


REGEXES: dict[str, re.Pattern[str]] = {
    "URL_IN_TEXT": urls.URL_IN_TEXT,
    "SLACK_MARKUP": flag_handlers.SLACK_MARKUP,
    "MENTION": policy_handlers.MENTION,
    "DOMAIN_LIKE": urls.DOMAIN_LIKE,
    "SCHEME": urls.SCHEME,
}


@pytest.mark.parametrize("shape", SHAPES)
def test_the_regexes_that_see_user_text_are_linear(shape: str) -> None:
    """Unbounded, on 250,000 characters: quadratic ones took 6 s on 32,000."""
    text = adversarial(shape, 250_000)
    for name, regex in REGEXES.items():
        assert seconds(lambda r=regex: r.sub("", text)) < 1.0, name


@pytest.mark.parametrize("shape", SHAPES)
def test_a_megabyte_of_each_shape_is_handled_in_well_under_a_second(shape: str) -> None:
    text = adversarial(shape, MEGABYTE)
    readers: dict[str, Callable[[], object]] = {
        "find_url": lambda: urls.find_url(text),
        "looks_like_link": lambda: urls.looks_like_link(text),
        "validate_url": lambda: urls.validate_url(text),
        "message to note": lambda: flag_handlers._message_to_note(text),
        "note": lambda: clean_note(text),
        "mention": lambda: policy_handlers.MENTION.sub("", text),
        "question": lambda: check_question(text),
    }
    for name, read in readers.items():
        assert seconds(read) < 0.3, name


# Through the endpoint the budget is Slack's 3 s, less room for a busy test machine (it took 6.5 s and more).
HTTP_BUDGET = 2.0


def test_a_flag_of_4000_unclosed_links_is_answered_at_once(bot: BotClient) -> None:
    result = bot.command("/flag", "<ftp://a" * 4000, EMPLOYEE)
    assert result.status == 200 and result.seconds < HTTP_BUDGET
    bot.wait()
    assert bot.slack.of("chat.postMessage") == []


def test_the_message_shortcut_on_a_huge_message_opens_the_form_in_time(bot: BotClient) -> None:
    body = payloads.message_shortcut(
        FlagIds.MESSAGE_SHORTCUT, EMPLOYEE, "<@U" * 120_000, response_url=bot.slack.response_url("s")
    )
    result = bot.send(body)
    assert result.status == 200 and result.seconds < HTTP_BUDGET
    [opened] = bot.slack.of("views.open")
    assert len(json.dumps(opened["view"])) < 20_000


# ----- item 6: the card shows the host a browser opens


@pytest.mark.parametrize(
    ("link", "opens"),
    [
        (
            "https://evil.example\\@www.facebook.com/town/posts/1",
            "https://evil.example/@www.facebook.com/town/posts/1",
        ),
        ("https://www.facebook.com@evil.example/town", "https://evil.example/town"),
        ("https:\\\\evil.example/town", "https://evil.example/town"),
        ("https:/\\evil.example\\town", "https://evil.example/town"),
        ("https://www.facebook%2Ecom/town", "https://www.facebook.com/town"),
        ("https://WWW.Facebook.COM:443/town?a=\\b", "https://www.facebook.com/town?a=\\b"),
        ("https://0x7f.1/x", "https://127.0.0.1/x"),
        ("https://fаcebook.com/x", "https://xn--fcebook-2fg.com/x"),  # a Cyrillic "а"
        ("www.town.ca:443/news", "https://www.town.ca/news"),
    ],
)
def test_links_are_read_the_way_browsers_read_them(link: str, opens: str) -> None:
    assert urls.validate_url(link) == opens


@pytest.mark.parametrize(
    "link",
    [
        "https://a.b%2F.c/",
        "https://town.ca:99999/",
        "https://1.2.3.4.5/",
        "https://[::1]/",
        "https://a..b:x/",
    ],
)
def test_links_a_browser_would_not_open_are_refused(link: str) -> None:
    with pytest.raises(urls.InvalidInput):
        urls.validate_url(link)


def test_a_link_that_says_facebook_and_opens_elsewhere_shows_where_it_opens(bot: BotClient) -> None:
    result = bot.command(
        "/flag", "https://evil.example\\@www.facebook.com/town/posts/1 is this ours?", EMPLOYEE
    )
    assert "F-1" in result.text
    [card] = bot.slack.messages_to(MODERATION)
    where = next(
        f["text"] for b in card.blocks for f in b.get("fields", []) if f["text"].startswith("*Where*")
    )
    assert (
        where == "*Where*\n<https://evil.example/@www.facebook.com/town/posts/1|Other website · evil.example>"
    )
    assert "Facebook" not in card.all_text()
    assert bot.query(lambda s: s.get(Flag, 1)).platform == "Other website"


# ----- item 12: ids out of range, characters no database keeps, replays


@pytest.mark.parametrize("value", ["flag-2147483648-v1", "flag-²-v1", "flag-0-v1", "flag-99999999999-v1"])
def test_an_id_out_of_range_is_a_stale_button_not_an_error(bot: BotClient, value: str) -> None:
    bot.click(FlagIds.CLAIM, value, MODERATOR)
    text = bot.slack.responses[-1]["text"]
    assert "no longer points at anything" in text and "error id" not in text


def test_an_id_out_of_range_in_a_select_is_a_stale_button_too(bot: BotClient) -> None:
    element = {
        "action_id": FlagIds.SET_PRIORITY,
        "block_id": "flag_edit:flag-2147483648-v1",
        "type": "static_select",
        "selected_option": {"value": "council", "text": {"type": "plain_text", "text": "Council"}},
    }
    bot.send(payloads.block_actions(element, MODERATOR, response_url=bot.slack.response_url("sel")))
    assert "no longer points at anything" in bot.slack.responses[-1]["text"]


def test_a_nul_in_a_note_is_dropped_and_the_note_kept(bot: BotClient) -> None:
    result = bot.command(
        "/flag", "https://www.facebook.com/town/posts/5 when does\x00 the pool open?", EMPLOYEE
    )
    assert "F-1" in result.text and "error id" not in result.text
    assert bot.query(lambda s: s.scalar(select(FlagReport.note))) == "when does the pool open?"


def test_a_nul_in_a_policy_question_is_dropped_and_the_question_answered(bot: BotClient) -> None:
    result = bot.command("/policy", "how often do we change\x00 the password", EMPLOYEE)
    assert "Taber 1.03(f)" in json.dumps(result.json())
    assert (
        bot.query(lambda s: s.scalar(select(PolicyQuestion.question)))
        == "how often do we change the password"
    )


def test_a_lone_surrogate_in_a_dm_is_replaced_and_the_question_answered(bot: BotClient) -> None:
    bot.event(payloads.direct_message(EMPLOYEE, "how often do we change the password \ud83d"))
    [answer] = bot.slack.dms_to(EMPLOYEE)
    assert "Taber 1.03(f)" in answer.all_text()
    stored = bot.query(lambda s: s.scalar(select(PolicyQuestion.question)))
    assert stored == "how often do we change the password \ufffd"


def test_what_slack_escaped_is_stored_as_typed_and_shown_escaped_once(bot: BotClient) -> None:
    """Slack sends `&`, `<`, `>` typed into a command or a DM as `&amp;`, `&lt;`, `&gt;` (the harness does too)."""
    post = "https://www.facebook.com/town/posts/9?a=1&b=2"
    bot.command("/flag", f"{post} Q&A <!channel> says the pool is <closed>", EMPLOYEE)
    report = bot.query(lambda s: s.scalar(select(FlagReport)))
    assert report.note == "Q&A <!channel> says the pool is <closed>"
    assert bot.query(lambda s: s.scalar(select(Flag.url))).endswith("?a=1&b=2")
    bot.wait()
    card = bot.slack.messages_to("C0MODERATE")[-1].all_text()
    assert "Q&amp;A &lt;!channel&gt; says the pool is &lt;closed&gt;" in card and "&amp;amp;" not in card
    bot.event(payloads.direct_message(EMPLOYEE, "passwords & logins: how often <do we> change them?"))
    [answer] = bot.slack.dms_to(EMPLOYEE)
    assert "passwords &amp; logins" in answer.all_text() and "&amp;amp;" not in answer.all_text()
    reply = bot.command("/oncall", "cover <b>dana</b> 2026-11-21 2026-11-22", MODERATOR).text
    assert "“&lt;b&gt;dana&lt;/b&gt;” is not a person" in reply


def test_a_replayed_signed_flag_adds_nothing(bot: BotClient) -> None:
    body, content_type = payloads.slash_command(
        "/flag",
        "https://www.facebook.com/town/posts/9 is this true?",
        EMPLOYEE,
        response_url=bot.slack.response_url("cmd"),
    )
    stamp = int(time.time())
    first = bot.post(body, content_type, timestamp=stamp)
    again = bot.post(body, content_type, timestamp=stamp)
    bot.wait()
    assert "F-1" in first.text and again.status == 200 and "F-1" not in again.text
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(FlagReport))) == 1
    assert len(bot.slack.messages_to(MODERATION)) == 1
    # The same words sent again by Slack (a new request, a new signature) are a +1 as before.
    bot.command("/flag", "https://www.facebook.com/town/posts/9 is this true?", EMPLOYEE)
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(FlagReport))) == 2


def test_a_command_whose_text_says_payload_is_read_as_a_command(bot: BotClient) -> None:
    """Bolt reads any form body containing the word "payload" as an interactive payload, and finds none."""
    result = bot.command(
        "/flag", "https://www.facebook.com/town/posts/3 the payload of this post is false", EMPLOYEE
    )
    assert result.status == 200 and "F-1" in result.text
