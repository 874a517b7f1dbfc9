"""Which schema revision Flagpost ships, and whether a SQLite database is already at it, without importing
SQLAlchemy or Alembic (together most of a second). Most starts find nothing to migrate: `flagpost policy
ask` asks here first and imports the database layer only when there is something to do.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"  # shipped inside the package
_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision[^=\n]*=(.*)$", re.MULTILINE)


def shipped_head() -> str | None:
    """The newest revision, read from the migration files' `revision`/`down_revision` lines. None when the
    files do not read as one chain with one head: then Alembic decides."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def sqlite_file(url: str) -> Path | None:
    """The file of a `sqlite:///relative.db` or `sqlite:////absolute.db` address; None for anything else."""
    match = re.fullmatch(r"sqlite(?:\+pysqlite)?:///([^?]+)", url)
    if match is None or match.group(1) == ":memory:":
        return None
    return Path(match.group(1))


def sqlite_is_current(url: str) -> bool:
    """True when `url` is an existing SQLite file already at the shipped head. False means "ask the
    database layer" (it may still be current: PostgreSQL, an unusual URL, a busy file)."""
    path, head = sqlite_file(url), shipped_head()
    if path is None or head is None or not path.is_file():
        return False
    try:
        with closing(sqlite3.connect(path, timeout=5)) as connection:
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:
        return False
    return rows == [(head,)]
