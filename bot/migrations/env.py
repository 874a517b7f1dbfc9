"""Alembic environment: the URL comes from the Config object that bot.db builds."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool, text

from bot.db import Base, UTCDateTime
from bot.domains import load_models

load_models()

config = context.config
MIGRATION_LOCK = 0x466C6167  # "Flag": the advisory lock taken while migrating PostgreSQL
target_metadata = Base.metadata


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Migrations stay self-contained: our UTC column type is a plain timezone-aware DateTime."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        connectable = engine_from_config(
            config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
        )
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            render_item=render_item,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting together all migrate: one at a time. The lock is held until this
                # transaction commits, and Alembic reads the schema's revision only after taking it, so the
                # next one finds the work done.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
