"""The curated question set: the tuning split that ships with the bot (`questions/*.toml`). Its questions are
the curated exemplars: an answerable one lifts its clause for questions close to it, an unanswerable one
counts against answering questions close to it. It is also the split the weights are chosen on.

Three kinds of file, by their `labelled` key:
- "across documents" (the default; development.toml, tuning.toml): the answers name every document's answering
  clause, so these judge ranking, and the ranking weights are chosen on them;
- "one document" (exemplars-*.toml): the answers name only their own document's clause, so these are scored
  within that document;
- "unanswerable" (unanswerable-*.toml): questions none of the policies answers."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from bot.policy.hybrid import Exemplar

QUESTIONS = Path(__file__).resolve().parent / "questions"
TUNING_FILES = tuple(sorted(QUESTIONS.glob("*.toml")))
ACROSS_DOCUMENTS, ONE_DOCUMENT, UNANSWERABLE = "across documents", "one document", "unanswerable"


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[str, ...]  # clause keys "document-id#number"; empty: the policies do not answer it
    kind: str = ""
    labelled: str = (
        ACROSS_DOCUMENTS  # or ONE_DOCUMENT: its answers name one document's clauses; others may too
    )


def load_questions(path: Path) -> list[Question]:
    """Answers are written "<document> <clause>" with a short document alias (taber, westlock…)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    labelled = data.get("labelled", ACROSS_DOCUMENTS)
    if labelled not in (ACROSS_DOCUMENTS, ONE_DOCUMENT, UNANSWERABLE):
        raise ValueError(f"{path.name}: labelled = {labelled!r} is not one of the three kinds")
    questions = [
        Question(
            entry["text"],
            tuple("#".join(answer.split(" ", 1)) for answer in entry.get("answers", [])),
            entry.get("kind", ""),
            labelled,
        )
        for entry in data.get("q", [])
    ]
    for question in questions:
        documents = {answer.split("#")[0] for answer in question.answers}
        if (labelled == UNANSWERABLE and documents) or (labelled == ONE_DOCUMENT and len(documents) > 1):
            raise ValueError(f"{path.name}: {question.text!r} has answers its file's label forbids")
    return questions


def tuning_questions() -> list[Question]:
    return [q for path in TUNING_FILES if path.is_file() for q in load_questions(path)]


def ranked_questions(questions: list[Question] | None = None) -> list[Question]:
    """The questions (by default, the tuning split's) whose answers name every document's answering clause:
    ranking is judged on these."""
    return [
        q for q in (tuning_questions() if questions is None else questions) if q.labelled == ACROSS_DOCUMENTS
    ]


def resolve(questions: list[Question], documents: list[str]) -> list[Question]:
    """Short aliases ("taber 1.03(f)") → clause keys of the loaded documents."""
    return [replace(q, answers=tuple(_resolve(key, documents) for key in q.answers)) for q in questions]


def _resolve(key: str, documents: list[str]) -> str:
    alias, _, number = key.partition("#")
    document = next((doc for doc in documents if doc.startswith(alias)), alias)
    return f"{document}#{number}"


def curated_exemplars(documents: list[str]) -> list[Exemplar]:
    """Each question of the tuning split: an exemplar of each of its clauses, or of no clause at all."""
    exemplars = []
    for question in resolve(tuning_questions(), documents):
        exemplars += [Exemplar(question.text, key) for key in question.answers] or [
            Exemplar(question.text, None)
        ]
    return exemplars
