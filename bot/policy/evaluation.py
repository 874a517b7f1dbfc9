"""Answer quality on honest splits: hit@1, hit@3, MRR, unanswerable questions refused and answerable ones
answered, on the tuning split (where the weights are chosen) and on the held-out split (which is only ever
reported, in aggregate).

The tuning split is the curated set that ships with the bot (`bot/policy/questions/*.toml`: its questions are
also the curated exemplars); on it each question is scored leave-one-out, so it is never its own exemplar.
Questions labelled in one document only (the exemplar files) are scored within that document, and the
ranking weights are chosen on the others, whose answers name every document's answering clause.
The held-out split is `tests/policy_questions_heldout.toml`, written from the policies alone by someone who
never saw the search code; its questions never become exemplars.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path

from bot.policy.curated import (
    ONE_DOCUMENT,
    Question,
    load_questions,
    ranked_questions,
    resolve,
    tuning_questions,
)
from bot.policy.hybrid import Calibration, Searcher, Techniques

HELDOUT_FILE = Path("tests/policy_questions_heldout.toml")
__all__ = ["Question", "load_questions", "ranked_questions", "tuning_questions"]


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

    @property
    def refused_share(self) -> float:
        return self.refused / self.unanswerable if self.unanswerable else 1.0


def evaluate(index: Searcher, questions: list[Question], leave_one_out: bool = False) -> Report:
    documents = sorted({clause.document_id for clause in index.clauses})
    resolved = resolve(questions, documents)
    answerable = [q for q in resolved if q.answers]
    unanswerable = [q for q in resolved if not q.answers]
    hit1 = hit3 = reciprocal = confident = 0.0
    misses, wrongly = [], []
    for question in answerable:
        one_document = question.labelled == ONE_DOCUMENT
        within = tuple(sorted({key.split("#")[0] for key in question.answers})) if one_document else ()
        answer = index.search(
            question.text, k=10, exclude_exemplar=question.text if leave_one_out else None, within=within
        )
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
        answer = index.search(question.text, k=3, exclude_exemplar=question.text if leave_one_out else None)
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


HEADER = f"{'':34} {'questions':>9}  hit@1  hit@3  MRR    unanswerable refused  answerable answered"


def report_row(name: str, report: Report) -> str:
    return (
        f"{name:34} {report.answerable + report.unanswerable:>9}  {report.hit1:.3f}  {report.hit3:.3f}  "
        f"{report.mrr:.3f}  {report.refused:>3}/{report.unanswerable:<3} {report.refused_share:>7.0%}  "
        f"{report.answered_confidently:>10.0%}"
    )


def by_kind(
    index: Searcher, questions: list[Question], leave_one_out: bool = False
) -> list[tuple[str, Report]]:
    """The same figures per kind of question (keyword, paraphrase, situational, typo, town, unanswerable):
    still aggregates, so the held-out split may be read this way."""
    kinds = sorted({q.kind or "unlabelled" for q in questions})
    return [
        (kind, evaluate(index, [q for q in questions if (q.kind or "unlabelled") == kind], leave_one_out))
        for kind in kinds
    ]


def print_misses(report: Report) -> None:
    """Only ever for the tuning split: the held-out split is looked at in aggregate."""
    for text, expected, got in report.misses:
        print(f"  MISS {text!r}\n       expected {expected[:2]}\n       got      {got}")
    for text, key in report.wrongly_answered:
        print(f"  ANSWERED (should refuse) {text!r} → {key}")


ABLATIONS: dict[str, Techniques] = {
    "everything": Techniques(),
    "without routing by town": Techniques(routing=False),
    "without dense (BM25F alone)": Techniques(dense=False),
    "without fusion (dense alone)": Techniques(fusion=False),
    "without exemplars": Techniques(exemplars=False),
    "without unanswerable exemplars": Techniques(unanswered=False),
}


def ablation(index: Searcher, questions: list[Question]) -> list[tuple[str, Report]]:
    """The same questions with one technique switched off at a time: each technique's gain."""
    return [(name, evaluate(index.variant(techniques), questions)) for name, techniques in ABLATIONS.items()]


def tune(index: Searcher, questions: list[Question]) -> tuple[Calibration, Report]:
    """On the tuning split, leave-one-out: the fusion and exemplar weights with the best hit@1 (then MRR) on
    the questions labelled across documents; then the unanswered weight and refusal threshold that refuse
    the most unanswerable questions while answering ≥ 95% of answerable ones, on every question."""
    ranked = ranked_questions(questions)
    best: tuple[tuple[float, float], Calibration] | None = None
    for weight, lift, floor in itertools.product(
        [x / 10 for x in range(3, 10)], [0.0, 0.3, 0.5, 0.8, 1.2, 1.6], [0.4, 0.5, 0.6, 0.7]
    ):
        calibration = Calibration(weight, lift, floor)
        report = evaluate(index.variant(calibration=calibration), ranked, leave_one_out=True)
        key = (report.hit1, report.mrr)
        if best is None or key > best[0]:
            best = (key, calibration)
    assert best is not None
    refusals = []
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        trial = index.variant(calibration=replace(best[1], unanswered_weight=share))
        threshold, refused = refusal_threshold(trial, questions)
        refusals.append((refused, -share, replace(trial.calibration, refuse_below=threshold)))
    chosen = max(refusals, key=lambda row: row[:2])[2]
    return chosen, evaluate(index.variant(calibration=chosen), ranked, leave_one_out=True)


def refusal_threshold(
    index: Searcher, questions: list[Question], answered: float = 0.95
) -> tuple[float, float]:
    """The highest threshold that still answers `answered` of the answerable questions, and the share of
    unanswerable ones it refuses. Every question is searched as the bot searches it, across all documents
    unless it names a town (not within its labelled document, as `evaluate` scores the exemplar files)."""
    documents = sorted({clause.document_id for clause in index.clauses})
    evidence: dict[bool, list[float]] = {True: [], False: []}
    for question in resolve(questions, documents):
        answer = index.search(question.text, k=1, exclude_exemplar=question.text)
        evidence[bool(question.answers)].append(answer.evidence or 0.0)
    answerable = sorted(evidence[True])
    if not answerable:
        return 0.0, 0.0
    keep = int(len(answerable) * (1 - answered))  # may refuse this many answerable questions
    threshold = round(answerable[keep] - 1e-4, 4)
    refused = sum(value < threshold for value in evidence[False]) / max(len(evidence[False]), 1)
    return threshold, refused
