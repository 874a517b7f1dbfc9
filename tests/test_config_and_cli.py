"""The organisation file, settings, and the `flagpost` command as an installer meets them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.config import load_organization, load_settings
from bot.errors import ConfigError
from bot.slack.testkit.standin import SlackStandIn
from tests.conftest import ORG_FILE, ROOT

GOOD = ORG_FILE.read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organization.toml"
    path.write_text(text)
    return path


def test_the_shipped_demo_file_is_valid() -> None:
    org = load_organization(ORG_FILE)
    assert org.name == "Town of Prairie Crossing" and org.holiday_region == "CA-AB"
    assert org.has_role("U0MOD0001", "moderator") and not org.has_role("U0EMP0001", "moderator")
    assert org.flag_deadline_business_hours == 8


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        (
            'moderator = ["U0MOD0001", "U0MOD0002"]',
            'moderator = ["U0MOD0001", "bob"]',
            "[roles] moderator: 'bob' is not a Slack user id",
        ),
        ('admin = ["U0ADM0001"]', 'wizard = ["U0ADM0001"]', "[roles] wizard: is not a known role"),
        (
            'timezone = "America/Edmonton"',
            'timezone = "Mars/Olympus"',
            "[organization] timezone: 'Mars/Olympus'",
        ),
        (
            'holiday_region = "CA-AB"',
            'holiday_region = "CA-XX"',
            "[organization] holiday_region: 'CA-XX' is not a known",
        ),
        ('holiday_region = "CA-AB"', 'holiday_region = "ZZ"', "unknown country 'ZZ'"),
        (
            'moderation = "C0MODERATE"',
            'moderation = "#moderation"',
            "[channels] moderation: '#moderation' is not",
        ),
        ("ack_minutes = 15", 'ack_minutes = "soon"', "[oncall] ack_minutes"),
        ('start = "08:30"', 'start = "8.30am"', "[hours] start"),
        ("[organization]", "[organisation]", "[organization]: this section is missing"),
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
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        load_organization(path)
    assert str(path) in error.value.message and words in error.value.message


def test_broken_toml_and_missing_files_are_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_organization(write(tmp_path, "[organization\nname="))
    with pytest.raises(ConfigError, match="does not exist"):
        load_organization(tmp_path / "nope.toml")


def test_settings_read_the_environment_with_defaults() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_API_URL": "http://127.0.0.1:9/api"})
    assert settings.database_url == "sqlite:///flagpost.db" and settings.port == 3000
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.missing_for_run() == ["SLACK_SIGNING_SECRET"]
    assert load_settings({"SLACK_BOT_TOKEN": "x", "SLACK_APP_TOKEN": "xapp"}).socket_mode
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({"PORT": "http"})


# ----- the command, as a subprocess


def flagpost(*args: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SLACK_", "DATABASE_URL", "FLAGPOST_", "PORT"))
    }
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "PYTHONPATH": str(ROOT), **extra})
    return env


def test_check_with_a_broken_organisation_file_fails_in_plain_words(tmp_path: Path) -> None:
    broken = write(tmp_path, GOOD.replace('cao = ["U0CAO0001"]', 'cao = ["chief"]'))
    result = flagpost("check", env=clean_env(tmp_path, FLAGPOST_ORG=str(broken)), cwd=tmp_path)
    assert result.returncode != 0
    assert f"{broken}: [roles] cao: 'chief' is not a Slack user id" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_check_says_what_is_fine(tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        env = clean_env(
            tmp_path,
            FLAGPOST_ORG=str(ORG_FILE),
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=slack.api_url,
        )
        assert flagpost("db", "upgrade", env=env).returncode == 0
        result = flagpost("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   organisation file" in result.stdout and "schema up to date" in result.stdout
    assert "ok   Slack: the token works" in result.stdout


def test_run_with_half_the_settings_says_what_to_set(tmp_path: Path) -> None:
    # with no Slack setting at all, `flagpost run` starts the sandbox instead (tests/test_sandbox_api.py)
    result = flagpost("run", env=clean_env(tmp_path, SLACK_SIGNING_SECRET="s"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout.strip().count("\n") == 0
    assert "needs SLACK_BOT_TOKEN to talk to Slack" in result.stdout and ".env" in result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_in_http_mode_migrates_and_answers_healthz(tmp_path: Path) -> None:
    port = free_port()
    with SlackStandIn() as slack:
        env = clean_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="secret",
            PORT=str(port),
            SLACK_API_URL=slack.api_url,
            FLAGPOST_ORG=str(ORG_FILE),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
        )
        try:
            assert process.stderr is not None
            for line in process.stderr:  # wait for the server to say it listens; no sleeping
                if "HTTP on port" in line:
                    break
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                assert response.status == 200
                assert json.loads(response.read())["database"] == "ok"
        finally:
            process.terminate()
            process.wait(timeout=20)
        assert [call.method for call in slack.calls] == ["auth.test"]
    assert (tmp_path / "cli.db").exists()


def test_run_uses_socket_mode_when_an_app_token_is_set(tmp_path: Path, mocker) -> None:
    from bot import cli

    handler = mocker.patch("slack_bolt.adapter.socket_mode.SocketModeHandler")
    server = mocker.patch("bot.server.make_http_server")
    with SlackStandIn() as slack:
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-1",
                "SLACK_APP_TOKEN": "xapp-1",
                "SLACK_API_URL": slack.api_url,
                "DATABASE_URL": f"sqlite:///{tmp_path}/s.db",
                "FLAGPOST_ORG": str(ORG_FILE),
            }
        )
        assert cli.cmd_run(settings) == 0
    app, token = handler.call_args.args
    assert token == "xapp-1" and app.__class__.__name__ == "App"
    handler.return_value.start.assert_called_once()
    server.assert_not_called()
