"""Migrations upgrade an empty database to the newest schema and downgrade back, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect

from bot import db
from bot.domains import load_models
from tests.conftest import reset_pg_schema


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
