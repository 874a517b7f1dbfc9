"""Fixtures: each database backend (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), the Slack
stand-in, a frozen clock, and a running Flagpost behind a real HTTP server."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot import db
from bot.app import build_app
from bot.clock import FrozenClock
from bot.config import Organization, Settings, load_organization
from bot.domains import DOMAINS, load_models
from bot.policy import SHIPPED_CLAUSES
from bot.policy.service import load_library
from bot.runtime import Runtime, build_runtime
from bot.server import make_http_server
from bot.slack.testkit.socket import SocketModeStandIn
from bot.slack.testkit.standin import SlackStandIn
from tests.harness import SIGNING_SECRET, BotClient

ROOT = Path(__file__).resolve().parent.parent
ORG_FILE = ROOT / "policy_data" / "organization.toml"
PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_SCHEMA = "flagpost_test"
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])

# A Tuesday morning in Alberta, in business hours.
TUESDAY_10AM = datetime(2026, 11, 17, 10, 0, tzinfo=ZoneInfo("America/Edmonton"))

# Users of the demo organisation file
MODERATOR, MODERATOR_2 = "U0MOD0001", "U0MOD0002"
EMPLOYEE, EMPLOYEE_2 = "U0EMP0001", "U0EMP0002"
DIRECTOR, CAO, IT, COMMS, ADMIN = "U0DIR0001", "U0CAO0001", "U0ITS0001", "U0COM0001", "U0ADM0001"


def with_schema(url: str, schema: str) -> str:
    """A PostgreSQL URL whose connections work inside `schema` only."""
    parsed = make_url(db.normalize_url(url))
    return parsed.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def reset_pg_schema(url: str, schema: str) -> str:
    engine = create_engine(db.normalize_url(url))
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return with_schema(url, schema)


@pytest.fixture(scope="session")
def pg_url() -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    return PG_URL


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the newest schema, once per backend: a template file for SQLite, a schema for PostgreSQL."""
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("template") / "flagpost.db"
        url = f"sqlite:///{template}"
    else:
        url = reset_pg_schema(str(PG_URL), PG_SCHEMA)
    db.upgrade(url)
    engine = create_engine(url)
    with db.transaction(db.make_session_factory(engine)) as session:
        load_library(session=session, now=TUESDAY_10AM, directories=[SHIPPED_CLAUSES])
    engine.dispose()
    return url


@pytest.fixture
def database_url(migrated_database: str, tmp_path: Path) -> str:
    """A clean database for one test."""
    if migrated_database.startswith("sqlite"):
        copy = tmp_path / "flagpost.db"
        shutil.copy(migrated_database.removeprefix("sqlite:///"), copy)
        return f"sqlite:///{copy}"
    engine = create_engine(migrated_database)
    tables = ", ".join(f'"{table.name}"' for table in load_models().metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    with db.transaction(db.make_session_factory(engine)) as session:
        load_library(session=session, now=TUESDAY_10AM, directories=[SHIPPED_CLAUSES])
    engine.dispose()
    return migrated_database


@pytest.fixture(scope="session")
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TUESDAY_10AM)


@pytest.fixture
def org() -> Organization:
    return load_organization(ORG_FILE)


def make_settings(database_url: str, slack: SlackStandIn) -> Settings:
    return Settings(
        bot_token="xoxb-test",
        signing_secret=SIGNING_SECRET,
        app_token=None,
        slack_api_url=slack.api_url,
        database_url=database_url,
        org_file=ORG_FILE,
        port=0,
    )


@pytest.fixture
def runtime(
    database_url: str, slack: SlackStandIn, clock: FrozenClock, org: Organization
) -> Iterator[Runtime]:
    slack.reset()
    rt = build_runtime(
        make_settings(database_url, slack),
        org,
        DOMAINS,
        clock=clock,
        retry_interval=FixedValueRetryIntervalCalculator(0),
    )
    yield rt
    rt.engine.dispose()


@pytest.fixture
def bot(runtime: Runtime, slack: SlackStandIn) -> Iterator[BotClient]:
    app = build_app(runtime)
    server = make_http_server(runtime, app, host="127.0.0.1", port=0, threads=8)
    client = BotClient(runtime, app, slack, server)
    yield client
    client.close()


@pytest.fixture(scope="session")
def socket_standin() -> Iterator[SocketModeStandIn]:
    with SocketModeStandIn() as standin:
        yield standin


@pytest.fixture
def socket_bot(
    runtime: Runtime, slack: SlackStandIn, socket_standin: SocketModeStandIn
) -> Iterator[BotClient]:
    """The same bot, connected to Slack over Socket Mode: requests arrive as envelopes on a WebSocket."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    slack.socket_url = socket_standin.url
    app = build_app(runtime)
    handler = SocketModeHandler(app, "xapp-1-A0FLAGPOST-test")
    before = socket_standin.connections_made
    handler.connect()
    socket_standin.wait_connected(after=before)
    server = make_http_server(runtime, app, host="127.0.0.1", port=0, threads=2)
    client = BotClient(runtime, app, slack, server, socket=socket_standin)
    yield client
    _close_socket_mode(handler)
    client.close()
    slack.socket_url = None


def _close_socket_mode(handler: Any) -> None:
    """slack_sdk's session loop sets its state to "not terminated" when it starts: a close that comes first
    (a short test) is undone and the loop never ends. Close, and if it hangs, terminate the state again."""
    closing = threading.Thread(target=handler.close, name="socket-mode-close", daemon=True)
    closing.start()
    closing.join(5)
    if closing.is_alive():
        handler.client.current_session_state.terminated = True
        closing.join(5)
    assert not closing.is_alive(), "the Socket Mode client did not close"


# ----- proof that PostgreSQL was really used (CI sets FLAGPOST_REQUIRE_POSTGRES=1)

_postgres_outcomes: dict[str, int] = {"passed": 0, "skipped": 0, "failed": 0}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgresql" in report.nodeid and (report.when == "call" or report.outcome == "skipped"):
        _postgres_outcomes[report.outcome] = _postgres_outcomes.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    terminalreporter.write_line(
        "PostgreSQL tests: {passed} passed, {skipped} skipped, {failed} failed".format(**_postgres_outcomes)
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("FLAGPOST_REQUIRE_POSTGRES") and (
        _postgres_outcomes["passed"] == 0 or _postgres_outcomes["skipped"]
    ):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nFLAGPOST_REQUIRE_POSTGRES is set but PostgreSQL tests were skipped or none ran.")
