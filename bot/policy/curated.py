"""The curated question set: the tuning split that ships with the bot. Its questions are the curated
exemplars (each lifts its clause for questions close to it), and the split the weights are chosen on."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from bot.policy.hybrid import Exemplar

QUESTIONS = Path(__file__).resolve().parent / "questions"
TUNING_FILES = (QUESTIONS / "development.toml", QUESTIONS / "tuning.toml")


@dataclass(frozen=True)
class Question:
    text: str
    answers: tuple[str, ...]  # clause keys "document-id#number"; empty: the policies do not answer it
    kind: str = ""


def load_questions(path: Path) -> list[Question]:
    """Answers are written "<document> <clause>" with a short document alias (taber, westlock…)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Question(
            entry["text"],
            tuple("#".join(answer.split(" ", 1)) for answer in entry.get("answers", [])),
            entry.get("kind", ""),
        )
        for entry in data.get("q", [])
    ]


def tuning_questions() -> list[Question]:
    return [q for path in TUNING_FILES if path.is_file() for q in load_questions(path)]


def resolve(questions: list[Question], documents: list[str]) -> list[Question]:
    """Short aliases ("taber 1.03(f)") → clause keys of the loaded documents."""
    return [replace(q, answers=tuple(_resolve(key, documents) for key in q.answers)) for q in questions]


def _resolve(key: str, documents: list[str]) -> str:
    alias, _, number = key.partition("#")
    document = next((doc for doc in documents if doc.startswith(alias)), alias)
    return f"{document}#{number}"


def curated_exemplars(documents: list[str]) -> list[Exemplar]:
    """Each answerable question of the tuning split, as an exemplar of each of its clauses."""
    return [Exemplar(q.text, key) for q in resolve(tuning_questions(), documents) for key in q.answers]
