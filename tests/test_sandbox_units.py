"""The sandbox's parts on their own: the conversation the stand-in keeps, Slack's request shapes built from
what the page did, the people and their roles, the tour's ticks, the sandbox's clock, and `[people]`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_app
from bot.calendar import BusinessCalendar
from bot.clock import FrozenClock
from bot.config import Organization, load_organization
from bot.errors import ConfigError
from bot.runtime import Runtime
from bot.sandbox import tour, wire, world
from bot.sandbox.clock import OffsetClock
from bot.sandbox.run import Sandbox
from bot.slack.testkit import conversation as conversation_module
from bot.slack.testkit.conversation import Conversation, ResponseContext, SlackError
from tests.conftest import ORG_FILE, ROOT

BOT = "UFLAGPOST"
EDMONTON = ZoneInfo("America/Edmonton")


# ----- the conversation model


def test_a_message_is_edited_in_place_and_the_feed_gives_only_what_changed() -> None:
    talk = Conversation(BOT)
    card = talk.post(
        "C0MODERATE", BOT, "F-1 open", [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}]
    )
    seen = talk.seq
    talk.update("C0MODERATE", card.ts, "F-1 claimed", None)
    changed = talk.visible_to("U0EMP0001", since=seen)["messages"]
    assert [(m["ts"], m["text"], m["edited"]) for m in changed] == [(card.ts, "F-1 claimed", True)]
    assert changed[0]["blocks"][0]["block_id"] == "b0"  # Slack names every block
    assert talk.visible_to("U0EMP0001", since=talk.seq)["messages"] == []


def test_ephemerals_and_dms_are_seen_only_by_their_person() -> None:
    talk = Conversation(BOT)
    talk.post("C0GENERAL", BOT, "just for Priya", ephemeral_to="U0EMP0001")
    talk.post("DU0EMP0001", BOT, "a DM to Priya")
    talk.post("C0GENERAL", "U0EMP0002", "for everyone")
    priya = {m["text"] for m in talk.visible_to("U0EMP0001")["messages"]}
    tom = {m["text"] for m in talk.visible_to("U0EMP0002")["messages"]}
    assert priya == {"just for Priya", "a DM to Priya", "for everyone"}
    assert tom == {"for everyone"}


def test_response_urls_reply_privately_replace_or_delete_the_original() -> None:
    talk = Conversation(BOT)
    original = talk.post("C0GENERAL", BOT, "the answer")
    context = ResponseContext("U0EMP0001", "C0GENERAL", original.ts)
    token = talk.response_url_token(context)
    assert talk.respond_to_url(token, {"text": "thanks, noted"})
    assert talk.respond_to_url("r-unknown", {"text": "x"}) is False
    private = [m for m in talk.messages.values() if m.text == "thanks, noted"]
    assert private[0].ephemeral_to == "U0EMP0001"
    talk.respond(context, {"text": "for all", "response_type": "in_channel"})
    assert next(m for m in talk.messages.values() if m.text == "for all").ephemeral_to is None
    talk.respond(context, {"text": "replaced", "replace_original": True})
    assert talk.find("C0GENERAL", original.ts).text == "replaced"
    talk.respond(context, {"delete_original": "true"})
    assert talk.find("C0GENERAL", original.ts).deleted


def test_modals_open_push_update_show_errors_and_close_per_person(monkeypatch: pytest.MonkeyPatch) -> None:
    talk = Conversation(BOT, strict=True)
    first = talk.open_view(talk.issue_trigger("U0MOD0001"), {"type": "modal", "blocks": [{"type": "input"}]})
    second = talk.push_for("U0MOD0001", {"type": "modal", "title": {"type": "plain_text", "text": "More"}})
    assert [v["id"] for v in talk.visible_to("U0MOD0001")["modals"]] == [first.id, second.id]
    assert "modals" not in talk.visible_to("U0EMP0001")
    assert second.previous_view_id == first.id and second.root_view_id == first.id
    old_hash = first.hash
    talk.set_errors(first.id, {"flag_url": "Please paste the link"})
    assert talk.views[first.id].errors == {"flag_url": "Please paste the link"}
    talk.replace_view(first.id, {"type": "modal", "blocks": []})
    assert talk.views[first.id].errors == {} and talk.views[first.id].hash != old_hash
    talk.close_view("U0MOD0001", second.id)
    assert [v["id"] for v in talk.visible_to("U0MOD0001")["modals"]] == [first.id]
    talk.close_view("U0MOD0001", first.id, clear=True)
    assert talk.visible_to("U0MOD0001")["modals"] == []


def test_a_trigger_works_once_and_dies_after_three_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    talk = Conversation(BOT, strict=True)
    clock = [100.0]
    monkeypatch.setattr(conversation_module.time, "monotonic", lambda: clock[0])
    trigger = talk.issue_trigger("U0EMP0001")
    talk.open_view(trigger, {"type": "modal"})
    with pytest.raises(SlackError, match="invalid_trigger_id"):
        talk.open_view(trigger, {"type": "modal"})
    late = talk.issue_trigger("U0EMP0001")
    clock[0] += 3.5
    with pytest.raises(SlackError, match="expired_trigger_id"):
        talk.open_view(late, {"type": "modal"})
    with pytest.raises(SlackError, match="message_not_found"):
        talk.update("C0GENERAL", "1.000001", "x")


def test_app_home_is_kept_per_person() -> None:
    talk = Conversation(BOT)
    talk.publish_home("U0MOD0001", {"type": "home", "blocks": [{"type": "header"}]})
    assert talk.visible_to("U0MOD0001")["home"]["blocks"][0]["block_id"] == "b0"
    assert "home" not in talk.visible_to("U0EMP0001")


# ----- Slack's request shapes


FORM = {
    "type": "modal",
    "blocks": [
        {"type": "input", "block_id": "url", "element": {"type": "url_text_input", "action_id": "v"}},
        {
            "type": "input",
            "block_id": "kind",
            "element": {
                "type": "static_select",
                "action_id": "v",
                "options": [{"text": {"type": "plain_text", "text": "Question"}, "value": "question"}],
                "initial_option": {"text": {"type": "plain_text", "text": "Question"}, "value": "question"},
            },
        },
        {
            "type": "input",
            "block_id": "days",
            "optional": True,
            "element": {
                "type": "checkboxes",
                "action_id": "v",
                "options": [
                    {"text": {"type": "plain_text", "text": "Mon"}, "value": "mon"},
                    {"text": {"type": "plain_text", "text": "Tue"}, "value": "tue"},
                ],
            },
        },
        {"type": "input", "block_id": "who", "element": {"type": "users_select", "action_id": "v"}},
        {"type": "input", "block_id": "until", "element": {"type": "datepicker", "action_id": "v"}},
    ],
}


def test_state_values_are_what_slack_reports_for_each_element() -> None:
    raw = {
        "url": {"v": "https://x.ca"},
        "days": {"v": ["tue", "sun"]},
        "who": {"v": "U0DIR0001"},
        "until": {"v": "2026-12-01"},
    }
    state = wire.state_values(FORM["blocks"], raw)
    assert state["url"]["v"] == {"type": "url_text_input", "value": "https://x.ca"}
    assert state["kind"]["v"]["selected_option"]["value"] == "question"  # its initial option, untouched
    assert [o["value"] for o in state["days"]["v"]["selected_options"]] == ["tue"]  # "sun" was never offered
    assert state["who"]["v"] == {"type": "users_select", "selected_user": "U0DIR0001"}
    assert state["until"]["v"] == {"type": "datepicker", "selected_date": "2026-12-01"}


def test_required_fields_left_empty_are_refused_before_the_bot_sees_them() -> None:
    talk = Conversation(BOT)
    view = talk.open_view("1.trigger", FORM)
    assert wire.missing_required(view, {"url": {"v": ""}}) == {
        "url": "Please complete this required field.",
        "who": "Please complete this required field.",
        "until": "Please complete this required field.",
    }


def test_a_click_carries_the_element_as_the_bot_rendered_it() -> None:
    button = {
        "type": "button",
        "action_id": "flag_claim",
        "value": "7",
        "text": {"type": "plain_text", "text": "Claim"},
    }
    blocks = [{"type": "actions", "block_id": "flag_actions_7", "elements": [button]}]
    assert wire.find_element(blocks, "flag_actions_7", "flag_claim") is button
    entry = wire.action_entry(button, "flag_actions_7", "forged")
    assert entry["value"] == "7" and entry["block_id"] == "flag_actions_7" and entry["type"] == "button"
    select = {"type": "static_select", "action_id": "k", "options": FORM["blocks"][1]["element"]["options"]}
    chosen = wire.action_entry(select, "b1", "question")
    assert chosen["selected_option"]["text"]["text"] == "Question" and "options" not in chosen
    message = Conversation(BOT).post("C0MODERATE", BOT, "card", blocks)
    shown = wire.message_of(message, BOT)
    assert shown["bot_id"] and shown["ts"] == message.ts and shown["blocks"] == blocks


# ----- people, channels, typed text


@pytest.fixture(scope="module")
def demo() -> Organization:
    return load_organization(ORG_FILE)


def test_the_demo_organisation_has_someone_in_every_part_of_the_story(demo: Organization) -> None:
    roles = {role for person in world.people(demo) for role in person["roles"]}
    assert {"employee", "moderator", "director", "CAO", "IT", "communications", "admin", "on call"} <= roles
    for part in ("employee", "moderator", "director", "cao", "oncall"):
        assert world.person_for(demo, part), part
    assert all(person["name"] != person["id"] for person in world.people(demo))


def test_typed_text_is_escaped_and_names_become_mentions(demo: Organization) -> None:
    typed = world.to_slack_text(demo, BOT, "@Flagpost is <b>this</b> & @morgan moderator ok? cc @U0DIR0001")
    assert typed == "<@UFLAGPOST> is &lt;b&gt;this&lt;/b&gt; &amp; <@U0MOD0001> ok? cc <@U0DIR0001>"
    linked = world.to_slack_text(demo, BOT, "see https://town.ca/a?b=1&c=2. Thanks")
    assert linked == "see <https://town.ca/a?b=1&amp;c=2>. Thanks"


def test_the_sandbox_offers_the_commands_and_shortcuts_of_the_manifest() -> None:
    manifest = (ROOT / "slack-manifest.yml").read_text()
    assert [c.command for c in world.COMMANDS] == re.findall(r"- command: (/\w+)", manifest)
    assert [s.callback_id for s in world.SHORTCUTS] == re.findall(r"callback_id: (\w+)", manifest)


# ----- the tour


def test_a_step_is_ticked_by_its_audit_entry_and_its_details() -> None:
    director = next(step for step in tour.STEPS if step.key == "director")
    assert not tour.is_done(director, [("request", "approved", {"step": 2, "role": "cao"})])
    assert tour.is_done(director, [("request", "approved", {"step": 1, "role": "director", "comment": None})])


def test_a_step_whose_command_is_unknown_shows_what_it_comes_with(demo: Organization) -> None:
    steps = tour.progress(demo, [("flag", "filed", {})], knows=lambda command: command != "/request")
    by_key = {step["key"]: step for step in steps}
    assert by_key["flag"]["done"] and by_key["flag"]["available"]
    assert not by_key["request"]["available"] and by_key["request"]["coming_with"] == "requests and approvals"
    assert by_key["claim"]["who"]["name"] == "Morgan Moderator" and by_key["claim"]["channel"] == "C0MODERATE"
    assert by_key["acknowledge"]["channel"] == "D" + demo.oncall_rotation[0]


def test_bolt_is_asked_which_commands_the_bot_handles(runtime: Runtime) -> None:
    app = build_app(runtime)
    assert tour.handles_command(app, "/flag") and tour.handles_command(app, "/policy")
    assert not tour.handles_command(app, "/no-such-command")


# ----- the sandbox's clock


def test_the_sandbox_clock_only_moves_forward() -> None:
    clock = OffsetClock(FrozenClock(datetime(2026, 11, 17, 17, 0, tzinfo=UTC)))
    clock.advance(timedelta(minutes=90))
    assert clock.now() == datetime(2026, 11, 17, 18, 30, tzinfo=UTC)
    for bad in (timedelta(0), timedelta(minutes=-5), timedelta(days=40)):
        with pytest.raises(ValueError):
            clock.advance(bad)


def test_the_clock_goes_to_the_next_wall_clock_time_across_a_dst_change() -> None:
    # Saturday 31 October 2026, 20:00 in Edmonton; DST ends the next morning
    clock = OffsetClock(FrozenClock(datetime(2026, 10, 31, 20, 0, tzinfo=EDMONTON)))
    moved = clock.advance_to(time(8, 30), EDMONTON)
    assert moved.astimezone(EDMONTON).replace(tzinfo=None) == datetime(2026, 11, 1, 8, 30)


def test_moving_the_clock_runs_what_is_due_at_once(demo: Organization, mocker) -> None:
    due = mocker.patch("bot.sandbox.run.run_due_work")
    clock = OffsetClock(FrozenClock(datetime(2026, 11, 17, 10, 0, tzinfo=EDMONTON)))
    rt = SimpleNamespace(wait_idle=lambda timeout: True, calendar=BusinessCalendar.for_organization(demo))
    talk = Conversation(BOT)
    sandbox = Sandbox(demo, rt, None, SimpleNamespace(conversation=talk), clock, None, {})  # type: ignore[arg-type]
    answer = sandbox.move_clock({"to": "19:00"})
    due.assert_called_once_with(rt)
    assert answer["clock"]["business_hours"] is False and answer["clock"]["offset_minutes"] == 9 * 60
    assert talk.seq == answer["seq"] > 0  # every open page is woken to redraw


# ----- [people] in organization.toml


def test_people_are_optional_and_named(tmp_path: Path, demo: Organization) -> None:
    assert demo.name_of("U0MOD0001") == "Morgan Moderator"
    assert demo.name_of("U0NOBODY1") == "U0NOBODY1"
    text = ORG_FILE.read_text()
    start = text.index("[people]")
    without = text[:start] + text[text.index("[oncall]") :]
    path = tmp_path / "org.toml"
    path.write_text(without)
    assert load_organization(path).people == {}


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('bob = "Bob"', "[people] bob: is not a Slack user id"),
        ('U0BOB0001 = ""', "[people] U0BOB0001: must be"),
    ],
)
def test_a_bad_people_entry_is_explained(tmp_path: Path, line: str, words: str) -> None:
    path = tmp_path / "org.toml"
    path.write_text(ORG_FILE.read_text().replace("[people]", f"[people]\n{line}"))
    with pytest.raises(ConfigError, match=re.escape(words)):
        load_organization(path)


def test_a_submission_answer_updates_pushes_clears_or_marks_fields() -> None:
    from bot.sandbox.workspace import Workspace

    talk = Conversation(BOT)
    workspace = Workspace(
        load_organization(ORG_FILE), talk, "secret", "http://standin/response/", lambda: None
    )
    first = talk.open_view(talk.issue_trigger("U0EMP0001"), {"type": "modal", "title": _plain("One")})
    assert workspace._apply_response_action(
        "U0EMP0001", first, {"response_action": "errors", "errors": {"a": "No"}}
    )
    assert talk.views[first.id].errors == {"a": "No"}
    workspace._apply_response_action(
        "U0EMP0001", first, {"response_action": "update", "view": {"type": "modal"}}
    )
    assert talk.views[first.id].errors == {} and "title" not in talk.views[first.id].definition
    workspace._apply_response_action(
        "U0EMP0001", first, {"response_action": "push", "view": {"type": "modal"}}
    )
    assert len(talk.modals["U0EMP0001"]) == 2
    workspace._apply_response_action("U0EMP0001", first, {"response_action": "clear"})
    assert talk.modals["U0EMP0001"] == []
    second = talk.open_view(talk.issue_trigger("U0EMP0001"), {"type": "modal"})
    workspace._apply_response_action("U0EMP0001", second, {})  # a plain ack closes the view
    assert talk.modals["U0EMP0001"] == []


def _plain(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}
