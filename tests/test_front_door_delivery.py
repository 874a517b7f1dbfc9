"""Cards and messages on their way to Slack, through the signed HTTP path: a post whose outcome is unknown is
looked for before it is made again, a card deleted in Slack comes back, and what Slack will never take is set
aside where people see it (issue 8, items 7, 8 and 9; the kill-and-restart test is in
test_front_door_crash.py)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot import due
from bot.delivery import SlackCard
from bot.flags.ids import FlagIds
from bot.slack.testkit import payloads
from tests.conftest import ADMIN, EMPLOYEE, MODERATOR
from tests.harness import BotClient

MODERATION = "C0MODERATE"
POST = "https://www.facebook.com/town/posts/1"


def card_row(bot: BotClient) -> SlackCard:
    return bot.query(lambda s: s.scalar(select(SlackCard)))


def posted(bot: BotClient, channel: str = MODERATION) -> list[dict]:
    """The cards "Slack" holds in the channel, whatever the bot heard back (reminders aside)."""
    return [message for message in bot.slack.channel_messages(channel) if "metadata" in message]


# ----- item 7: a post whose outcome is unknown is found, not made twice


def test_a_post_slack_made_but_answered_500_is_found_not_posted_again(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", status=500, done=True)
    assert "F-1" in bot.command("/flag", f"{POST} is this true?", EMPLOYEE).text
    [message] = posted(bot)
    row = card_row(bot)
    assert row.ts is None and row.last_error.startswith("unconfirmed")
    bot.tick(minutes=1)
    assert posted(bot) == [message]
    assert bot.slack.of("conversations.history")
    assert card_row(bot).ts == message["ts"]
    bot.press(
        FlagIds.CLAIM, MODERATOR, {"channel": MODERATION, "ts": message["ts"], "blocks": message["blocks"]}
    )
    assert bot.slack.of("chat.update")[-1]["ts"] == message["ts"] and len(posted(bot)) == 1


def test_a_claim_that_died_after_the_post_is_found_when_its_lease_runs_out(bot: BotClient, mocker) -> None:
    """The process "dies" between Slack's answer and the commit: the row keeps its lease, nothing records
    the ts. (The real SIGKILL is in test_front_door_crash.py.)"""
    real_complete = due.complete

    def dies_recording_a_card(session, model, *args, **kwargs):  # other work (the filing's job) goes on
        if model is SlackCard:
            raise RuntimeError("the process died here")
        return real_complete(session, model, *args, **kwargs)

    died = mocker.patch("bot.delivery.due.complete", side_effect=dies_recording_a_card)
    bot.command("/flag", f"{POST} is this true?", EMPLOYEE)
    [message] = posted(bot)
    assert card_row(bot).ts is None and died.called
    died.side_effect = real_complete
    bot.tick(seconds=30)  # the lease still holds: nothing happens
    assert len(posted(bot)) == 1 and card_row(bot).ts is None
    bot.tick(seconds=45)  # it ran out: the card is looked for, found and recorded
    assert posted(bot) == [message] and card_row(bot).ts == message["ts"]


def test_a_card_never_posted_is_posted_after_the_look(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", status=500)  # failed before Slack did anything
    bot.command("/flag", f"{POST} is this true?", EMPLOYEE)
    assert posted(bot) == []
    bot.tick(minutes=1)
    [message] = posted(bot)
    assert card_row(bot).ts == message["ts"] and card_row(bot).last_error is None


def test_cards_carry_metadata_that_names_them(bot: BotClient) -> None:
    bot.command("/flag", f"{POST} is this true?", EMPLOYEE)
    [message] = posted(bot)
    assert message["metadata"] == {
        "event_type": "flagpost_card",
        "event_payload": {"card": "1", "item": "flag-1"},
    }


# ----- item 8: a card deleted in Slack comes back


def test_a_card_deleted_in_slack_is_posted_afresh_and_the_loss_recorded(bot: BotClient) -> None:
    bot.command("/flag", f"{POST} is this true?", EMPLOYEE)
    [first] = posted(bot)
    bot.slack.delete_message(MODERATION, first["ts"])  # a moderator deleted the card
    bot.press(FlagIds.CLAIM, MODERATOR, {"channel": MODERATION, "ts": first["ts"], "blocks": first["blocks"]})
    [fresh] = posted(bot)
    assert fresh["ts"] != first["ts"] and f"Claimed* by <@{MODERATOR}>" in json.dumps(fresh["blocks"])
    row = card_row(bot)
    assert (row.ts, row.replaced_ts, row.due_at) == (fresh["ts"], first["ts"], None)
    assert row.replaced_at == bot.rt.clock.now()
    bot.press(
        FlagIds.RELEASE, MODERATOR, {"channel": MODERATION, "ts": fresh["ts"], "blocks": fresh["blocks"]}
    )
    assert len(posted(bot)) == 1 and bot.slack.of("chat.update")[-1]["ts"] == fresh["ts"]


# ----- item 9: Slack's limits after escaping; what Slack refuses for good is a visible dead letter


def section_texts(blocks: list[dict]) -> list[str]:
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
    return texts + [f["text"] for b in blocks for f in b.get("fields", [])]


def test_a_note_that_escaping_grows_past_the_limit_still_makes_a_card(bot: BotClient) -> None:
    bot.command("/flag", f"{POST} " + "&" * 900 + " <" * 500, EMPLOYEE)
    [card] = bot.slack.messages_to(MODERATION)  # the stand-in refuses what Slack would
    assert max(len(text) for text in section_texts(card.blocks)) <= 3000
    assert "&amp;" in card.all_text()


def test_a_1990_character_link_keeps_the_card_within_limits_and_linked(bot: BotClient) -> None:
    long_link = "https://www.facebook.com/town/posts/1?fbclid=" + "x" * 1945
    assert len(long_link) == 1990
    bot.command("/flag", f"{long_link} is this true?", EMPLOYEE)
    [card] = bot.slack.messages_to(MODERATION)
    where = next(text for text in section_texts(card.blocks) if text.startswith("*Where*"))
    assert len(where) <= 2000 and "<https://facebook.com/town/posts/1|Facebook · www.facebook.com>" in where


def test_app_home_stays_within_limits_after_many_long_links(bot: BotClient) -> None:
    for n in range(20):
        bot.command(
            "/flag", f"https://www.facebook.com/town/posts/{n}?fbclid={'y' * 1900} pool &&&& <{n}>", EMPLOYEE
        )
    bot.event(payloads.app_home_opened(MODERATOR))
    [home] = bot.slack.of("views.publish")
    view = json.loads(home["view"]) if isinstance(home["view"], str) else home["view"]
    assert max(len(text) for text in section_texts(view["blocks"])) <= 3000
    assert "*F-20*" in home.all_text() and "*F-1*" in home.all_text()


def test_invalid_blocks_is_a_dead_letter_listed_and_shown_not_retried_forever(
    bot: BotClient, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot import deadletters

    bot.slack.fail_next("chat.postMessage", error="invalid_blocks")
    bot.command("/flag", f"{POST} is this true?", EMPLOYEE)
    row = card_row(bot)
    assert (row.due_at, row.last_error, row.ts) == (None, "invalid_blocks", None)
    for _ in range(3):
        bot.tick(hours=2)
    card_posts = [call for call in bot.slack.attempts("chat.postMessage") if call.get("metadata")]
    assert len(card_posts) == 1  # set aside, not retried (a deadline reminder may be posted meanwhile)
    args = type("Args", (), {"action": "list"})()
    assert deadletters.cmd_deliveries(bot.rt.settings, args) == 1
    assert "card flag-1 #1 to C0MODERATE: invalid_blocks" in capsys.readouterr().out
    bot.event(payloads.app_home_opened(ADMIN))
    assert "Slack refused these" in bot.slack.of("views.publish")[-1].all_text()
    bot.event(payloads.app_home_opened(EMPLOYEE))
    assert "Slack refused these" not in bot.slack.of("views.publish")[-1].all_text()
    args.action = "retry"
    assert deadletters.cmd_deliveries(bot.rt.settings, args) == 0
    bot.rt.clock.set(max(bot.rt.clock.now(), card_row(bot).due_at))  # type: ignore[attr-defined]  # the CLI's clock is real
    bot.tick()
    assert len(posted(bot)) == 1 and card_row(bot).last_error is None
    args.action = "list"
    assert deadletters.cmd_deliveries(bot.rt.settings, args) == 0


def test_a_dead_letter_card_comes_back_at_its_next_change(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", error="invalid_blocks")
    bot.command("/flag", f"{POST} is this true?", EMPLOYEE)
    bot.command("/flag", f"{POST} me too", MODERATOR)  # a +1 changes the card
    [card] = posted(bot)
    assert f"<@{MODERATOR}>" in json.dumps(card["blocks"])


def test_a_bad_token_is_not_a_dead_letter(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", error="token_revoked")
    bot.command("/flag", f"{POST} is this true?", EMPLOYEE)
    row = card_row(bot)
    assert row.due_at is not None and row.last_error == "token_revoked"  # retried once the token is fixed
    bot.tick(minutes=1)
    assert len(posted(bot)) == 1
