"""`flagpost run` as a service: /healthz in both modes (without the town's name), SIGTERM handled like Ctrl-C
with a bounded drain and a clean SQLite close, and logs an operator can read."""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from pathlib import Path
from typing import Any
from urllib.error import URLError

import pytest

from bot import lifecycle
from bot.app import build_app
from bot.config import Settings
from bot.logs import describe_request, setup_logging
from bot.runtime import Runtime
from bot.slack.testkit import payloads
from bot.slack.testkit.signing import signed_headers
from bot.slack.testkit.socket import SocketModeStandIn
from bot.slack.testkit.standin import SlackStandIn
from tests.commands import ORG_FILE, clean_env, flagpost, free_port, running, stop
from tests.conftest import EMPLOYEE

SECRET = "ops-signing-secret"


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def post_signed_command(port: int, text: str) -> int:
    body, content_type = payloads.slash_command("/policy", text, EMPLOYEE)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events",
        data=body.encode(),
        headers=signed_headers(SECRET, body, content_type=content_type),
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_http_mode_answers_logs_one_debug_line_per_request_and_stops_cleanly_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    with SlackStandIn() as slack:
        env = clean_env(
            tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, PORT=str(port),
            SLACK_API_URL=slack.api_url, FLAGPOST_ORG=str(ORG_FILE), LOG_LEVEL="DEBUG",
        )  # fmt: skip
        with running("run", env=env, cwd=tmp_path, ready="HTTP on port") as bot:
            status, health = get(f"http://127.0.0.1:{port}/healthz")
            assert (status, health) == (200, {"status": "ok", "database": "ok"})  # no town name
            assert post_signed_command(port, "how often do we change the password") == 200
            assert (tmp_path / "cli.db-wal").exists()  # SQLite is in WAL mode while it runs
            log = stop(bot)
        assert bot.returncode == 0, log
    assert "SIGTERM received: stopping" in log and log.rstrip().endswith("flagpost: stopped")
    [line] = [line for line in log.splitlines() if "flagpost.requests" in line]
    assert f"DEBUG flagpost.requests: command /policy from {EMPLOYEE}: 200 in" in line
    assert not (tmp_path / "cli.db-wal").exists() and not (tmp_path / "cli.db-shm").exists()


def test_at_info_an_operator_sees_flagposts_lines_and_no_library_chatter(tmp_path: Path) -> None:
    port = free_port()
    with SlackStandIn() as slack:
        env = clean_env(
            tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, PORT=str(port),
            SLACK_API_URL=slack.api_url, FLAGPOST_ORG=str(ORG_FILE),
        )  # fmt: skip
        with running("run", env=env, cwd=tmp_path, ready="HTTP on port") as bot:
            post_signed_command(port, "passwords")
            log = stop(bot)
    lines = log.strip().splitlines()
    assert all(line.split()[3].startswith(("flagpost", "bot.", "handlers.")) for line in lines), log
    assert any("database schema: upgraded from empty" in line for line in lines)
    for noise in ("setup plugin", "apscheduler", "token` will be unused", "waitress", "flagpost.requests"):
        assert noise not in log
    again = flagpost("db", "upgrade", env=env)  # already at the newest schema: not a word from Alembic
    assert again.returncode == 0 and again.stderr == ""


def test_library_loggers_are_quiet_at_info_and_ours_are_not(capsys: pytest.CaptureFixture[str]) -> None:
    setup_logging("INFO")
    try:
        logging.getLogger("apscheduler.executors.default").info('Running job "run_due_work"')
        logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate.schemas")
        logging.getLogger("flagpost.bolt").warning("As you gave `client` as well, `token` will be unused.")
        logging.getLogger("flagpost").error("unexpected error 1a2b3c4d")
        logging.getLogger("bot.scheduler").info("a line of ours")
        logging.getLogger("flagpost.requests").debug("command /flag from U1: 200 in 3 ms")
    finally:
        setup_logging("WARNING")
    err = capsys.readouterr().err
    assert "ERROR flagpost: unexpected error 1a2b3c4d" in err and "INFO bot.scheduler: a line of ours" in err
    assert "Running job" not in err and "setup plugin" not in err and "will be unused" not in err
    assert "flagpost.requests" not in err  # DEBUG only


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({"command": "/flag", "user_id": "U1"}, "command /flag from U1"),
        ({"type": "block_actions", "user": {"id": "U2"}, "actions": [{"action_id": "flag_claim"}]},
         "action flag_claim from U2"),
        ({"type": "view_submission", "user": {"id": "U3"}, "view": {"callback_id": "flag_resolve"}},
         "view_submission flag_resolve from U3"),
        ({"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_mention", "user": "U4"}},
         "event app_mention Ev1 from U4"),
        ({"type": "url_verification"}, "url_verification"),
    ],
)  # fmt: skip
def test_each_request_is_described_in_a_few_words(body: dict[str, Any], said: str) -> None:
    assert describe_request(body) == said


# ----- Socket Mode


def test_socket_mode_serves_healthz_on_port_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    with SlackStandIn() as slack, SocketModeStandIn() as socket_mode:
        slack.socket_url = socket_mode.url
        env = clean_env(
            tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-1-A0FLAGPOST-test", PORT=str(port),
            SLACK_API_URL=slack.api_url, FLAGPOST_ORG=str(ORG_FILE),
        )  # fmt: skip
        with running("run", env=env, cwd=tmp_path, ready="Socket Mode (GET /healthz") as bot:
            socket_mode.wait_connected()
            status, health = get(f"http://127.0.0.1:{port}/healthz")
            assert (status, health) == (200, {"status": "ok", "database": "ok", "slack": "connected"})
            assert get(f"http://127.0.0.1:{port}/slack/events")[0] == 404  # health only, nothing else
            answer = socket_mode.request("slash_commands", payloads.as_dict(
                payloads.slash_command("/policy", "how often do we change the password", EMPLOYEE)))  # fmt: skip
            assert "1.03(f)" in json.dumps(answer)
            log = stop(bot)
        assert bot.returncode == 0, log
    assert log.rstrip().endswith("flagpost: stopped")
    assert not (tmp_path / "cli.db-wal").exists() and not (tmp_path / "cli.db-shm").exists()


def test_a_refused_app_token_is_one_line(tmp_path: Path) -> None:
    with SlackStandIn() as slack:  # no Socket Mode server: apps.connections.open answers invalid_auth
        env = clean_env(
            tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-1-revoked", PORT=str(free_port()),
            SLACK_API_URL=slack.api_url, FLAGPOST_ORG=str(ORG_FILE),
        )  # fmt: skip
        result = flagpost("run", env=env, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if "SLACK_APP_TOKEN" in line]
    assert line.startswith("Slack refused SLACK_APP_TOKEN (invalid_auth): create an app-level token")
    assert not (tmp_path / "cli.db-wal").exists()


class FakeSocketModeHandler:
    """Stands for Bolt's SocketModeHandler: connected until told otherwise."""

    def __init__(self, app: Any, token: str):
        self.app, self.token = app, token
        self.connected = False
        self.closed = threading.Event()
        self.client = self

    def connect(self) -> None:
        self.connected = True

    def is_connected(self) -> bool:
        return self.connected

    def close(self) -> None:
        self.connected = False
        self.closed.set()


def socket_settings(runtime: Runtime, port: int) -> Settings:
    return Settings(**{**vars(runtime.settings), "app_token": "xapp-1", "port": port})


def test_socket_mode_health_says_when_the_connection_is_down(runtime: Runtime) -> None:
    port = free_port()
    app = build_app(runtime)
    serving = lifecycle.serve_socket_mode(runtime, app, socket_settings(runtime, port), FakeSocketModeHandler)
    try:
        assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        serving.handler.connected = False  # Slack dropped the WebSocket; the client is reconnecting
        status, health = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 503 and health == {"status": "unhealthy", "database": "ok", "slack": "disconnected"}
    finally:
        lifecycle.shut_down(runtime, serving, _NoScheduler(), seconds=5)
    assert serving.handler.closed.is_set()


class UnreachableAtFirst(FakeSocketModeHandler):
    """Slack cannot be reached for the first two tries (DNS, a firewall at boot), then can."""

    def __init__(self, app: Any, token: str):
        super().__init__(app, token)
        self.tries = 0
        self.up = threading.Event()

    def connect(self) -> None:
        self.tries += 1
        if self.tries <= 2:
            raise URLError("Temporary failure in name resolution")
        super().connect()
        self.up.set()


def test_socket_mode_keeps_trying_when_slack_is_unreachable_at_start(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    with caplog.at_level(logging.INFO, logger="flagpost"):
        serving = lifecycle.serve_socket_mode(
            runtime, build_app(runtime), socket_settings(runtime, port), UnreachableAtFirst, (0.001, 0.002)
        )
        try:
            assert serving.handler.up.wait(10)  # no traceback, no exit: it connected on the third try
            assert get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        finally:
            lifecycle.shut_down(runtime, serving, _NoScheduler(), seconds=5)
    assert (
        "could not reach Slack for Socket Mode (URLError): check outbound HTTPS to slack.com" in caplog.text
    )
    assert "connected to Slack over Socket Mode" in caplog.text and serving.handler.tries == 3


class _NoScheduler:
    def shutdown(self, wait: bool = True) -> None:
        pass


def test_the_drain_is_bounded_and_says_what_it_left(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """A listener still working when the bot is told to stop gets DRAIN_SECONDS, not forever."""
    app = build_app(runtime)
    serving = lifecycle.serve_socket_mode(
        runtime, app, socket_settings(runtime, free_port()), FakeSocketModeHandler
    )
    release = threading.Event()
    runtime.executor.submit(release.wait, 30)  # a listener that will not finish in time
    with caplog.at_level(logging.WARNING, logger="flagpost"):
        finished = lifecycle.shut_down(runtime, serving, _NoScheduler(), seconds=0.5)
    release.set()
    assert finished is False
    assert (
        "stopping with work still running after 0.5 s; it stays due and is done after restart" in caplog.text
    )
