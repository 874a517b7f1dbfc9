"""Flags end to end: signed requests in, what reached the Slack stand-in out, on both databases."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.audit import AuditEvent
from bot.delivery import SlackCard
from bot.flags.ids import FlagIds
from bot.flags.models import Flag, FlagReport, Status
from tests.conftest import ADMIN, CAO, COMMS, DIRECTOR, EMPLOYEE, EMPLOYEE_2, IT, MODERATOR, MODERATOR_2
from tests.harness import BotClient

MODERATION = "C0MODERATE"
POST = "https://www.facebook.com/prairiecrossing/posts/123"


def cards(bot: BotClient) -> list:
    return bot.slack.messages_to(MODERATION)


def flag_row(bot: BotClient, flag_id: int = 1) -> Flag:
    return bot.query(lambda s: s.get(Flag, flag_id))


def audit_actions(bot: BotClient, flag_id: int = 1) -> list[str]:
    return bot.query(
        lambda s: list(
            s.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.item_type == "flag", AuditEvent.item_id == flag_id)
                .order_by(AuditEvent.id)
            )
        )
    )


def file(bot: BotClient, text: str = f"{POST} Someone asks when the pool reopens?", user: str = EMPLOYEE):
    return bot.command("/flag", text, user)


def last_response(bot: BotClient) -> str:
    assert bot.slack.responses, "nothing was said to the user"
    return str(bot.slack.responses[-1].get("text"))


# ----- intake


def test_fast_path_files_at_once_and_posts_one_card(bot: BotClient) -> None:
    result = file(bot)
    assert result.status == 200
    assert "F-1" in result.text and "Taber 1.04(i)" in result.text
    assert "deadline" in result.text
    [card] = cards(bot)
    text = card.all_text()
    assert "F-1 · Public question" in text
    assert "Facebook" in text and f"<@{EMPLOYEE}>" in text
    assert "Open" in text
    actions = [
        element["action_id"]
        for block in card.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert {FlagIds.CLAIM, FlagIds.RESOLVE, FlagIds.ESCALATE} <= set(actions)
    flag = flag_row(bot)
    assert flag.status == Status.OPEN and flag.kind == "question" and flag.kind_guessed
    assert audit_actions(bot) == ["filed"]
    card_row = bot.query(lambda s: s.scalar(select(SlackCard)))
    assert card_row.ts == card.response["ts"] and card_row.due_at is None


def test_bare_flag_opens_the_form_and_the_form_files(bot: BotClient) -> None:
    assert bot.command("/flag", "", EMPLOYEE).status == 200
    view = bot.last_view()
    assert view["callback_id"] == FlagIds.INTAKE_MODAL
    result = bot.submit(
        view,
        {
            FlagIds.URL_BLOCK: "https://x.com/someone/status/42",
            FlagIds.KIND_BLOCK: "misinformation",
            FlagIds.PRIORITY_BLOCK: "council",
            FlagIds.NOTE_BLOCK: "Says council raised taxes 40%, it was 2%",
        },
        EMPLOYEE,
    )
    assert result.status == 200
    answer = result.json()
    assert answer["response_action"] == "update"
    assert "F-1" in json.dumps(answer["view"])
    flag = flag_row(bot)
    assert (flag.kind, flag.priority, flag.platform, flag.kind_guessed) == (
        "misinformation",
        "council",
        "X/Twitter",
        False,
    )
    assert len(cards(bot)) == 1


def test_a_link_without_a_note_opens_the_form_with_the_link(bot: BotClient) -> None:
    bot.command("/flag", "<https://www.instagram.com/p/abc/>", EMPLOYEE)
    view = bot.last_view()
    url_block = next(b for b in view["blocks"] if b.get("block_id") == FlagIds.URL_BLOCK)
    assert url_block["element"]["initial_value"] == "https://www.instagram.com/p/abc/"
    assert cards(bot) == []


def test_a_note_without_a_link_opens_the_form_with_the_note(bot: BotClient) -> None:
    bot.command("/flag", "people are asking about the boil water advisory", EMPLOYEE)
    view = bot.last_view()
    note = next(b for b in view["blocks"] if b.get("block_id") == FlagIds.NOTE_BLOCK)
    assert note["element"]["initial_value"] == "people are asking about the boil water advisory"
    assert cards(bot) == []


def test_message_shortcut_prefills_the_form_from_the_message(bot: BotClient) -> None:
    bot.message_shortcut(
        FlagIds.MESSAGE_SHORTCUT,
        EMPLOYEE,
        "Look at this <https://www.reddit.com/r/alberta/comments/xyz|thread> about the arena",
    )
    view = bot.last_view()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert (
        blocks[FlagIds.URL_BLOCK]["element"]["initial_value"]
        == "https://www.reddit.com/r/alberta/comments/xyz"
    )
    assert "thread about the arena" in blocks[FlagIds.NOTE_BLOCK]["element"]["initial_value"]
    result = bot.submit(
        view,
        {
            FlagIds.URL_BLOCK: "https://www.reddit.com/r/alberta/comments/xyz",
            FlagIds.KIND_BLOCK: "question",
            FlagIds.PRIORITY_BLOCK: "program",
            FlagIds.NOTE_BLOCK: "thread about the arena",
        },
        EMPLOYEE,
    )
    assert result.json()["response_action"] == "update"
    assert bot.query(lambda s: s.scalar(select(FlagReport.source))) == "shortcut"
    assert "Reddit" in cards(bot)[0].all_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("htp//facebook hello there", "not a web link"),
        ("https://nodot hello", "not a web link"),
        ("javascript:alert(1) click me", "Only web links"),
        ("file:///etc/passwd look", "Only web links"),
        ("ftp://town.ca/file see this", "Only web links"),
        (f"{POST} " + "x" * 3001, "under 3,000"),
    ],
)
def test_bad_input_on_the_fast_path_gets_plain_words(bot: BotClient, text: str, expected: str) -> None:
    result = bot.command("/flag", text, EMPLOYEE)
    assert result.status == 200
    assert expected in result.text
    assert "Traceback" not in result.body
    assert cards(bot) == [] and bot.query(lambda s: s.scalar(select(Flag))) is None


@pytest.mark.parametrize(
    ("values", "field", "expected"),
    [
        (
            {FlagIds.URL_BLOCK: "https://facebook.com/p/1", FlagIds.NOTE_BLOCK: "   \n  "},
            FlagIds.NOTE_BLOCK,
            "add a short note",
        ),
        (
            {FlagIds.URL_BLOCK: "https://facebook.com/p/1", FlagIds.NOTE_BLOCK: ""},
            FlagIds.NOTE_BLOCK,
            "add a short note",
        ),
        (
            {FlagIds.URL_BLOCK: "javascript:alert(1)", FlagIds.NOTE_BLOCK: "x"},
            FlagIds.URL_BLOCK,
            "Only web links",
        ),
        ({FlagIds.URL_BLOCK: "   ", FlagIds.NOTE_BLOCK: "hello"}, FlagIds.URL_BLOCK, "paste the link"),
    ],
)
def test_bad_input_in_the_form_marks_the_field(
    bot: BotClient, values: dict, field: str, expected: str
) -> None:
    bot.command("/flag", "", EMPLOYEE)
    result = bot.submit(
        bot.last_view(), {FlagIds.KIND_BLOCK: "question", FlagIds.PRIORITY_BLOCK: "other", **values}, EMPLOYEE
    )
    answer = result.json()
    assert answer["response_action"] == "errors"
    assert expected in answer["errors"][field]
    assert cards(bot) == []


def test_help_explains_the_command(bot: BotClient) -> None:
    assert "/flag https://" in bot.command("/flag", "help", EMPLOYEE).text


# ----- duplicates


def test_the_same_post_reported_twice_is_one_item_with_two_reporters(bot: BotClient) -> None:
    file(
        bot,
        "https://m.facebook.com/prairiecrossing/posts/123/?fbclid=abc&utm_source=x#comments "
        "Is the pool open on Sunday?",
        EMPLOYEE,
    )
    result = file(
        bot, "http://facebook.com/prairiecrossing/posts/123 asked again in another group", EMPLOYEE_2
    )
    assert "already flagged as *F-1*" in result.text
    assert len(cards(bot)) == 1
    updates = bot.slack.of("chat.update")
    assert updates and updates[-1]["ts"] == cards(bot)[0].response["ts"]
    latest = updates[-1].all_text()
    assert f"<@{EMPLOYEE}>, <@{EMPLOYEE_2}>  (+1)" in latest
    assert "asked again in another group" in latest
    assert audit_actions(bot) == ["filed", "reported_again"]


def test_a_resolved_post_reported_again_opens_a_new_item(bot: BotClient) -> None:
    file(bot)
    bot.press(FlagIds.RESOLVE, MODERATOR)
    bot.submit(bot.last_view(), {FlagIds.OUTCOME_BLOCK: "answered"}, MODERATOR)
    result = file(bot, f"{POST} they are asking again", EMPLOYEE_2)
    assert "F-2" in result.text
    assert len(cards(bot)) == 2


def test_a_similar_note_on_another_link_is_pointed_out(bot: BotClient) -> None:
    file(
        bot, "https://www.facebook.com/groups/1/posts/1 Residents say the water is unsafe to drink this week"
    )
    file(
        bot,
        "https://x.com/someone/status/9 residents say the water is unsafe to drink this week!",
        EMPLOYEE_2,
    )
    assert len(cards(bot)) == 2
    assert "Looks like F-1" in cards(bot)[1].all_text()


# ----- who may act


@pytest.mark.parametrize("action", [FlagIds.CLAIM, FlagIds.RELEASE, FlagIds.RESOLVE, FlagIds.ESCALATE])
def test_only_moderators_may_act_on_a_card(bot: BotClient, action: str) -> None:
    file(bot)
    before = bot.slack.calls[:]
    result = bot.click(action, "flag-1-v1", EMPLOYEE)  # any button, forged or not, is checked the same way
    assert result.status == 200 and result.seconds < 1  # acknowledged at once, refusal sent after
    assert "Only the town's authorized social-media moderators" in last_response(bot)
    assert bot.slack.responses[-1].get("response_type") == "ephemeral"
    assert flag_row(bot).status == Status.OPEN and flag_row(bot).escalated_at is None
    assert [c.method for c in bot.slack.calls[len(before) :]] == []  # no card update, no modal, no DM


def test_a_forged_button_value_is_still_checked(bot: BotClient) -> None:
    file(bot)
    for forged in (
        "1",
        "1' OR 1=1",
        "flag-1-v1 ",
        "request-1-v1",
        "flag-0-v1",
        "flag-2147483648-v1",
        "flag-²-v1",
    ):
        bot.click(FlagIds.CLAIM, forged, MODERATOR)
        assert "no longer points at anything" in last_response(bot), forged
    bot.click(FlagIds.CLAIM, "flag-999-v1", MODERATOR)
    assert "There is no flag F-999" in last_response(bot)
    assert flag_row(bot).status == Status.OPEN


def test_claim_updates_the_card_and_tells_the_reporter(bot: BotClient) -> None:
    file(bot)
    bot.press(FlagIds.CLAIM, MODERATOR)
    assert flag_row(bot).assignee == MODERATOR
    card = bot.slack.of("chat.update")[-1].all_text()
    assert f"*Claimed* by <@{MODERATOR}>" in card
    [dm] = bot.slack.dms_to(EMPLOYEE)
    assert "is handling your flag F-1" in dm["text"]
    bot.press(FlagIds.CLAIM, MODERATOR_2)
    assert f"already claimed by <@{MODERATOR}>" in last_response(bot)


def test_release_returns_the_item_to_the_board(bot: BotClient) -> None:
    file(bot)
    bot.press(FlagIds.CLAIM, MODERATOR)
    bot.press(FlagIds.RELEASE, MODERATOR_2)
    assert "only they (or an admin) can release or resolve it" in last_response(bot)
    bot.press(FlagIds.RELEASE, MODERATOR)
    flag = flag_row(bot)
    assert flag.status == Status.OPEN and flag.assignee is None
    assert "nobody has claimed it yet" in bot.slack.of("chat.update")[-1].all_text()
    bot.press(FlagIds.CLAIM, MODERATOR_2)
    bot.press(FlagIds.RELEASE, ADMIN)
    assert flag_row(bot).status == Status.OPEN
    assert audit_actions(bot) == ["filed", "claimed", "released", "claimed", "released"]


def test_resolve_asks_the_outcome_and_tells_the_reporters(bot: BotClient) -> None:
    file(bot)
    file(bot, f"{POST} me too", EMPLOYEE_2)
    bot.press(FlagIds.RESOLVE, MODERATOR)
    view = bot.last_view()
    assert view["callback_id"] == FlagIds.RESOLVE_MODAL
    missing = bot.submit(view, {}, MODERATOR).json()
    assert missing["response_action"] == "errors" and FlagIds.OUTCOME_BLOCK in missing["errors"]
    result = bot.submit(
        view,
        {
            FlagIds.OUTCOME_BLOCK: "answered",
            FlagIds.RESOLUTION_NOTE_BLOCK: "Replied with the pool schedule <!here>",
        },
        MODERATOR,
    )
    assert result.status == 200
    flag = flag_row(bot)
    assert (flag.status, flag.outcome, flag.resolved_by) == (Status.RESOLVED, "answered", MODERATOR)
    card = bot.slack.of("chat.update")[-1]
    assert (
        "*Resolved* by" in card.all_text()
        and "Answered publicly with facts (Taber 1.04(f))" in card.all_text()
    )
    assert not [b for b in card.blocks if b["type"] == "actions"]
    for reporter in (EMPLOYEE, EMPLOYEE_2):
        [dm] = bot.slack.dms_to(reporter)
        assert "resolved" in dm["text"] and "Answered publicly with facts" in dm["text"]
        assert "&lt;!here&gt;" in dm["text"] and "<!here>" not in dm["text"]
    resolved = bot.query(lambda s: s.scalar(select(AuditEvent).where(AuditEvent.action == "resolved")))
    assert resolved.details["clause"] == "Taber 1.04(f)"
    bot.press(FlagIds.RESOLVE, MODERATOR)
    assert "already resolved" in last_response(bot)


def test_resolving_by_a_non_moderator_in_a_forged_form_is_refused(bot: BotClient) -> None:
    file(bot)
    bot.press(FlagIds.RESOLVE, MODERATOR)
    result = bot.submit(bot.last_view(), {FlagIds.OUTCOME_BLOCK: "no_action"}, EMPLOYEE)
    assert "Only the town's authorized social-media moderators" in json.dumps(result.json())
    assert flag_row(bot).status == Status.OPEN


def test_escalate_tells_the_directors_and_the_cao(bot: BotClient) -> None:
    file(bot)
    bot.press(FlagIds.ESCALATE, MODERATOR)
    assert "escalated F-1 to you" in bot.slack.dms_to(DIRECTOR)[0]["text"]
    assert "escalated F-1 to you" in bot.slack.dms_to(CAO)[0]["text"]
    card = bot.slack.of("chat.update")[-1]
    assert f"escalated by <@{MODERATOR}>" in card.all_text()
    assert FlagIds.ESCALATE not in json.dumps(card.blocks)
    bot.press(FlagIds.ESCALATE, MODERATOR_2)
    assert "already escalated" in last_response(bot)


def test_the_kind_and_priority_guesses_can_be_corrected_on_the_card(bot: BotClient) -> None:
    file(bot)
    bot.press(FlagIds.SET_PRIORITY, MODERATOR, selected_option="emergency")
    bot.press(FlagIds.SET_KIND, EMPLOYEE, selected_option="election")  # the reporter may correct it
    bot.press(FlagIds.SET_KIND, EMPLOYEE_2, selected_option="abusive")  # a stranger may not
    assert "Only the town's authorized" in last_response(bot)
    flag = flag_row(bot)
    assert (flag.kind, flag.priority, flag.kind_guessed) == ("election", "emergency", False)
    assert "Election or candidate content" in bot.slack.dms_to(CAO)[0]["text"]
    assert audit_actions(bot) == ["filed", "priority_changed", "kind_changed", "routed"]


# ----- special routing


@pytest.mark.parametrize(
    ("note", "people", "clause"),
    [
        ("Our Facebook page was hacked, it is posting crypto ads", [CAO, IT, COMMS], "Taber 1.06(c)"),
        ("A candidate asked us to share their campaign platform", [CAO], "Taber 1.04(p)"),
        ("This article says the false claim that the town sold the arena", [DIRECTOR], "Taber 1.04(o)"),
    ],
)
def test_special_kinds_reach_the_roles_the_policy_names(
    bot: BotClient, note: str, people: list, clause: str
) -> None:
    result = file(bot, f"https://www.cbc.ca/news/canada/story-1 {note}")
    assert clause in result.text
    for person in people:
        [dm] = bot.slack.dms_to(person)
        assert clause in dm["text"] and "F-1" in dm["text"]
    assert len(cards(bot)) == 1


def test_routing_happens_after_hours_too(bot: BotClient) -> None:
    bot.rt.clock.set(bot.rt.clock.now().replace(hour=3))  # type: ignore[attr-defined]
    file(bot, f"{POST} the town account is hacked and posting spam")
    assert bot.slack.dms_to(CAO) and bot.slack.dms_to(IT)


# ----- never lose a flag, never let one inject


def test_a_flag_survives_slack_failing_and_is_posted_once_later(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", status=500)  # a post is never retried at once: it may have gone
    result = file(bot)
    assert "F-1" in result.text
    assert cards(bot) == []
    card_row = bot.query(lambda s: s.scalar(select(SlackCard)))
    assert card_row.ts is None and card_row.attempts == 1 and card_row.due_at > bot.rt.clock.now()
    assert bot.rt.delivery.deliver_due() == 0  # not due yet
    bot.rt.clock.advance(minutes=1)  # type: ignore[attr-defined]
    assert bot.rt.delivery.deliver_due() == 1
    assert bot.rt.delivery.deliver_due() == 0
    assert len(cards(bot)) == 1
    bot.press(FlagIds.CLAIM, MODERATOR)
    assert len(cards(bot)) == 1 and bot.slack.of("chat.update")


def test_rate_limits_are_waited_out(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", status=429, retry_after=0)
    file(bot)
    assert len(cards(bot)) == 1
    assert [c.status for c in bot.slack.attempts("chat.postMessage")] == [429, 200]


def test_a_dropped_connection_is_retried(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", disconnect=True)
    file(bot)
    assert cards(bot) == []
    bot.rt.clock.advance(minutes=5)  # type: ignore[attr-defined]
    bot.rt.delivery.deliver_due()
    assert len(cards(bot)) == 1


def test_failed_dms_are_retried_until_sent(bot: BotClient) -> None:
    file(bot)
    bot.slack.fail_next("conversations.open", error="ratelimited")
    bot.press(FlagIds.CLAIM, MODERATOR)
    assert bot.slack.dms_to(EMPLOYEE) == []
    bot.rt.clock.advance(hours=1)  # type: ignore[attr-defined]
    bot.rt.delivery.deliver_due()
    assert len(bot.slack.dms_to(EMPLOYEE)) == 1
    bot.rt.delivery.deliver_due()
    assert len(bot.slack.dms_to(EMPLOYEE)) == 1


def test_user_text_is_escaped_everywhere_it_reaches_slack(bot: BotClient) -> None:
    evil = "<!channel> <!here> <@U0CAO0001> <http://evil.example|town.ca> & more"
    file(bot, f"{POST} {evil}")
    file(bot, f"https://facebook.com/x/posts/2 hacked account {evil}", EMPLOYEE_2)
    texts = [t for t in bot.slack.iter_texts()]
    joined = "\n".join(texts)
    for dangerous in ("<!channel>", "<!here>", "<http://evil.example|town.ca>"):
        assert dangerous not in joined
    assert "&lt;!channel&gt;" in joined and "&amp; more" in joined


def test_a_url_cannot_smuggle_a_link_label(bot: BotClient) -> None:
    assert "F-1" in file(bot, "https://evil.example/a|town.ca> hello").text
    [card] = cards(bot)
    assert "<https://evil.example/a|Other website · evil.example>" in card.all_text()
    assert "|town.ca>" not in "\n".join(bot.slack.iter_texts())


# ----- the race


def test_two_moderators_claiming_at_once_exactly_one_wins(bot: BotClient) -> None:
    file(bot)
    [card] = cards(bot)
    barrier = threading.Barrier(2)
    results = {}

    def click(user: str) -> None:
        barrier.wait()
        results[user] = bot.press(FlagIds.CLAIM, user, card, wait=False)

    threads = [threading.Thread(target=click, args=(user,)) for user in (MODERATOR, MODERATOR_2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bot.wait()
    flag = flag_row(bot)
    assert flag.status == Status.CLAIMED and flag.assignee in (MODERATOR, MODERATOR_2)
    loser = MODERATOR_2 if flag.assignee == MODERATOR else MODERATOR
    refusals = [r.get("text") for r in bot.slack.responses]
    assert refusals == [f"F-1 is already claimed by <@{flag.assignee}>."], (loser, refusals)
    assert audit_actions(bot) == ["filed", "claimed"]


def test_the_deadline_is_eight_business_hours_later(bot: BotClient) -> None:
    friday_3pm = bot.rt.clock.now().replace(day=20, hour=22)  # 15:00 in Edmonton (UTC-7)
    bot.rt.clock.set(friday_3pm)  # type: ignore[attr-defined]
    file(bot)
    deadline = flag_row(bot).deadline_at
    assert deadline - friday_3pm == timedelta(days=3)  # 1.5 h on Friday, 6.5 h on Monday: Monday 15:00


def test_an_unexpected_error_gives_an_error_id_that_is_in_the_log(
    bot: BotClient, mocker, caplog: pytest.LogCaptureFixture
) -> None:
    file(bot)
    mocker.patch("bot.flags.service.get_flag", side_effect=RuntimeError("database exploded"))
    result = bot.press(FlagIds.CLAIM, MODERATOR)
    assert result.status == 200
    reply = last_response(bot)
    assert "database exploded" not in reply and "Traceback" not in reply
    error_id = reply.split("error id: ")[1].rstrip(".")
    assert any(error_id in record.getMessage() and record.exc_info for record in caplog.records)


def test_an_unexpected_error_on_the_fast_path_answers_in_the_command_reply(bot: BotClient, mocker) -> None:
    mocker.patch("bot.flags.intake.guess_kind", side_effect=RuntimeError("boom"))
    result = file(bot)
    assert result.status == 200 and "error id" in result.text
    assert bot.query(lambda s: s.scalar(select(Flag))) is None


def test_user_text_echoed_in_an_error_is_escaped(bot: BotClient) -> None:
    reply = bot.command("/flag", "htp//<!here>&co hello", EMPLOYEE).text
    assert "not a web link" in reply
    assert "<!here>" not in reply and "&lt;!here&gt;&amp;co" in reply
    file(bot)
    bot.press(FlagIds.SET_KIND, MODERATOR, selected_option="<!channel>")
    refusal = last_response(bot)
    assert "is not a kind of flag" in refusal and "<!channel>" not in refusal


def test_the_work_after_the_answer_is_durable_and_retried(bot: BotClient, mocker) -> None:
    """The reporter is answered once the report is stored; the rest (audit, routing, the card) is a job. If
    that job fails right after the answer, it is still due, and the scheduler does it, once."""
    from bot.due import TimedJob
    from bot.flags import jobs

    real_route = jobs.route
    failing = mocker.patch("bot.flags.jobs.route", side_effect=RuntimeError("the directory is down"))
    answer = file(bot, f"{POST} the false claim that the town sold the arena")
    assert "F-1" in answer.text and "the directors" in answer.text  # routing is named before it happens
    assert failing.called and cards(bot) == [] and bot.slack.dms_to(DIRECTOR) == []
    assert audit_actions(bot) == []  # rolled back with the job, nothing half-done
    [job] = bot.query(lambda s: s.scalars(select(TimedJob).where(TimedJob.kind == "flags.intake")).all())
    assert job.due_at is not None and job.done_at is None
    failing.side_effect = real_route
    bot.tick()
    assert len(cards(bot)) == 1 and len(bot.slack.dms_to(DIRECTOR)) == 1
    assert audit_actions(bot).count("filed") == 1
    bot.tick(minutes=1)
    assert len(cards(bot)) == 1 and len(bot.slack.dms_to(DIRECTOR)) == 1
