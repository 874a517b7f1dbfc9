"""Policy answers end to end: /policy, DMs, mentions, feedback and the path to Communications."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.flags.models import Flag, Kind
from bot.policy.ids import PolicyIds
from bot.policy.models import PolicyExemplar, PolicyFeedback, PolicyQuestion
from handlers.policy import library
from tests.conftest import EMPLOYEE, EMPLOYEE_2
from tests.harness import BotClient

PASSWORD_QUESTION = "how often do we change the social media password"


def actions_of(blocks: list) -> dict[str, str]:
    return {
        element["action_id"]: element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def test_policy_command_quotes_the_clause_with_document_and_number(bot: BotClient) -> None:
    result = bot.command("/policy", PASSWORD_QUESTION, EMPLOYEE)
    answer = result.json()
    assert answer["response_type"] == "ephemeral"
    body = json.dumps(answer["blocks"])
    assert "*Taber 1.03(f)*" in body
    assert "change their login passwords to said platforms every 60 days" in body
    assert "Also relevant" in body
    buttons = actions_of(answer["blocks"])
    assert set(buttons) == {PolicyIds.HELPFUL, PolicyIds.NOT_HELPFUL}
    row = bot.query(lambda s: s.scalar(select(PolicyQuestion)))
    assert row.confident and row.source == "command" and row.asked_by == EMPLOYEE
    assert row.shown[0] == {
        "document": "taber-adm-7-procedure",
        "clause": "1.03(f)",
        "score": row.shown[0]["score"],
    }
    assert buttons[PolicyIds.HELPFUL] == f"policy_question-{row.id}"


def test_a_question_outside_the_policies_is_refused_with_a_human_path(bot: BotClient) -> None:
    answer = bot.command("/policy", "how many vacation days do I get", EMPLOYEE).json()
    body = json.dumps(answer["blocks"])
    assert "don't have a confident answer" in body
    assert "Taber" not in body and "Westlock" not in body  # no irrelevant citation
    assert not bot.query(lambda s: s.scalar(select(PolicyQuestion))).confident

    bot.press(PolicyIds.SEND_TO_COMMUNICATIONS, EMPLOYEE_2, answer)
    assert "Only the person who asked" in bot.slack.responses[-1]["text"]
    bot.press(PolicyIds.SEND_TO_COMMUNICATIONS, EMPLOYEE, answer)
    assert "Sent to Communications as *F-1*" in bot.slack.responses[-1]["text"]
    flag = bot.query(lambda s: s.get(Flag, 1))
    assert flag.kind == Kind.STAFF_QUESTION and flag.url is None and flag.created_by == EMPLOYEE
    [card] = bot.slack.messages_to("C0MODERATE")
    assert "Staff policy question" in card.all_text() and "vacation days" in card.all_text()

    bot.press(PolicyIds.SEND_TO_COMMUNICATIONS, EMPLOYEE, answer)  # a second click: the same item
    assert "F-1" in bot.slack.responses[-1]["text"]
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(Flag))) == 1
    assert len(bot.slack.messages_to("C0MODERATE")) == 1


def test_votes_are_stored_and_a_second_vote_replaces_the_first(bot: BotClient) -> None:
    answer = bot.command("/policy", PASSWORD_QUESTION, EMPLOYEE).json()
    bot.press(PolicyIds.HELPFUL, EMPLOYEE, answer)
    assert "noted as helpful" in bot.slack.responses[-1]["text"]
    bot.press(PolicyIds.NOT_HELPFUL, EMPLOYEE, answer)
    bot.press(PolicyIds.HELPFUL, EMPLOYEE_2, answer)
    votes = bot.query(lambda s: sorted((v.user, v.helpful) for v in s.scalars(select(PolicyFeedback))))
    assert votes == [(EMPLOYEE, False), (EMPLOYEE_2, True)]
    question = bot.query(lambda s: s.scalar(select(PolicyQuestion)))
    assert question.shown[0]["clause"] == "1.03(f)"  # the vote is stored with the clauses it judged


def test_a_helpful_vote_makes_the_question_an_exemplar_of_the_clause_shown(bot: BotClient) -> None:
    question = "when our page is hacked, who must hear about it first"
    answer = bot.command("/policy", question, EMPLOYEE).json()
    shown = bot.query(lambda s: s.scalar(select(PolicyQuestion))).shown[0]
    bot.press(PolicyIds.HELPFUL, EMPLOYEE, answer)
    bot.press(PolicyIds.HELPFUL, EMPLOYEE_2, answer)  # a second Helpful vote: still one exemplar
    rows = bot.query(
        lambda s: [(e.text, e.document_id, e.clause_number) for e in s.scalars(select(PolicyExemplar))]
    )
    assert rows == [(question, shown["document"], shown["clause"])]
    index = library(bot.rt).index
    assert (question, f"{shown['document']}#{shown['clause']}") in {
        (e.text, e.clause_key) for e in index.exemplars
    }

    bot.press(PolicyIds.NOT_HELPFUL, EMPLOYEE, answer)
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(PolicyExemplar))) == 1
    bot.press(PolicyIds.NOT_HELPFUL, EMPLOYEE_2, answer)  # no Helpful vote left: no exemplar
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(PolicyExemplar))) == 0
    assert question not in {e.text for e in library(bot.rt).index.exemplars}


def test_with_no_model_the_bot_answers_lexically_and_still_refuses(bot: BotClient) -> None:
    from bot.policy.service import PolicyLibrary

    bot.rt.state["policy"] = PolicyLibrary(bot.rt.sessions, bot.rt.org.own_documents, lexical=True)
    assert library(bot.rt).rebuild().mode == "lexical"
    body = json.dumps(bot.command("/policy", PASSWORD_QUESTION, EMPLOYEE).json()["blocks"])
    assert "*Taber 1.03(f)*" in body and "every 60 days" in body
    refused = json.dumps(bot.command("/policy", "how many vacation days do I get", EMPLOYEE).json()["blocks"])
    assert "don't have a confident answer" in refused and PolicyIds.SEND_TO_COMMUNICATIONS in refused


def test_a_slow_answer_is_acked_first_and_follows_through_response_url(bot: BotClient, monkeypatch) -> None:
    import threading

    import handlers.policy

    index = library(bot.rt)
    release, asked = threading.Event(), index.ask
    monkeypatch.setattr(handlers.policy, "ACK_BUDGET", 0.01)
    monkeypatch.setattr(index, "ask", lambda question: (release.wait(10), asked(question))[1])
    ack = bot.command("/policy", PASSWORD_QUESTION, EMPLOYEE, wait=False).json()
    assert "Looking that up" in ack["text"] and "blocks" not in ack
    release.set()
    bot.wait()
    [late] = bot.slack.responses
    assert "*Taber 1.03(f)*" in json.dumps(late.body["blocks"]) and late.body["replace_original"]


def test_the_owner_report_lists_refusals_and_unhelpful_answers(bot: BotClient) -> None:
    from bot.policy.service import owner_report

    bot.command("/policy", "where do I park at town hall", EMPLOYEE)
    helpful = bot.command("/policy", PASSWORD_QUESTION, EMPLOYEE).json()
    unhelpful = bot.command("/policy", "who approves photos before they go on the town page", EMPLOYEE).json()
    bot.press(PolicyIds.HELPFUL, EMPLOYEE, helpful)
    bot.press(PolicyIds.NOT_HELPFUL, EMPLOYEE_2, unhelpful)
    assert "flagpost policy report" in bot.slack.responses[-1]["text"]
    lines = bot.query(lambda s: owner_report(session=s))
    assert sorted((line.verdict, line.question) for line in lines) == [
        ("not helpful (1)", "who approves photos before they go on the town page"),
        ("refused", "where do I park at town hall"),
    ]


def test_a_direct_message_is_answered_in_the_dm_once(bot: BotClient) -> None:
    event = {
        "type": "message",
        "channel": "D0EMPLOYEE",
        "channel_type": "im",
        "user": EMPLOYEE,
        "text": "who approves photos before they go on the town page",
    }
    bot.event(event, event_id="Ev0DMQUESTION")
    bot.event(event, event_id="Ev0DMQUESTION", retry_num=1)
    [reply] = bot.slack.messages_to("D0EMPLOYEE")
    assert "Taber 1.04(d)" in reply.all_text()
    bot.event({**event, "bot_id": "B0OTHER", "text": "a bot's message"})
    bot.event({**event, "subtype": "message_changed", "text": "an edit"})
    assert len(bot.slack.messages_to("D0EMPLOYEE")) == 1


def test_a_dm_answer_that_slack_refuses_is_sent_later(bot: BotClient) -> None:
    bot.slack.fail_next("chat.postMessage", status=503)  # a post is not retried at once: it may have gone
    bot.event(
        {
            "type": "message",
            "channel": "D0EMPLOYEE",
            "channel_type": "im",
            "user": EMPLOYEE,
            "text": PASSWORD_QUESTION,
        }
    )
    assert bot.slack.messages_to("D0EMPLOYEE") == []
    bot.rt.clock.advance(minutes=1)  # type: ignore[attr-defined]
    bot.rt.delivery.deliver_due()
    [reply] = bot.slack.messages_to("D0EMPLOYEE")
    assert "Taber 1.03(f)" in reply.all_text()


def test_a_mention_is_answered_in_its_thread(bot: BotClient) -> None:
    bot.event(
        {
            "type": "app_mention",
            "channel": "C0GENERAL",
            "user": EMPLOYEE,
            "ts": "1700000000.000200",
            "text": "<@UFLAGPOST> can I put the town logo on my profile?",
        }
    )
    [reply] = bot.slack.messages_to("C0GENERAL")
    assert reply["thread_ts"] == "1700000000.000200"
    assert "logo" in reply.all_text().lower()


def test_bare_and_overlong_questions_get_plain_words(bot: BotClient) -> None:
    assert "/policy can I post photos" in bot.command("/policy", "", EMPLOYEE).text
    result = bot.command("/policy", "why " * 400, EMPLOYEE)
    assert "under 1,000 characters" in result.text
    assert bot.query(lambda s: s.scalar(select(func.count()).select_from(PolicyQuestion))) == 0


def test_the_question_is_escaped_when_echoed(bot: BotClient) -> None:
    answer = bot.command("/policy", "<!channel> password change <@U0CAO0001>", EMPLOYEE).json()
    body = json.dumps(answer["blocks"])
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body


def test_an_import_reaches_the_running_bot(bot: BotClient, tmp_path) -> None:
    from bot.policy import SHIPPED_CLAUSES
    from bot.policy.service import load_library
    from bot.scheduler import run_due_work

    question = "can we post drone footage of the parade"
    assert "Ours" not in bot.command("/policy", question, EMPLOYEE).body
    (tmp_path / "ours.json").write_text(
        json.dumps(
            {
                "title": "Our rules",
                "short_name": "Ours",
                "clauses": [
                    {
                        "number": "7",
                        "heading_path": ["Drones"],
                        "text": "Drone footage of public events may be posted only if Communications approves it.",
                    }
                ],
            }
        )
    )
    # as `flagpost policy import` does into the organisation's own folder, from another process
    bot.rt.run(load_library, directories=[SHIPPED_CLAUSES, tmp_path])
    run_due_work(bot.rt)
    answer = json.dumps(bot.command("/policy", question, EMPLOYEE).json()["blocks"])
    assert "*Ours 7*" in answer
    assert library(bot.rt).refresh_if_changed() is False
