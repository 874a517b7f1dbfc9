"""`flagpost sandbox` as a process, driven through its JSON API: every page action becomes the signed request
Slack would send, through the bot's real front door; what the bot answers shows as Slack would show it."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DIRECTOR, EMPLOYEE, EMPLOYEE_2, MODERATOR
from tests.harness import BotClient
from tests.sandbox_harness import RunningSandbox, running_sandbox, sandbox_env

MODERATION, GENERAL = "C0MODERATE", "C0GENERAL"
POST = "https://www.facebook.com/prairiecrossing/posts/1"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


def card_of(sandbox: RunningSandbox, ref: str) -> dict:
    cards = [m for m in sandbox.messages(MODERATOR, MODERATION) if m["text"].startswith(ref + " ")]
    assert cards, f"no card for {ref} in #moderation"
    return cards[-1]


def button(message: dict, action_id: str) -> tuple[str, dict]:
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return block["block_id"], element
    raise AssertionError(f"no {action_id} button on {message['text']!r}")


def test_the_sandbox_says_where_it_listens_and_answers_healthz(sandbox: RunningSandbox) -> None:
    assert sandbox.first_line.startswith(
        "Flagpost sandbox for Town of Prairie Crossing: open http://127.0.0.1:"
    )
    status, health = sandbox.request("/healthz")
    assert status == 200 and health["database"] == "ok"


def test_the_page_is_served_with_a_policy_that_forbids_inline_script(sandbox: RunningSandbox) -> None:
    with urllib.request.urlopen(sandbox.url, timeout=10) as response:
        page = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    assert '<script type="module" src="/sandbox/static/app.js">' in page
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy
    for name in ("app.js", "blockkit.js", "mrkdwn.js", "views.js", "sandbox.css", "favicon.svg"):
        assert sandbox.status_of(f"/sandbox/static/{name}") == 200, name
    assert sandbox.status_of("/sandbox/static/../run.py") == 404
    assert sandbox.status_of("/sandbox/static/%2e%2e%2frun.py") == 404


def test_the_world_names_everyone_with_their_roles(sandbox: RunningSandbox) -> None:
    world = sandbox.api("world")
    people = {person["id"]: person for person in world["people"]}
    assert people[MODERATOR]["name"] == "Morgan Moderator" and "moderator" in people[MODERATOR]["roles"]
    assert people[EMPLOYEE]["roles"] == ["employee"]
    assert [c["name"] for c in world["channels"]][:2] == ["general", "moderation"]
    assert {c["command"] for c in world["commands"]} >= {"/flag", "/policy", "/request", "/oncall"}


def test_flag_claim_resolve_through_the_front_door(sandbox: RunningSandbox) -> None:
    sent = sandbox.api(
        "send", {"as": EMPLOYEE, "channel": GENERAL, "text": f"/flag {POST} When does the pool open?"}
    )
    assert sent["ok"] and sent["ack_ms"] < 3000
    receipt = [m for m in sandbox.messages(EMPLOYEE, GENERAL) if "Flagged as" in m["text"]]
    assert receipt and receipt[-1]["ephemeral"]  # the slash command's answer: only the reporter sees it
    assert not [m for m in sandbox.messages(EMPLOYEE_2, GENERAL) if "Flagged as" in m["text"]]
    ref = receipt[-1]["text"].split("Flagged as *")[1].split("*")[0]

    card = card_of(sandbox, ref)
    block_id, _ = button(card, "flag_claim")
    assert sandbox.api(
        "action",
        {
            "as": MODERATOR,
            "channel": MODERATION,
            "ts": card["ts"],
            "block_id": block_id,
            "action_id": "flag_claim",
        },
    )["ok"]
    claimed = card_of(sandbox, ref)
    assert claimed["ts"] == card["ts"] and claimed["edited"] and "claimed" in claimed["text"]

    block_id, _ = button(claimed, "flag_resolve_open")
    sandbox.api(
        "action",
        {
            "as": MODERATOR,
            "channel": MODERATION,
            "ts": card["ts"],
            "block_id": block_id,
            "action_id": "flag_resolve_open",
        },
    )
    modal = sandbox.feed(MODERATOR)["modals"][-1]
    refused = sandbox.api("submit", {"as": MODERATOR, "view_id": modal["id"], "values": {}})
    assert refused["errors"] == {"flag_outcome": "Please complete this required field."}
    done = sandbox.api(
        "submit", {"as": MODERATOR, "view_id": modal["id"], "values": {"flag_outcome": {"value": "answered"}}}
    )
    assert done["ok"] and sandbox.feed(MODERATOR)["modals"] == []
    assert "resolved" in card_of(sandbox, ref)["text"]
    dm = sandbox.messages(EMPLOYEE, "D" + EMPLOYEE)
    assert any(f"Your flag {ref} is resolved" in m["text"] for m in dm)

    steps = sandbox.tour()
    assert steps["flag"]["done"] and steps["claim"]["done"] and steps["resolve"]["done"]


def test_the_bots_field_errors_show_on_the_form(sandbox: RunningSandbox) -> None:
    sandbox.api("send", {"as": EMPLOYEE, "channel": GENERAL, "text": "/flag"})
    form = sandbox.feed(EMPLOYEE)["modals"][-1]
    assert form["callback_id"] == "flag_intake"
    values = {
        "flag_url": {"value": "not a link"},
        "flag_kind": {"value": "question"},
        "flag_note": {"value": "Someone is upset"},
    }
    answer = sandbox.api("submit", {"as": EMPLOYEE, "view_id": form["id"], "values": values})
    assert "flag_url" in answer["errors"]
    still_open = sandbox.feed(EMPLOYEE)["modals"][-1]
    assert still_open["id"] == form["id"] and still_open["errors"] == answer["errors"]
    sandbox.api("close", {"as": EMPLOYEE, "view_id": form["id"]})
    assert sandbox.feed(EMPLOYEE)["modals"] == []


def test_a_policy_question_by_command_dm_and_mention(sandbox: RunningSandbox) -> None:
    sandbox.api(
        "send",
        {
            "as": EMPLOYEE,
            "channel": GENERAL,
            "text": "/policy can I post photos from the fire on my own Facebook?",
        },
    )
    # its gold clauses in the curated set: Westlock 8.2…, Taber 1.09(d), Middlesex Procedure B
    answer = [
        m
        for m in sandbox.messages(EMPLOYEE, GENERAL)
        if m["text"].startswith(("Westlock 8.2", "Taber 1.09(d)"))
    ]
    assert answer and answer[-1]["ephemeral"]
    sandbox.api(
        "send", {"as": EMPLOYEE, "channel": "D" + EMPLOYEE, "text": "how often do I change the password?"}
    )
    dm = sandbox.messages(EMPLOYEE, "D" + EMPLOYEE)
    assert dm[-2]["user"] == EMPLOYEE and dm[-1]["user"] == "UFLAGPOST"
    assert sandbox.messages(EMPLOYEE_2, "D" + EMPLOYEE) == []
    sandbox.api(
        "send", {"as": EMPLOYEE_2, "channel": GENERAL, "text": "@Flagpost who approves a new account?"}
    )
    asked = [m for m in sandbox.messages(EMPLOYEE, GENERAL) if m["user"] == EMPLOYEE_2][-1]
    assert asked["text"].startswith("<@UFLAGPOST> who approves")
    reply = sandbox.messages(EMPLOYEE, GENERAL)[-1]
    assert reply["thread_ts"] == asked["ts"] and not reply["ephemeral"]
    assert sandbox.tour()["policy"]["done"]


def test_an_unknown_command_is_said_plainly(sandbox: RunningSandbox) -> None:
    answer = sandbox.api("send", {"as": EMPLOYEE, "channel": GENERAL, "text": "/teleport home"})
    assert answer["unknown"] and not answer["sent"]  # not in the app's manifest: Slack never asks the bot
    assert "`/teleport` is not a valid command." in sandbox.messages(EMPLOYEE, GENERAL)[-1]["text"]


def test_app_home_is_published_when_opened(sandbox: RunningSandbox) -> None:
    sandbox.api("home", {"as": MODERATOR})
    home = sandbox.feed(MODERATOR)["home"]
    assert home["type"] == "home" and "On the board" in str(home["blocks"])


def test_the_clock_moves_forward_only(sandbox: RunningSandbox) -> None:
    before = sandbox.api("world")["clock"]["offset_minutes"]
    moved = sandbox.api("clock", {"minutes": 30})
    assert moved["clock"]["offset_minutes"] == before + 30
    assert sandbox.api("clock", {"to": "19:00"})["clock"]["business_hours"] is False
    assert sandbox.request("/sandbox/api/clock", {"minutes": -60})[0] == 400
    assert sandbox.request("/sandbox/api/clock", {"to": "late"})[0] == 400


def test_the_page_cannot_act_for_nobody_or_reach_what_is_not_theirs(sandbox: RunningSandbox) -> None:
    assert (
        sandbox.request("/sandbox/api/send", {"as": "U0NOBODY1", "channel": GENERAL, "text": "hi"})[0] == 400
    )
    assert (
        sandbox.request("/sandbox/api/send", {"as": EMPLOYEE, "channel": "D" + DIRECTOR, "text": "hi"})[0]
        == 409
    )
    assert (
        sandbox.request("/sandbox/api/submit", {"as": EMPLOYEE, "view_id": "V999999", "values": {}})[0] == 409
    )
    form = urllib.request.Request(sandbox.url + "sandbox/api/send", data=b"as=U0EMP0001&text=hi")
    with pytest.raises(urllib.error.HTTPError) as refused:  # a form posted by another site's page
        urllib.request.urlopen(form, timeout=10)
    assert refused.value.code == 400
    rebound = urllib.request.Request(sandbox.url + "sandbox/api/world", headers={"Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError) as forbidden:
        urllib.request.urlopen(rebound, timeout=10)
    assert forbidden.value.code == 403


def test_the_front_door_still_checks_signatures(sandbox: RunningSandbox) -> None:
    unsigned = urllib.request.Request(
        sandbox.url + "slack/events",
        data=b"command=%2Fflag&text=x&user_id=U0EMP0001",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(unsigned, timeout=10)
    assert refused.value.code == 401


def test_it_listens_on_loopback_only(sandbox: RunningSandbox) -> None:
    port = int(sandbox.url.rstrip("/").rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # UDP: picks the outward address, sends nothing
            address = probe.getsockname()[0]
        except OSError:
            address = "127.0.0.1"
    if address.startswith("127."):
        pytest.skip("this machine has no address but loopback")
    with pytest.raises(OSError), socket.create_connection((address, port), timeout=3):
        pass


def test_sandbox_routes_do_not_exist_in_the_normal_http_mode(bot: BotClient) -> None:
    for path in ("/", "/sandbox/api/world", "/sandbox/api/feed?as=U0EMP0001", "/sandbox/static/app.js"):
        assert bot.get(path).status == 404
    clock = urllib.request.Request(
        bot.base_url + "/sandbox/api/clock",
        data=b'{"minutes": 60}',
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(clock, timeout=10)
    assert missing.value.code == 404
    assert type(bot.rt.clock).__name__ != "OffsetClock"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_without_a_slack_token_starts_the_sandbox_and_never_touches_database_url(tmp_path: Path) -> None:
    port = free_port()
    production = tmp_path / "production.db"
    temp = tmp_path / "temp"
    temp.mkdir()
    env = sandbox_env(PORT=str(port), DATABASE_URL=f"sqlite:///{production}", TMPDIR=str(temp))
    with running_sandbox("run", env=env, cwd=tmp_path) as running:
        assert next(path.name for path in temp.iterdir()).startswith(
            "flagpost-sandbox-"
        )  # its own SQLite file
        assert running.first_line == (
            "No Slack token is set, so Flagpost starts its sandbox, a stand-in for Slack in your browser: "
            f"open http://127.0.0.1:{port}/"
        )
        assert running.request("/healthz")[0] == 200
    assert not production.exists()
    assert [path.name for path in tmp_path.iterdir()] == ["temp"]  # nothing left in the working directory
    assert not list(temp.iterdir())  # and its SQLite file is gone with it


def test_typed_text_reaches_the_bot_as_slack_sends_it_and_shows_as_typed(sandbox: RunningSandbox) -> None:
    sandbox.api("send", {"as": EMPLOYEE, "channel": GENERAL, "text": "/oncall cover Q&A <b>"})
    assert "“Q&amp;A” is not a person" in sandbox.messages(EMPLOYEE, GENERAL)[-1]["text"]
    reply = sandbox.api(
        "send",
        {
            "as": "U0COM0001",
            "channel": GENERAL,
            "text": "/oncall cover @Morgan Moderator 2026-12-05 2026-12-06",
        },
    )
    assert reply["status"] == 200
    assert "<@U0MOD0001> is on call from" in sandbox.messages("U0COM0001", GENERAL)[-1]["text"]
