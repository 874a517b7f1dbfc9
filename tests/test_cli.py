"""The `flagpost` command as an administrator meets it: help, version, one plain line for each mistake, an
honest `check`, and a start that imports only what the command uses."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event

from bot import db
from bot.cli import DOMAIN_COMMANDS, domain_commands
from bot.config import ENVIRONMENT
from bot.domains import DOMAINS
from bot.schema import shipped_head
from bot.slack.testkit.standin import SlackStandIn
from tests.commands import ORG_FILE, clean_env, flagpost

HEAVY = {"sqlalchemy", "slack_bolt", "slack_sdk", "alembic", "apscheduler", "holidays", "waitress", "psycopg"}


def imported_by(*argv: str, tmp_path: Path) -> set[str]:
    """The heavy libraries a command imports, run in a fresh interpreter."""
    probe = (
        "import contextlib, io, sys\nimport bot.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        bot.cli.main(sys.argv[1:])\n    except SystemExit:\n        pass\n"
        "import json\nprint(json.dumps(sorted(sys.modules)))"
    )
    env = clean_env(tmp_path, FLAGPOST_ORG=str(ORG_FILE))
    result = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout.strip().splitlines()[-1])
    domains = {"bot.domains", "handlers"} & set(modules)  # the domain list imports every service
    return {module.split(".")[0] for module in modules} & HEAVY | domains


def test_help_and_version_import_no_library_and_no_domain(tmp_path: Path) -> None:
    assert imported_by("--help", tmp_path=tmp_path) == set()
    assert imported_by("--version", tmp_path=tmp_path) == set()


def test_policy_ask_on_a_prepared_database_imports_neither_the_database_layer_nor_slack(
    tmp_path: Path,
) -> None:
    env = clean_env(tmp_path, FLAGPOST_ORG=str(ORG_FILE))
    assert flagpost("policy", "ask", "passwords", env=env, cwd=tmp_path).returncode == 0  # creates, migrates
    assert imported_by("policy", "ask", "how often do we change the password", tmp_path=tmp_path) == set()


def test_the_domain_commands_table_matches_the_domains() -> None:
    """`flagpost --help` lists domain commands without importing the domains: the table must say what
    each Domain's `cli` adds."""
    declared = {}
    for domain in DOMAINS:
        if domain.cli is not None:
            sub = argparse.ArgumentParser().add_subparsers()
            domain.cli(sub)
            hook = f"{domain.cli.__module__}:{domain.cli.__name__}"
            declared.update({name: hook for name in sub.choices})
    assert {name: hook for name, (hook, _summary) in DOMAIN_COMMANDS.items()} == declared, (
        "add each domain command to DOMAIN_COMMANDS in bot/cli.py"
    )
    assert all(domain_commands(hook) for hook, _ in DOMAIN_COMMANDS.values())


def test_version(tmp_path: Path) -> None:
    result = flagpost("--version", env=clean_env(tmp_path))
    assert result.returncode == 0 and result.stdout.startswith("flagpost ")


@pytest.mark.parametrize(
    "command",
    [("run",), ("check",), ("db",), ("db", "upgrade"), ("db", "downgrade"), ("policy",), ("policy", "ask"),
     ("policy", "import"), ("policy", "report"), ("policy", "eval"), ("deliveries",)],
)  # fmt: skip
def test_every_command_has_a_description_and_lists_the_environment_it_reads(tmp_path: Path, command) -> None:
    result = flagpost(*command, "--help", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    description = result.stdout.split("\n\n")[1]
    assert description.strip() and not description.startswith(("positional", "options"))
    listed = result.stdout.split("environment (also read from .env in the current directory):")[1]
    names = [line.split()[0] for line in listed.strip().splitlines()]
    assert "LOG_LEVEL" in names and set(names) <= set(ENVIRONMENT)


def test_the_top_help_lists_every_command_and_policy_help_lists_report(tmp_path: Path) -> None:
    top = flagpost("--help", env=clean_env(tmp_path)).stdout
    assert all(f"    {name}" in top for name in ("run", "check", "db", "policy"))
    assert "report" in flagpost("policy", "--help", env=clean_env(tmp_path)).stdout


def one_line_refusal(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0, result.stdout
    said = (result.stderr or result.stdout).strip()
    assert "\n" not in said and "Traceback" not in result.stdout + result.stderr, said
    assert all(word in said for word in words), said


@pytest.mark.parametrize(
    ("args", "extra", "words"),
    [
        (("db", "upgrade"), {"DATABASE_URL": "mysql://town:secret@db/flagpost"}, ("not 'mysql'",)),
        (("db", "downgrade", "foo"), {}, ("cannot downgrade to 'foo'", "base, 0001")),
        (("policy", "ask", " "), {}, ("ask a question, like: flagpost policy ask",)),
        (("policy", "ask", "-k", "0", "password"), {}, ("-k", "from 1 to 20", "'0'")),
        (("policy", "ask", "-k", "-1", "password"), {}, ("-k", "from 1 to 20", "'-1'")),
        (
            ("run",),
            {"SLACK_BOT_TOKEN": "xoxb-your-bot-token", "SLACK_SIGNING_SECRET": "x"},
            (".env.example",),
        ),
        (("run",), {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "your-app-token"}, ("xapp-",)),
        (
            ("run",),
            {"SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"},
            ("Flagpost needs SLACK_BOT_TOKEN to talk to Slack", "(copy .env.example)."),
        ),
        (("run",), {"SLACK_BOT_TOKEN": "xoxb-1"}, ("SLACK_SIGNING_SECRET", "needs no signing secret")),
        (("run",), {"SLACK_BOT_TOKEN": "xoxb-1", "HOST": "every"}, ("HOST must be an IP address",)),
        (
            ("policy", "ask", "x"),
            {"FLAGPOST_POLICIES": "/nowhere/policies"},
            ("FLAGPOST_POLICIES", "/nowhere"),
        ),
        (
            ("run",),
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "LOG_LEVEL": "chatty"},
            ("LOG_LEVEL",),
        ),
    ],
)
def test_each_mistake_is_one_plain_line(tmp_path: Path, args, extra, words) -> None:
    env = clean_env(tmp_path, FLAGPOST_ORG=str(ORG_FILE), **extra)
    if args[:2] == ("db", "downgrade"):
        assert flagpost("db", "upgrade", env=env).returncode == 0
    result = flagpost(*args, env=env, cwd=tmp_path)
    one_line_refusal(result, *words)
    assert "secret" not in result.stderr  # a password in DATABASE_URL is never echoed


def test_the_database_password_is_not_echoed_and_nothing_is_created_on_a_refusal(tmp_path: Path) -> None:
    env = clean_env(tmp_path, FLAGPOST_ORG=str(ORG_FILE), FLAGPOST_POLICIES=str(tmp_path / "missing"))
    one_line_refusal(flagpost("policy", "ask", "x", env=env, cwd=tmp_path), "is not a folder")
    assert not (tmp_path / "cli.db").exists()


def test_a_missing_database_folder_is_named(tmp_path: Path) -> None:
    env = clean_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/nowhere/flagpost.db")
    one_line_refusal(flagpost("db", "upgrade", env=env), f"the folder {tmp_path}/nowhere does not exist")


def read_only_folder(tmp_path: Path) -> Path:
    """A folder this user cannot write: a chmod 555 one, or, for root (who may write anywhere), a read-only
    mount such as /proc/sys."""
    if os.geteuid() != 0:
        folder = tmp_path / "data"
        folder.mkdir(mode=0o555)
        return folder
    for candidate in (Path("/proc/sys"), Path("/sys/fs/cgroup")):
        if candidate.is_dir() and not os.access(candidate, os.W_OK):
            return candidate
    pytest.skip("running as root with no read-only folder to try")


def test_a_read_only_database_folder_is_named_with_its_reason(tmp_path: Path) -> None:
    folder = read_only_folder(tmp_path)
    env = clean_env(tmp_path, DATABASE_URL=f"sqlite:///{folder}/flagpost.db")
    one_line_refusal(
        flagpost("db", "upgrade", env=env), f"{folder} is read-only for the user running Flagpost"
    )
    one_line_refusal(flagpost("policy", "ask", "password", env=env), "read-only", "journal")


# ----- `flagpost check`


def test_check_says_what_is_fine_and_prints_nothing_else(tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        env = clean_env(
            tmp_path, FLAGPOST_ORG=str(ORG_FILE), SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=slack.api_url,
        )  # fmt: skip
        assert flagpost("db", "upgrade", env=env).returncode == 0
        result = flagpost("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   organisation file" in result.stdout and "schema up to date" in result.stdout
    assert "ok   Slack: the token works" in result.stdout and result.stdout.endswith("All good.\n")
    assert "clause files, shipped, in" in result.stdout and "taber-adm-7-procedure" in result.stdout
    assert result.stderr == ""  # no library log line cuts through the report


def test_check_says_what_to_run_when_the_schema_is_behind(tmp_path: Path) -> None:
    env = clean_env(tmp_path, FLAGPOST_ORG=str(ORG_FILE), SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s")
    url = env["DATABASE_URL"]
    db.upgrade(url, "0003")
    with SlackStandIn() as slack:
        env["SLACK_API_URL"] = slack.api_url
        result = flagpost("check", env=env)
    assert result.returncode == 1 and "All good" not in result.stdout
    assert "todo database" in result.stdout and f"schema at 0003, newest is {shipped_head()}" in result.stdout
    assert "run 'flagpost db upgrade'" in result.stdout and result.stdout.endswith("1 thing(s) to do.\n")


def test_check_creates_no_database_and_says_how_to(tmp_path: Path) -> None:
    result = flagpost("check", env=clean_env(tmp_path, FLAGPOST_ORG=str(ORG_FILE)), cwd=tmp_path)
    assert "not created yet; run 'flagpost db upgrade'" in result.stdout
    assert not (tmp_path / "cli.db").exists()


def test_deliveries_in_a_folder_without_the_database_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = flagpost("deliveries", env=clean_env(tmp_path, FLAGPOST_ORG=str(ORG_FILE)), cwd=tmp_path)
    one_line_refusal(result, "there is no database at", "set DATABASE_URL")
    assert not (tmp_path / "cli.db").exists()


def test_check_gives_slacks_reason_not_an_exception_name(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = clean_env(
        tmp_path, FLAGPOST_ORG=str(ORG_FILE), SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=f"http://127.0.0.1:{port}/api/",
    )  # fmt: skip
    result = flagpost("check", env=env)
    assert f"FAIL Slack: auth.test failed: could not reach http://127.0.0.1:{port}/api/" in result.stdout
    assert "Connection refused" in result.stdout and "URLError" not in result.stdout
    with SlackStandIn() as slack:
        slack.fail_next("auth.test", status=200, error="invalid_auth")
        env["SLACK_API_URL"] = slack.api_url
        refused = flagpost("check", env=env)
    assert "FAIL Slack: auth.test failed: Slack refused SLACK_BOT_TOKEN (invalid_auth)" in refused.stdout


# ----- a database that does not answer


def connect_parameters(url: str) -> dict:
    """What the engine would hand psycopg, caught just before it connects."""
    engine = db.make_engine(url)
    seen: dict = {}

    @event.listens_for(engine, "do_connect")
    def capture(_dialect, _record, _args, params) -> None:
        seen.update(params)
        raise ConnectionAbortedError("enough: the parameters are what this test reads")

    with pytest.raises(Exception, match="enough"):
        engine.connect()
    return seen


def test_database_connections_get_a_default_connect_timeout_which_the_url_may_change() -> None:
    assert connect_parameters("postgresql://town@127.0.0.1:1/flagpost")["connect_timeout"] == 5
    assert (
        connect_parameters("postgresql://town@127.0.0.1:1/flagpost?connect_timeout=9")["connect_timeout"]
        == "9"
    )


def test_a_database_that_accepts_and_never_answers_fails_in_seconds(tmp_path: Path) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts (the kernel does), never answers
    port = silent.getsockname()[1]
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    try:
        env = clean_env(
            tmp_path, DATABASE_URL=f"postgresql://town@127.0.0.1:{port}/flagpost?connect_timeout=1"
        )
        started = time.monotonic()
        result = flagpost("db", "upgrade", env=env)
        assert time.monotonic() - started < 30
        one_line_refusal(result, "could not be prepared", "OperationalError")
    finally:
        silent.close()
        for connection in accepted:
            connection.close()
