"""Answer quality on a question set: hit@1, hit@3, MRR, and how often unanswerable questions are refused."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from bot.policy.search import PolicyIndex, Tuning


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[str, ...]  # clause keys "document-id#number"; empty: the policies do not answer it


@dataclass
class Report:
    answerable: int
    hit1: float
    hit3: float
    mrr: float
    answered_confidently: float  # answerable questions given a confident answer
    unanswerable: int
    refused: int
    misses: list[tuple[str, list[str], list[str]]]  # question, expected, got (top 3)
    wrongly_answered: list[tuple[str, str]]


def load_questions(path: Path) -> list[Question]:
    """Answers are written "<document> <clause>" with a short document alias (taber, westlock…)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Question(entry["text"], tuple("#".join(answer.split(" ", 1)) for answer in entry.get("answers", [])))
        for entry in data.get("q", [])
    ]


def evaluate(index: PolicyIndex, questions: list[Question]) -> Report:
    documents = sorted({clause.document_id for clause in index.clauses})
    resolved = [Question(q.text, tuple(_resolve(key, documents) for key in q.answers)) for q in questions]
    answerable = [q for q in resolved if q.answers]
    unanswerable = [q for q in resolved if not q.answers]
    hit1 = hit3 = reciprocal = confident = 0.0
    misses, wrongly = [], []
    for question in answerable:
        answer = index.search(question.text, k=10)
        keys = [hit.clause.key for hit in answer.hits]
        rank = next((i for i, key in enumerate(keys, start=1) if key in question.answers), None)
        hit1 += rank == 1
        hit3 += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
        confident += answer.confident
        if rank != 1:
            misses.append((question.text, list(question.answers), keys[:3]))
    refused = 0
    for question in unanswerable:
        answer = index.search(question.text, k=3)
        if answer.confident:
            wrongly.append((question.text, answer.hits[0].clause.key))
        else:
            refused += 1
    n = max(len(answerable), 1)
    return Report(
        len(answerable),
        hit1 / n,
        hit3 / n,
        reciprocal / n,
        confident / n,
        len(unanswerable),
        refused,
        misses,
        wrongly,
    )


def _resolve(key: str, documents: list[str]) -> str:
    alias, _, number = key.partition("#")
    document = next((doc for doc in documents if doc.startswith(alias)), alias)
    return f"{document}#{number}"


def print_report(report: Report, verbose: bool = False) -> None:
    print(f"answerable questions: {report.answerable}")
    print(
        f"  hit@1 {report.hit1:.3f}   hit@3 {report.hit3:.3f}   MRR {report.mrr:.3f}   "
        f"answered confidently {report.answered_confidently:.0%}"
    )
    print(f"unanswerable questions: {report.unanswerable}, refused {report.refused}")
    if verbose:
        for text, expected, got in report.misses:
            print(f"  MISS {text!r}\n       expected {expected[:2]}\n       got      {got}")
        for text, key in report.wrongly_answered:
            print(f"  ANSWERED (should refuse) {text!r} → {key}")


ABLATIONS: dict[str, dict[str, bool]] = {
    "everything": {},
    "without stemming": {"stemming": False},
    "without the heading field": {"headings": False},
    "without the parent-clause field": {"context": False},
    "without weak platform words": {"weak_words": False},
    "without the phrase bonus": {"phrases": False},
    "without synonyms and abbreviations": {"synonyms": False},
    "without typo correction": {"typos": False},
}


def ablation(index: PolicyIndex, questions: list[Question]) -> list[tuple[str, Report]]:
    """The same questions with one technique switched off at a time: each technique's gain."""
    rows = []
    for name, change in ABLATIONS.items():
        variant = PolicyIndex(index.clauses, dataclasses.replace(index.tuning or Tuning(), **change))
        rows.append((name, evaluate(variant, questions)))
    return rows
