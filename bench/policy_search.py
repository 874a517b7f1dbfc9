"""Benchmark: time per policy question, on the shipped policies and on a synthetic corpus of 50,000 clauses.

    .venv/bin/python bench/policy_search.py [--clauses 50000] [--rounds 5]

The questions are the development set (tests/policy_questions.toml). The synthetic clauses are made from
the shipped clauses' own words (same word frequencies, same clause lengths), so the index has realistic
posting-list lengths; it also prints how long building each index takes.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.policy import SHIPPED_CLAUSES  # noqa: E402
from bot.policy.evaluation import load_questions  # noqa: E402
from bot.policy.search import PolicyIndex, SearchClause  # noqa: E402


def shipped_clauses() -> list[SearchClause]:
    clauses = []
    for path in sorted(SHIPPED_CLAUSES.glob("*.json")):
        data = json.loads(path.read_text())
        clauses += [
            SearchClause(path.stem, data["short_name"], c["number"], " › ".join(c["heading_path"]), c["text"])
            for c in data["clauses"]
        ]
    return clauses


def synthetic_clauses(base: list[SearchClause], count: int, seed: int = 1) -> list[SearchClause]:
    rng = random.Random(seed)
    words = [word for clause in base for word in clause.text.split()]
    headings = [clause.heading for clause in base]
    lengths = [len(clause.text.split()) for clause in base]
    return [
        SearchClause(
            f"synthetic-{i // 500}",
            "Synthetic",
            f"{i % 500}.{i}",
            rng.choice(headings),
            " ".join(rng.choice(words) for _ in range(rng.choice(lengths))),
        )
        for i in range(count)
    ]


def measure(index: PolicyIndex, questions: list[str], rounds: int) -> dict[str, float]:
    timings = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            index.search(question, k=3)
            timings.append(time.perf_counter() - started)
    timings.sort()
    return {
        "questions": len(timings),
        "p50_ms": round(statistics.median(timings) * 1000, 2),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1] * 1000, 2),
        "max_ms": round(timings[-1] * 1000, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clauses", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    questions = [q.text for q in load_questions(ROOT / "tests" / "policy_questions.toml")]
    base = shipped_clauses()
    for name, clauses in (
        ("shipped policies", base),
        ("synthetic corpus", synthetic_clauses(base, args.clauses)),
    ):
        started = time.perf_counter()
        index = PolicyIndex(clauses)
        built = time.perf_counter() - started
        result = measure(index, questions, args.rounds)
        print(
            f"{name}: {len(clauses):,} clauses, index built in {built:.2f} s; {result['questions']} questions: "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
