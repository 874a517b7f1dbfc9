"""Engine, sessions, the declarative base and migrations."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, inspect, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from bot.errors import ConfigError
from bot.schema import MIGRATIONS, shipped_head

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware UTC datetimes on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalize_url(url: str) -> str:
    """Let `postgresql://` mean psycopg 3, the driver we ship."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


SUPPORTED = ("sqlite", "postgresql")
# Every SQLite commit reaches the disk before it returns (the write-ahead log is fsynced): an acknowledged
# flag survives a power cut. Said here, not left to the library's build-time default.
SQLITE_SYNCHRONOUS = "FULL"
# An execution option: no BEGIN for this SQLite connection, each statement commits on its own (pysqlite's
# own autocommit, which the "begin" recipe below otherwise replaces).
NO_BEGIN = "flagpost_no_begin"
CONNECT_TIMEOUT_SECONDS = 5  # a PostgreSQL that accepts and never answers must not hang every command


def _check_url(url: str) -> None:
    """Refuse, in one sentence, an address Flagpost cannot use, without repeating its password."""
    scheme = url.partition(":")[0]
    if scheme.partition("+")[0] not in SUPPORTED:
        raise ConfigError(
            f"DATABASE_URL: Flagpost works with SQLite (sqlite:///path/flagpost.db) or PostgreSQL "
            f"(postgresql://user:password@host:5432/db), not {scheme or url[:20]!r}"
        )


def check_sqlite_file(path: str) -> None:
    """SQLite's own message for a folder it cannot write is "unable to open database file": say which
    folder, and why (it writes its journal beside the database, so the folder must be writable too)."""
    if path in ("", ":memory:") or path.startswith("file:"):
        return
    file = Path(path).resolve()
    folder = file.parent
    who = f"the user running Flagpost (uid {os.getuid()})" if hasattr(os, "getuid") else "this user"
    if not folder.is_dir():
        raise ConfigError(f"DATABASE_URL: the folder {folder} does not exist; create it or choose another")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"DATABASE_URL: {folder} is read-only for {who}; SQLite needs to write the database and its "
            "journal files there"
        )
    if file.exists() and not os.access(file, os.R_OK | os.W_OK):
        raise ConfigError(f"DATABASE_URL: {file} cannot be read and written by {who}")


def require_existing_database(url: str) -> None:
    """For commands that only read what the bot has stored: an embedded database that does not exist here
    means the wrong folder or a missing DATABASE_URL, not an empty answer (and no new file is made)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(normalize_url(url))
    path = parsed.database or ""
    if parsed.get_backend_name() == "sqlite" and path not in ("", ":memory:") and not Path(path).exists():
        raise ConfigError(
            f"there is no database at {Path(path).resolve()}: run this where the bot runs, or set DATABASE_URL"
        )


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    _check_url(url)
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        # Bolt runs listeners in a thread pool: share the file across threads, wait for locks.
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        # No pre-ping: it costs a round trip on every checkout. Recycling bounds how stale a pooled
        # connection can get; one dropped by a database restart fails one request, then is replaced.
        kwargs.update(pool_size=10, max_overflow=20, pool_recycle=300)
        if "connect_timeout=" not in url:  # the URL's own connect_timeout wins
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    try:
        engine = create_engine(url, **kwargs)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ConfigError(
            f"DATABASE_URL is not a database address Flagpost can use ({type(exc).__name__})"
        ) from None
    if engine.dialect.name == "sqlite":
        _sqlite_events(engine, url)
    return engine


def _sqlite_events(engine: Engine, url: str) -> None:
    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if url not in ("sqlite://", "sqlite:///:memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.close()
        # pysqlite starts transactions itself, late and without savepoints; let SQLAlchemy do it
        # (its documented recipe), so `begin_nested()` is a real savepoint inside one transaction.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Any) -> None:
        if not connection.get_execution_options().get(NO_BEGIN):
            connection.exec_driver_sql("BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session, committed on success, rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def compare_and_set(session: Session, model: type[Any], item_id: int, version: int, **values: Any) -> bool:
    """Apply `values` and bump the version, only if the row is still at `version`: of two people acting at
    once, exactly one wins, and the other can be told why from the row as it now is."""
    result = session.execute(
        update(model)
        .where(model.id == item_id, model.version == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def upsert(session: Session, model: type[Any]) -> Any:
    """An INSERT that can say `ON CONFLICT … DO UPDATE/NOTHING` and `RETURNING`, in the session's dialect
    (both SQLite and PostgreSQL have them): one statement where a SELECT, then an INSERT or an UPDATE,
    would take two and race with a replica doing the same."""
    return upsert_for(session.get_bind(), model)


def upsert_for(bind: Any, model: type[Any]) -> Any:
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


START_LOCK = 0x53746172  # "Star": the advisory lock replicas take while they start their domains


@contextmanager
def one_replica_at_a_time(engine: Engine, key: int) -> Iterator[None]:
    """On PostgreSQL, hold an advisory lock (on a connection of its own) for the block: replicas starting
    together do their start-up work (loading the policies…) one after the other, and the later ones find it
    done. SQLite serves one process: nothing to take."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def stored_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None when it has no schema yet), with plain SQL."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


def prepare_database(url: str) -> None:
    """Bring the database to the newest schema (what `flagpost run` does on every start). Nothing to do,
    the usual case, costs one query."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = make_engine(url)
        if engine.dialect.name == "sqlite":
            check_sqlite_file(engine.url.database or "")
        try:
            before = stored_revision(engine)
        finally:
            engine.dispose()
        head = shipped_head()
        if head is not None and before == head:
            return
        upgrade(url)
        log.info("database schema: upgraded from %s to the newest (%s)", before or "empty", head or "head")
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"the database at DATABASE_URL could not be prepared: {describe_error(exc)}"
        ) from None


def describe_error(exc: Exception) -> str:
    """A database error in one line: its kind and the first line of the driver's message."""
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(exc).__name__}: {first[0] if first else 'no detail'}"


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command
    from alembic.util import CommandError

    try:
        command.downgrade(alembic_config(url), revision)
    except CommandError as exc:
        raise ConfigError(
            f"cannot downgrade to {revision!r}: {exc} (revisions: {known_revisions()})"
        ) from None


def known_revisions() -> str:
    names = sorted(path.name.split("_", 1)[0] for path in (MIGRATIONS / "versions").glob("*.py"))
    return ", ".join(["base", *names])


def current_revision(engine: Engine) -> str | None:
    return stored_revision(engine)


def head_revision(url: str) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()
