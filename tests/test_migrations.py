"""Migrations upgrade an empty database to the newest schema and downgrade back, on both backends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from bot import db
from bot.domains import load_models
from tests.conftest import ROOT, reset_pg_schema


def roundtrip(url: str) -> None:
    db.upgrade(url)
    engine = create_engine(db.normalize_url(url))
    tables = set(inspect(engine).get_table_names())
    assert set(load_models().metadata.tables) <= tables
    assert db.current_revision(engine) == db.head_revision(url)
    db.downgrade(url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(url)
    assert set(load_models().metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_sqlite_upgrade_from_empty_and_downgrade(tmp_path: Path) -> None:
    roundtrip(f"sqlite:///{tmp_path}/m.db")


def test_postgresql_upgrade_from_empty_and_downgrade(pg_url: str) -> None:
    roundtrip(reset_pg_schema(pg_url, "flagpost_migrations"))


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """No model change without its migration: autogenerate finds nothing to do at head."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url = f"sqlite:///{tmp_path}/m.db"
    db.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), load_models().metadata)
    assert diff == [], diff


@pytest.mark.parametrize("revision", ["0001"])
def test_partial_downgrade_keeps_the_foundation(tmp_path: Path, revision: str) -> None:
    url = f"sqlite:///{tmp_path}/m.db"
    db.upgrade(url)
    db.downgrade(url, revision)
    engine = create_engine(url)
    assert "audit_events" in inspect(engine).get_table_names()
    assert "flags" not in inspect(engine).get_table_names()


def test_replicas_starting_together_migrate_once(pg_url: str) -> None:
    """Three processes starting at once on an empty PostgreSQL each run `prepare_database` (as `flagpost run`
    does): the advisory lock makes them take turns, and the later ones find the schema at the newest revision."""
    url = reset_pg_schema(pg_url, "flagpost_migrations")
    code = f"from bot import db; db.prepare_database({url!r})"
    starts = [
        subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    errors = [process.communicate(timeout=120)[1] for process in starts]
    assert [process.returncode for process in starts] == [0, 0, 0], errors
    engine = create_engine(db.normalize_url(url))
    assert db.current_revision(engine) == db.head_revision(url)
    engine.dispose()
