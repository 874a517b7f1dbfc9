"""Policy answers: the searchable library, the record of questions and votes, and the human path."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot import audit
from bot.calendar import BusinessCalendar
from bot.config import Organization
from bot.errors import Conflict, InvalidInput, NotFound
from bot.flags import intake as flags
from bot.flags.models import Kind, flag_ref
from bot.policy.curated import curated_exemplars
from bot.policy.embedding import Embedder, load_embedder
from bot.policy.files import search_clauses
from bot.policy.hybrid import Exemplar, Searcher
from bot.policy.library import SyncReport, all_documents, sync_clause_files
from bot.policy.models import ITEM, PolicyDocument, PolicyExemplar, PolicyFeedback, PolicyQuestion
from bot.policy.search import Answer, SearchClause, Tuning

MAX_QUESTION_LENGTH = 1000


class PolicyLibrary:
    """The index the bot searches, built from the clause database; rebuilt (atomically) after an import.
    The embedding model is loaded here, once per process; without it (or with `lexical`) search is lexical."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        own_documents: tuple[str, ...] = (),
        tuning: Tuning | None = None,
        lexical: bool = False,
        embedder: Embedder | None = None,
    ):
        self.factory = factory
        self.own_documents = set(own_documents)
        self.tuning = tuning
        self.embedder = None if lexical else (embedder or load_embedder())
        self._index: Searcher | None = None
        self._fingerprint: tuple[tuple[str, str], ...] = ()
        self._lock = threading.Lock()

    def _current_fingerprint(self) -> tuple[tuple[str, str], ...]:
        with self.factory() as session:
            rows = session.execute(
                select(PolicyDocument.id, PolicyDocument.content_hash).order_by(PolicyDocument.id)
            )
            return tuple((doc_id, digest) for doc_id, digest in rows)

    def refresh_if_changed(self) -> bool:
        """Rebuild when an import (perhaps by `flagpost policy import` in another process) changed the clauses."""
        if self._index is not None and self._current_fingerprint() == self._fingerprint:
            return False
        self.rebuild()
        return True

    def rebuild(self) -> Searcher:
        fingerprint = self._current_fingerprint()
        with self.factory() as session:
            clauses = [
                clause
                for doc in all_documents(session=session)
                for clause in search_clauses(doc.id, doc.short_name, doc.clauses, self.is_own(doc.id))
            ]
            exemplars = self._exemplars(session, clauses)
        index = Searcher(clauses, embedder=self.embedder, tuning=self.tuning, exemplars=exemplars)
        with self._lock:
            self._index, self._fingerprint = index, fingerprint
        return index

    @staticmethod
    def _exemplars(session: Session, clauses: list[SearchClause]) -> list[Exemplar]:
        documents = sorted({clause.document_id for clause in clauses})
        return curated_exemplars(documents) + voted_exemplars(session=session)

    def refresh_exemplars(self) -> None:
        """After a vote: the exemplars again (only a new question is encoded), without rebuilding the index."""
        index = self.index
        with self.factory() as session:
            index.set_exemplars(self._exemplars(session, index.clauses))

    @property
    def mode(self) -> str:
        return "fused" if self.embedder is not None else "lexical"

    def is_own(self, document_id: str) -> bool:
        return not self.own_documents or document_id in self.own_documents

    @property
    def index(self) -> Searcher:
        return self._index if self._index is not None else self.rebuild()

    def ask(self, question: str, k: int = 3) -> Answer:
        return self.index.search(question, k)


def check_question(text: str) -> str:
    question = " ".join((text or "").split())
    if not question:
        raise InvalidInput("Ask a question after the command, like `/policy can I post photos from work?`")
    if len(question) > MAX_QUESTION_LENGTH:
        raise InvalidInput(f"Please keep the question under {MAX_QUESTION_LENGTH:,} characters.")
    return question


def load_library(*, session: Session, now: datetime, directories: Sequence[Path]) -> SyncReport:
    for directory in directories:
        if not directory.is_dir():
            raise InvalidInput(f"{directory}: there is no clause directory here")
    return sync_clause_files(session=session, now=now, directories=directories)


def shown(answer: Answer) -> list[dict[str, Any]]:
    return [
        {"document": hit.clause.document_id, "clause": hit.clause.number, "score": round(hit.score, 3)}
        for hit in answer.hits
    ]


@dataclass(frozen=True)
class AskedQuestion:
    id: int
    answer: Answer


def record_question(
    *, session: Session, now: datetime, asked_by: str, source: str, answer: Answer
) -> AskedQuestion:
    row = PolicyQuestion(
        asked_by=asked_by,
        asked_at=now,
        question=answer.question,
        source=source,
        confident=answer.confident,
        shown=shown(answer),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        at=now,
        actor=asked_by,
        action="asked" if answer.confident else "refused",
        item_type=ITEM,
        item_id=row.id,
        source=source,
        reason=answer.reason or None,
    )
    return AskedQuestion(row.id, answer)


def _question(session: Session, question_id: int, lock: bool = False) -> PolicyQuestion:
    """The question; with `lock`, its row is held until this transaction ends (PostgreSQL's FOR UPDATE;
    SQLite has one writer at a time already), so simultaneous clicks on its buttons take turns and each
    sees what the one before it did."""
    row = session.get(PolicyQuestion, question_id, with_for_update=lock or None, populate_existing=lock)
    if row is None:
        raise NotFound("That question is no longer on record.")
    return row


def record_feedback(*, session: Session, now: datetime, question_id: int, user: str, helpful: bool) -> bool:
    """Store the vote (a second vote by the same person replaces the first, however close together they
    come). Returns the stored value."""
    row = _question(session, question_id, lock=True)
    vote = next((vote for vote in row.feedback if vote.user == user), None)
    if vote is None:
        row.feedback.append(PolicyFeedback(user=user, helpful=helpful, at=now))
    else:
        vote.helpful, vote.at = helpful, now
    _keep_exemplar(session, row, now)
    audit.record(
        session,
        at=now,
        actor=user,
        action="helpful" if helpful else "not_helpful",
        item_type=ITEM,
        item_id=question_id,
        shown=row.shown,
    )
    return helpful


def send_to_communications(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    question_id: int,
    actor: str,
) -> str:
    """The human path: the question becomes an item on the moderators' board, of kind "staff question".
    Returns the item's reference; a second click, even a simultaneous one, returns the same one."""
    row = _question(session, question_id, lock=True)
    if row.asked_by != actor:
        raise Conflict("Only the person who asked can send this question on.")
    if row.sent_to_flag_id is not None:
        return flag_ref(row.sent_to_flag_id)
    receipt = flags.file_flag(
        session=session,
        now=now,
        org=org,
        calendar=calendar,
        reporter=actor,
        url=None,
        note=row.question,
        kind=Kind.STAFF_QUESTION,
        priority="other",
        source="policy",
    )
    row.sent_to_flag_id = receipt.flag_id
    audit.record(
        session,
        at=now,
        actor=actor,
        action="sent_to_communications",
        item_type=ITEM,
        item_id=question_id,
        flag=receipt.ref,
    )
    return receipt.ref


def _keep_exemplar(session: Session, row: PolicyQuestion, now: datetime) -> None:
    """A question with a Helpful vote is an exemplar of the clause shown first; with none, it is not."""
    session.flush()
    exemplar = session.scalar(select(PolicyExemplar).where(PolicyExemplar.question_id == row.id))
    helpful = row.confident and bool(row.shown) and any(vote.helpful for vote in row.feedback)
    if helpful and exemplar is None:
        first = row.shown[0]
        session.add(
            PolicyExemplar(
                question_id=row.id,
                document_id=first["document"],
                clause_number=first["clause"],
                text=row.question,
                created_at=now,
            )
        )
    elif not helpful and exemplar is not None:
        session.delete(exemplar)


def voted_exemplars(*, session: Session) -> list[Exemplar]:
    rows = session.scalars(select(PolicyExemplar).order_by(PolicyExemplar.id))
    return [Exemplar(row.text, f"{row.document_id}#{row.clause_number}") for row in rows]


@dataclass(frozen=True)
class ReportLine:
    asked_at: datetime
    question: str
    verdict: str  # "refused" | "not helpful (n)" | "helpful (n)"
    shown: str


def owner_report(*, session: Session, limit: int = 50) -> list[ReportLine]:
    """What the policy's owner should read: refused questions (a missing policy) and answers voted not helpful."""
    rows = session.scalars(
        select(PolicyQuestion)
        .options(selectinload(PolicyQuestion.feedback))
        .order_by(PolicyQuestion.asked_at.desc())
        .limit(limit * 5)
    )
    lines = []
    for row in rows:
        unhelpful = sum(1 for vote in row.feedback if not vote.helpful)
        if row.confident and not unhelpful:
            continue
        verdict = "refused" if not row.confident else f"not helpful ({unhelpful})"
        shown_text = ", ".join(f"{item['document']} {item['clause']}" for item in row.shown[:3])
        lines.append(ReportLine(row.asked_at, row.question, verdict, shown_text if row.confident else ""))
        if len(lines) >= limit:
            break
    return lines
