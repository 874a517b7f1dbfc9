"""Benchmark: Flagpost's answer to Slack beside a bare Bolt app's, in one run, with the same signed requests.

    .venv/bin/python bench/front_door.py --pg postgresql://postgres@127.0.0.1:5432/test

Three targets, one after the other, each served by waitress with the same number of threads (--threads):
- "bare Bolt": a Bolt app whose listeners only call ack(), the reference;
- Flagpost on SQLite, and (with --pg) on PostgreSQL, as `flagpost run` builds it.
Each gets the same requests from --senders concurrent senders (a separate process, one keep-alive
connection each), against the Slack stand-in (a third process) with --fail-rate of its calls failing:
--requests signed `/flag` on distinct posts, then a Claim and a Release click on each of those flags, then
as many `/policy` questions, each kind after --warmup unmeasured ones. It prints p50, p99 and requests per
second of each, and the ratio of Flagpost's p50 and p99 to the reference's. Then, on each database, the
reliability burst: --burst flags on 60% as many posts while the stand-in fails --fail-rate of its calls;
every report must be stored and every post must have exactly one card once the retries have run.
"""

from __future__ import annotations

import argparse
import gc
import http.client
import json
import multiprocessing
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flag_intake import MODERATION, SECRET, RemoteStandIn, bench_settings, percentile, prepare_database  # noqa: E402
from bot.slack.testkit import payloads  # noqa: E402
from bot.slack.testkit.signing import signed_headers  # noqa: E402

QUESTIONS = (
    "can I reply to a resident's complaint on the town page?",
    "who approves a new social media account",
    "what do I do if I think our facebook account was hacked",
    "can I post about a candidate during the election",
    "may I delete an abusive comment",
)
MODERATORS = ("U0MOD0001", "U0MOD0002")
Request = tuple[str, str]  # (body, content type)


# ----- the senders (their own process, so their work does not share the servers' interpreter)


def _send_from_one_connection(port: int, requests: list[Request], out: list[float]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for body, content_type in requests:
        headers = {"Content-Type": content_type, **signed_headers(SECRET, body)}
        started = time.perf_counter()
        try:
            connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException):
            connection.close()
            ok = False
        out.append(time.perf_counter() - started if ok else float("inf"))  # a failure is counted, not hidden
    connection.close()


def send_all(port: int, requests: list[Request], senders: int) -> tuple[list[float], float]:
    """`senders` threads, one connection each, share the requests round robin. Returns each request's time
    to its answer, and the wall time of the whole run."""
    shares: list[list[float]] = [[] for _ in range(senders)]
    threads = [
        threading.Thread(target=_send_from_one_connection, args=(port, requests[i::senders], shares[i]))
        for i in range(senders)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [latency for share in shares for latency in share], time.perf_counter() - started


# ----- the targets


class BareBolt:
    """The reference: Bolt and waitress alone, every listener acknowledging at once."""

    name = "bare Bolt"

    def __init__(self, threads: int, slack: RemoteStandIn) -> None:
        from slack_bolt import App
        from slack_bolt.adapter.wsgi import SlackRequestHandler
        from slack_sdk import WebClient
        from waitress.server import create_server

        # Built as Flagpost builds its own: Bolt asks the stand-in's auth.test once, on the first request.
        client = WebClient(token="xoxb-bench", base_url=slack.api_url)
        app = App(signing_secret=SECRET, client=client, token_verification_enabled=False)
        app.command("/flag")(lambda ack: ack())
        app.command("/policy")(lambda ack: ack())
        app.action(re.compile(".*"))(lambda ack: ack())
        handler = SlackRequestHandler(app)
        self.server = create_server(handler, host="127.0.0.1", port=0, threads=threads)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.port = self.server.effective_port

    def settle(self) -> None:
        pass

    def versions(self, first: int, count: int) -> dict[int, int]:
        return dict.fromkeys(range(first, first + count), 1)

    def stop(self) -> None:
        from bot.server import stop_http_server

        stop_http_server(self.server, self.thread)


class Flagpost:
    """Flagpost as `flagpost run` builds it (migrated, every domain started), served in this process."""

    def __init__(self, kind: str, pg_url: str | None, threads: int, slack: RemoteStandIn, workdir: Path):
        from datetime import UTC, datetime

        from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

        from bot.app import build_app
        from bot.clock import FrozenClock
        from bot.config import load_organization
        from bot.domains import start_runtime
        from bot.server import make_http_server

        self.name = f"Flagpost on {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}"
        url = prepare_database(kind, pg_url, workdir)
        self.clock = FrozenClock(datetime(2026, 11, 17, 17, 0, tzinfo=UTC))
        settings = bench_settings(slack.api_url, url)
        org = load_organization(ROOT / "policy_data" / "organization.toml")
        self.rt = start_runtime(
            settings, org, clock=self.clock, retry_interval=FixedValueRetryIntervalCalculator(0)
        )
        app = build_app(self.rt)
        gc.freeze()  # as `flagpost run` does after start-up
        self.server = make_http_server(self.rt, app, "127.0.0.1", 0, threads=threads)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.port = self.server.effective_port

    def settle(self, rounds: int = 20) -> int:
        """Let the work after the acks finish, then run what is due (the scheduler's work: retries of what
        the stand-in refused), moving the clock past the backoff, until nothing is left. Returns the rounds."""
        from bot.scheduler import run_due_work

        assert self.rt.wait_idle(300), "background work did not finish"
        for done in range(rounds):
            backlog = self.rt.delivery.backlog()
            if not (backlog["cards"] or backlog["messages"] or self.jobs_due()):
                return done
            self.clock.advance(hours=2)
            run_due_work(self.rt)
            assert self.rt.wait_idle(300)
        raise AssertionError("the backlog does not drain")

    def jobs_due(self) -> int:
        from sqlalchemy import func, select

        from bot.due import TimedJob

        with self.rt.sessions() as session:
            due_now = TimedJob.due_at.is_not(None) & (TimedJob.due_at <= self.clock.now())
            return session.scalar(select(func.count()).select_from(TimedJob).where(due_now)) or 0

    def versions(self, first: int, count: int) -> dict[int, int]:
        """The versions of flags `first`… (filed one per post, in order, so their ids are consecutive)."""
        from sqlalchemy import select

        from bot.flags.models import Flag

        with self.rt.sessions() as session:
            query = select(Flag.id, Flag.version).where(Flag.id >= first, Flag.id < first + count)
            return dict(session.execute(query).all())  # type: ignore[arg-type]

    def stop(self) -> None:
        from bot.server import stop_http_server

        stop_http_server(self.server, self.thread)
        self.rt.wait_idle(60)
        self.rt.engine.dispose()


# ----- the requests, the same for every target


def flag_requests(count: int, response_url: str, first: int = 0) -> list[Request]:
    return [
        payloads.slash_command(
            "/flag",
            f"https://www.facebook.com/town/posts/{i} Resident asks about item {i}?",
            f"U0EMP{i % 50:04d}",
            response_url=response_url,
        )
        for i in range(first, first + count)
    ]


def click_requests(action_id: str, versions: dict[int, int], response_url: str) -> list[Request]:
    return [
        payloads.block_actions(
            {"action_id": action_id, "value": f"flag-{flag_id}-v{version}", "type": "button"},
            MODERATORS[flag_id % 2],
            response_url=response_url,
        )
        for flag_id, version in sorted(versions.items())
    ]


def policy_requests(count: int, response_url: str) -> list[Request]:
    return [
        payloads.slash_command(
            "/policy", QUESTIONS[i % len(QUESTIONS)], f"U0EMP{i % 50:04d}", response_url=response_url
        )
        for i in range(count)
    ]


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    answered = [latency for latency in latencies if latency != float("inf")]
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "per_second": round(len(answered) / elapsed, 1),
        "failed": len(latencies) - len(answered),
        "over_3s": sum(1 for latency in latencies if latency >= 3),
    }


def measure(target: Any, senders_pool: Any, args: argparse.Namespace, slack: RemoteStandIn) -> dict:
    """The four kinds of request against one target, with the stand-in failing --fail-rate of its calls:
    first --warmup of each, unmeasured (a process's first requests compile its queries and fill its pools),
    then --requests of each, measured."""
    response_url = slack.base + "/response/bench"
    slack.control("reset")
    slack.control("fail_randomly", rate=args.fail_rate, seed=7)
    results: dict[str, dict[str, float]] = {}
    for count, first, measured in ((args.warmup, 1, False), (args.requests, args.warmup + 1, True)):

        def send(kind: str, requests: list[Request], measured: bool = measured) -> None:
            latencies, elapsed = senders_pool.apply(send_all, (target.port, requests, args.senders))
            if measured:
                results[kind] = summary(latencies, elapsed)
            target.settle()

        send("/flag", flag_requests(count, response_url, first=first))
        send("Claim", click_requests("flag_claim", target.versions(first, count), response_url))
        send("Release", click_requests("flag_release", target.versions(first, count), response_url))
        send("/policy", policy_requests(count, response_url))
    slack.control("heal")
    return results


def burst(target: Flagpost, senders_pool: Any, args: argparse.Namespace, slack: RemoteStandIn) -> dict:
    """The reliability part: a burst on repeated posts while Slack fails; count lost and duplicated."""
    from sqlalchemy import func, select

    from bot.delivery import SlackCard
    from bot.flags.models import Flag, FlagReport

    slack.control("reset")
    slack.control("fail_randomly", rate=args.fail_rate, seed=11)
    distinct = args.burst * 6 // 10
    requests = [
        payloads.slash_command(
            "/flag",
            f"https://x.com/someone/status/{100_000 + i % distinct}?s=20 Burst report {i}: about the budget",
            f"U0EMP{i % 97:04d}",
            response_url=slack.base + "/response/bench",
        )
        for i in range(args.burst)
    ]
    latencies, elapsed = senders_pool.apply(send_all, (target.port, requests, args.senders))
    target.rt.wait_idle(300)
    failed_calls = slack.failed_calls()
    slack.control("heal")
    rounds = target.settle()
    cards = [
        call["body"]["text"] for call in slack.channel_posts(MODERATION) if "status/1" in call["body"]["text"]
    ]
    with target.rt.sessions() as session:
        reports = session.scalar(
            select(func.count()).select_from(FlagReport).where(FlagReport.url.like("%status/1%"))
        )
        flags = session.scalar(select(func.count()).select_from(Flag).where(Flag.url.like("%status/1%")))
        unposted = session.scalar(select(func.count()).select_from(SlackCard).where(SlackCard.ts.is_(None)))
    return {
        **summary(latencies, elapsed),
        "posts": distinct,
        "slack_calls_failed": failed_calls,
        "flags": flags,
        "reports": reports,
        "lost": args.burst - (reports or 0),
        "cards": len(cards),
        "duplicated": len(cards) - len(set(cards)),
        "posts_without_a_card": distinct - len(set(cards)),
        "cards_unrecorded": unposted,
        "retry_rounds": rounds,
    }


def report(results: dict[str, dict], bursts: dict[str, dict], args: argparse.Namespace, load: tuple) -> None:
    print(
        f"\n{args.requests} requests of each kind after {args.warmup} unmeasured, {args.senders} senders "
        f"(one connection each), waitress "
        f"with {args.threads} threads, {int(args.fail_rate * 100)}% of Slack calls failing; "
        f"load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)"
    )
    reference = results["bare Bolt"]
    for kind in ("/flag", "Claim", "Release", "/policy"):
        print(f"\n{kind:<26} {'p50':>9} {'p99':>9} {'req/s':>7}   p50 ×   p99 ×  failed")
        for name, result in results.items():
            row, ref = result[kind], reference[kind]
            ratios = (
                f"{row['p50_ms'] / ref['p50_ms']:6.1f}× {row['p99_ms'] / ref['p99_ms']:6.1f}×"
                if name != "bare Bolt"
                else f"{'':7} {'':7}"
            )
            print(
                f"{name:<26} {row['p50_ms']:6.1f} ms {row['p99_ms']:6.1f} ms {row['per_second']:7.0f}   "
                f"{ratios}  {row['failed']}"
            )
    for name, b in bursts.items():
        print(
            f"\n{name}: burst of {args.burst} /flag on {b['posts']} posts, {b['slack_calls_failed']} Slack calls "
            f"failed: p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms, {b['per_second']:.0f} req/s; "
            f"reports stored {b['reports']}, lost {b['lost']}; cards {b['cards']}, duplicated {b['duplicated']}, "
            f"posts without a card {b['posts_without_a_card']} (after {b['retry_rounds']} retry rounds)"
        )


def main() -> int:
    import logging
    import tempfile

    logging.basicConfig(level=logging.CRITICAL)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pg", help="PostgreSQL URL; without it only SQLite is measured beside the reference"
    )
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads, for every target")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured requests of each kind first")
    parser.add_argument("--fail-rate", type=float, default=0.10)
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="measure one database only")
    args = parser.parse_args()
    load = os.getloadavg()
    kinds = [k for k in ("sqlite", "postgresql") if k != "postgresql" or args.pg]
    kinds = [k for k in kinds if args.only in (None, k)]
    slack = RemoteStandIn()
    senders_pool = multiprocessing.get_context("spawn").Pool(1)
    results: dict[str, dict] = {}
    bursts: dict[str, dict] = {}
    try:
        bare = BareBolt(args.threads, slack)
        results[bare.name] = measure(bare, senders_pool, args, slack)
        bare.stop()
        for kind in kinds:
            target = Flagpost(
                kind, args.pg, args.threads, slack, Path(tempfile.mkdtemp(prefix="flagpost-bench-"))
            )
            try:
                results[target.name] = measure(target, senders_pool, args, slack)
                bursts[target.name] = burst(target, senders_pool, args, slack)
            finally:
                target.stop()
    finally:
        senders_pool.close()
        slack.stop()
    report(results, bursts, args, load)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "front_door.json").write_text(
        json.dumps({"load": load, "steady": results, "burst": bursts}, indent=2)
    )
    reliable = all(
        b["lost"] == 0 and b["duplicated"] == 0 and b["posts_without_a_card"] == 0 for b in bursts.values()
    )
    return 0 if reliable else 1


if __name__ == "__main__":
    sys.exit(main())
