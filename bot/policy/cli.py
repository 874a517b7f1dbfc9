"""`flagpost policy ask | import | eval`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot import db
from bot.clock import SystemClock
from bot.config import Settings, load_organization
from bot.errors import ConfigError
from bot.policy.importer import ImportProblem, import_file
from bot.policy.service import PolicyLibrary, clause_directory, load_library


def open_library(settings: Settings) -> PolicyLibrary:
    """Prepare the database (as `flagpost run` does), load the clause files, build the index."""
    db.prepare_database(settings.database_url)
    engine = db.make_engine(settings.database_url)
    factory = db.make_session_factory(engine)
    try:
        own = load_organization(settings.org_file).own_documents
    except ConfigError:
        own = ()  # without an organisation file every document counts as the organisation's own
    with db.transaction(factory) as session:
        load_library(session=session, now=SystemClock().now(), directory=clause_directory(settings.org_file))
    return PolicyLibrary(factory, own)


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    library = open_library(settings)
    answer = library.ask(" ".join(args.question), k=args.k)
    if args.json:
        payload: dict[str, Any] = {
            "results": [
                {
                    "document": hit.clause.document_id,
                    "clause": hit.clause.number,
                    "text": hit.clause.text,
                    "score": round(hit.score, 4),
                }
                for hit in answer.hits
            ],
            "confident": answer.confident,
        }
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    if not answer.hits:
        print(f"No answer: {answer.reason}.")
        return 0
    print("Confident." if answer.confident else f"Not confident: {answer.reason}.")
    for hit in answer.hits:
        print(f"\n{hit.clause.document} {hit.clause.number}  (score {hit.score:.2f})\n  {hit.clause.text}")
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else clause_directory(settings.org_file)
    corrections = Path(args.corrections) if args.corrections else settings.org_file.parent / "corrections"
    out.mkdir(parents=True, exist_ok=True)
    problems = 0
    for name in args.files:
        source = Path(name)
        if not source.is_file():
            print(f"{source}: no such file", file=sys.stderr)
            problems += 1
            continue
        try:
            document = import_file(source, corrections if corrections.is_dir() else None)
        except (ImportProblem, UnicodeDecodeError) as exc:
            print(f"{source}: {exc}", file=sys.stderr)
            problems += 1
            continue
        target = out / f"{document.id}.json"
        target.write_text(document.to_json(), encoding="utf-8")
        print(
            f"{source} → {target}: {len(document.clauses)} clauses, "
            f"{len(document.corrections_applied)} hand corrections"
        )
        for line in document.unplaced:
            print(f"  could not place: {line[:100]}")
    if not args.out and not problems:
        library = open_library(settings)  # re-index now, so the CLI and a restarted bot agree
        print(f"Indexed {len(library.index.clauses)} clauses.")
    return 1 if problems else 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    from bot.policy.evaluation import ablation, evaluate, load_questions, print_report

    library = open_library(settings)
    questions = load_questions(Path(args.questions))
    if args.ablation:
        print(f"{'':36} hit@1  hit@3  MRR    refused")
        for name, report in ablation(library.index, questions):
            print(
                f"{name:36} {report.hit1:.3f}  {report.hit3:.3f}  {report.mrr:.3f}  "
                f"{report.refused}/{report.unanswerable}"
            )
        return 0
    print_report(evaluate(library.index, questions), verbose=args.verbose)
    return 0


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.policy.service import owner_report

    library = open_library(settings)
    with library.factory() as session:
        lines = owner_report(session=session, limit=args.limit)
    if not lines:
        print("No refused questions and no answers voted not helpful.")
    for line in lines:
        shown = f"  (showed {line.shown})" if line.shown else ""
        print(f"{line.asked_at:%Y-%m-%d %H:%M}  {line.verdict:<17} {line.question}{shown}")
    return 0


def add_policy_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    policy = sub.add_parser("policy", help="policy answers: ask, import, eval")
    psub = policy.add_subparsers(dest="policy_command", required=True)
    ask = psub.add_parser("ask", help="answer a question with the best clauses")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--json", action="store_true", help='print {"results": [...], "confident": bool}')
    ask.add_argument("-k", type=int, default=3, help="how many results (default 3)")
    ask.set_defaults(handler=cmd_ask)
    imp = psub.add_parser("import", help="turn plain-text or Markdown policies into clause files")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--out", help="where to write the clause files (default: beside the organisation file)")
    imp.add_argument(
        "--corrections", help="folder of <name>.toml hand corrections (default: policy_data/corrections)"
    )
    imp.set_defaults(handler=cmd_import)
    rep = psub.add_parser("report", help="refused questions and answers voted not helpful, newest first")
    rep.add_argument("--limit", type=int, default=50)
    rep.set_defaults(handler=cmd_report)
    ev = psub.add_parser("eval", help="hit@1, hit@3, MRR and refusals on a question set")
    ev.add_argument("--questions", default="tests/policy_questions.toml")
    ev.add_argument("-v", "--verbose", action="store_true", help="list every miss")
    ev.add_argument("--ablation", action="store_true", help="switch each technique off in turn")
    ev.set_defaults(handler=cmd_eval)
