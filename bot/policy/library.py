"""Clause files on disk ⇄ the clause database. Files are the source of truth that ships with Flagpost;
the database holds what the running bot searches, re-indexed when a file changes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from bot.errors import InvalidInput
from bot.policy.models import PolicyClause, PolicyDocument

CLAUSE_FILE_SUFFIX = ".json"


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def read_clause_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{path}: not a readable clause file ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("clauses"), list):
        raise InvalidInput(f"{path}: a clause file needs an object with a list of clauses")
    return data


def sync_clause_files(*, session: Session, now: datetime, directory: Path) -> SyncReport:
    """Load every clause file of `directory` into the database; only changed documents are re-indexed."""
    files = sorted(directory.glob(f"*{CLAUSE_FILE_SUFFIX}"))
    known = {doc.id: doc for doc in session.scalars(select(PolicyDocument))}
    added, updated, unchanged = [], [], []
    for path in files:
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        doc_id = path.stem
        existing = known.pop(doc_id, None)
        if existing is not None and existing.content_hash == digest:
            unchanged.append(doc_id)
            continue
        data = read_clause_file(path)
        if existing is not None:
            session.delete(existing)
            session.flush()
        session.add(_document_from(data, doc_id, digest, now))
        (updated if existing is not None else added).append(doc_id)
    removed = list(known)
    if removed:
        session.execute(delete(PolicyDocument).where(PolicyDocument.id.in_(removed)))
    session.flush()
    return SyncReport(added, updated, removed, unchanged)


def _document_from(data: dict[str, Any], doc_id: str, digest: str, now: datetime) -> PolicyDocument:
    document = PolicyDocument(
        id=doc_id,
        title=data.get("title", doc_id),
        organization=data.get("organization", ""),
        short_name=data.get("short_name") or data.get("organization") or doc_id,
        policy_number=data.get("policy_number", ""),
        adopted=data.get("adopted", ""),
        revised=list(data.get("revised", [])),
        source=data.get("source", ""),
        content_hash=digest,
        imported_at=now,
    )
    for position, clause in enumerate(data["clauses"]):
        document.clauses.append(
            PolicyClause(
                position=position,
                number=str(clause["number"]),
                title=clause.get("title", ""),
                heading_path=list(clause.get("heading_path", [])),
                text=str(clause["text"]),
            )
        )
    return document


def all_documents(*, session: Session) -> list[PolicyDocument]:
    return list(
        session.scalars(
            select(PolicyDocument).options(selectinload(PolicyDocument.clauses)).order_by(PolicyDocument.id)
        )
    )
