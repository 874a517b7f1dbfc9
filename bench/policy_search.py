"""Benchmark: time per policy question as the running bot searches (the fused search with the model, and
the lexical one), on the shipped policies and on a synthetic corpus of 50,000 clauses; and the wall time of
`flagpost policy ask` from the command line, with the model and with --lexical.

    .venv/bin/python bench/policy_search.py [--clauses 50000] [--rounds 3] [--cli-runs 5]

The questions are the tuning split (bot/policy/questions/). The synthetic clauses are made from the
shipped clauses' own words (same word frequencies, same clause lengths), so the index has realistic
posting-list lengths; their vectors are precomputed (each a shipped clause's vector plus noise, normalised),
as a bot with a warm vector cache has them. It prints how long building each index takes, and the load
average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.policy import SHIPPED_CLAUSES  # noqa: E402
from bot.policy.curated import curated_exemplars, tuning_questions  # noqa: E402
from bot.policy.embedding import load_embedder  # noqa: E402
from bot.policy.files import clauses_from_files  # noqa: E402
from bot.policy.hybrid import Searcher  # noqa: E402
from bot.policy.search import SearchClause  # noqa: E402


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


def synthetic_vectors(base: np.ndarray, count: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = base[rng.integers(0, len(base), count)] + rng.normal(0, 0.05, (count, base.shape[1]))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def measure(index: Searcher, questions: list[str], rounds: int) -> dict[str, float]:
    for question in questions:  # the first time a question is encoded; the bot sees each question once
        index.search(question, k=3)
    timings = []
    for _ in range(rounds):
        if index.embedder is not None:
            index.embedder._recent.clear()  # every round encodes every question again, as a new one would be
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


def cli_wall_time(runs: int, *extra: str) -> tuple[float, float]:
    """Median and worst wall time of `flagpost policy ask` in a new process (imports, model, index)."""
    command = [
        str(Path(sys.executable).parent / "flagpost"),
        "policy",
        "ask",
        *extra,
        "who approves a new account",
    ]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{ROOT}/.bench-policy.db"}
    subprocess.run(command, env=env, capture_output=True, check=True)  # creates the database once
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), max(timings)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clauses", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cli-runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    questions = [q.text for q in tuning_questions()]
    base = clauses_from_files([SHIPPED_CLAUSES])
    documents = sorted({c.document_id for c in base})
    embedder = load_embedder()
    if embedder is None:
        print("the model is not installed: only the lexical search is measured")
    shipped = Searcher(base, embedder=embedder, exemplars=curated_exemplars(documents))
    synthetic = synthetic_clauses(base, args.clauses)
    started = time.perf_counter()
    big_lexical = Searcher(synthetic)
    built = time.perf_counter() - started
    rows = [
        ("shipped policies, lexical", Searcher(base, lexical=shipped.lexical), False),
        ("shipped policies", shipped, True),
    ]
    rows.append((f"synthetic corpus, lexical (index built in {built:.1f} s)", big_lexical, False))
    if embedder is not None and shipped.vectors is not None:
        vectors = synthetic_vectors(shipped.vectors, len(synthetic))
        big = Searcher(synthetic, embedder=embedder, lexical=big_lexical.lexical, clause_vectors=vectors)
        rows.append(("synthetic corpus, fused (vectors precomputed)", big, True))
    for name, index, dense in rows:
        if dense and embedder is None:
            continue
        result = measure(index, questions, args.rounds)
        print(
            f"{name}: {len(index.clauses):,} clauses, {index.mode}; {result['questions']} questions: "
            f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, max {result['max_ms']} ms"
        )
    if args.cli_runs:
        for label, extra in (("with the model", ()), ("--lexical", ("--lexical",))):
            median, worst = cli_wall_time(args.cli_runs, *extra)
            print(
                f"flagpost policy ask {label}: median {median:.2f} s, worst {worst:.2f} s ({args.cli_runs} runs)"
            )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
