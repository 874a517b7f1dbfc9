"""Clause files on disk ⇄ the clause database. Files are the source of truth that ships with Flagpost;
the database holds what the running bot searches, re-indexed when a file changes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from bot.policy.files import clause_files, file_clauses, read_clause_file, short_name
from bot.policy.models import PolicyClause, PolicyDocument


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def sync_clause_files(*, session: Session, now: datetime, directories: Sequence[Path]) -> SyncReport:
    """Load every clause file of `directories` into the database; only changed documents are re-indexed."""
    known = {doc.id: doc for doc in session.scalars(select(PolicyDocument))}
    added, updated, unchanged = [], [], []
    for doc_id, path in sorted(clause_files(directories).items()):
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
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
        short_name=short_name(data, doc_id),
        policy_number=data.get("policy_number", ""),
        adopted=data.get("adopted", ""),
        revised=list(data.get("revised", [])),
        source=data.get("source", ""),
        content_hash=digest,
        imported_at=now,
    )
    for position, clause in enumerate(file_clauses(data)):
        document.clauses.append(PolicyClause(position=position, **clause._asdict()))
    return document


def all_documents(*, session: Session) -> list[PolicyDocument]:
    return list(
        session.scalars(
            select(PolicyDocument).options(selectinload(PolicyDocument.clauses)).order_by(PolicyDocument.id)
        )
    )
