"""Benchmark: signed `/flag` requests from N concurrent senders through the real HTTP endpoint.

    .venv/bin/python bench/flag_intake.py                      # SQLite
    .venv/bin/python bench/flag_intake.py --pg postgresql://postgres@127.0.0.1:5432/test

Phase 1 prints p50/p95/p99 time to the HTTP response and flags persisted per second.
Phase 2 sends a burst of 1,000 flags (some posts reported several times) while 10% of the Slack stand-in's
calls fail with HTTP 500, then lets the retries run, and checks: exactly one card per distinct post, and
every report persisted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot import db  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import Settings, load_organization  # noqa: E402
from bot.delivery import SlackCard  # noqa: E402
from bot.domains import DOMAINS  # noqa: E402
from bot.flags.models import Flag, FlagReport  # noqa: E402
from bot.runtime import build_runtime  # noqa: E402
from bot.server import make_http_server, stop_http_server  # noqa: E402
from bot.slack.testkit import payloads  # noqa: E402
from bot.slack.testkit.signing import signed_headers  # noqa: E402

SECRET = "bench-secret"
MODERATION = "C0MODERATE"


def bench_settings(slack_api_url: str, database_url: str) -> Settings:
    """The settings every benchmark's bot runs with: the stand-in's API, a signed HTTP front, no Socket Mode."""
    return Settings(
        bot_token="xoxb-bench",
        signing_secret=SECRET,
        app_token=None,
        slack_api_url=slack_api_url,
        database_url=database_url,
        org_file=Path("x"),
        port=0,
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def prepare_database(kind: str, pg_url: str | None, workdir: Path) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{workdir}/bench.db"
    else:
        assert pg_url, "--pg URL needed for PostgreSQL"
        engine = create_engine(db.normalize_url(pg_url))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS flagpost_bench CASCADE"))
            connection.execute(text("CREATE SCHEMA flagpost_bench"))
        engine.dispose()
        url = (
            db.normalize_url(pg_url)
            + ("&" if "?" in pg_url else "?")
            + "options=-csearch_path%3Dflagpost_bench"
        )
    db.upgrade(url)
    return url


def send_flag(base_url: str, response_url: str, user: str, url: str, note: str) -> float:
    # The response_url must be the stand-in's: Flagpost refuses one that is not Slack's (or the stand-in's).
    body, content_type = payloads.slash_command("/flag", f"{url} {note}", user, response_url=response_url)
    headers = {"Content-Type": content_type, "Connection": "close", **signed_headers(SECRET, body)}
    request = urllib.request.Request(
        base_url + "/slack/events", data=body.encode(), headers=headers, method="POST"
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
    except urllib.error.HTTPError:
        return float("inf")  # Bolt gave up waiting for the ack (3 s): counted, not hidden
    return time.perf_counter() - started


class RemoteStandIn:
    """The stand-in in its own process, so its work does not share the bot's interpreter (and GIL)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot.slack.testkit.standin"], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.api_url = self.process.stdout.readline().strip().rsplit(" ", 1)[-1]
        self.base = self.api_url.removesuffix("/api/")

    def control(self, command: str, **body: object) -> dict:
        request = urllib.request.Request(
            f"{self.base}/_standin/{command}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def channel_posts(self, channel: str) -> list[dict]:
        return [
            call
            for call in self.control("calls")["calls"]
            if call["method"] == "chat.postMessage"
            and call["status"] == 200
            and call["body"].get("channel") == channel
        ]

    def failed_calls(self) -> int:
        return sum(1 for call in self.control("calls")["calls"] if call["status"] != 200)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def send_all(
    base_url: str, items: list[tuple[str, str, str]], senders: int, response_url: str
) -> list[float]:
    """Runs in a separate process: `senders` threads send the signed /flag requests, timing each."""
    with ThreadPoolExecutor(senders) as pool:
        return list(pool.map(lambda item: send_flag(base_url, response_url, *item), items))


def run(kind: str, pg_url: str | None, senders: int, requests: int, burst: int, fail_rate: float) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="flagpost-bench-"))
    url = prepare_database(kind, pg_url, workdir)
    org = load_organization(ROOT / "policy_data" / "organization.toml")
    clock = FrozenClock(datetime(2026, 11, 17, 17, 0, tzinfo=UTC))
    slack = RemoteStandIn()
    senders_process = multiprocessing.get_context("spawn").Pool(1)
    try:
        settings = bench_settings(slack.api_url, url)
        rt = build_runtime(
            settings, org, DOMAINS, clock=clock, retry_interval=FixedValueRetryIntervalCalculator(0)
        )
        app = build_app(rt)
        server = make_http_server(rt, app, "127.0.0.1", 0, threads=senders)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.effective_port}"

        # Phase 1: steady load, every flag a distinct post.
        items = [
            (
                f"U0EMP{i % 50:04d}",
                f"https://www.facebook.com/town/posts/{i}",
                f"Resident asks about item {i}?",
            )
            for i in range(requests)
        ]
        started = time.perf_counter()
        latencies = senders_process.apply(send_all, (base, items, senders, slack.base + "/response/bench"))
        elapsed = time.perf_counter() - started
        rt.wait_idle(120)
        with rt.sessions() as session:
            persisted = session.scalar(select(func.count()).select_from(Flag))
        phase1 = {
            "senders": senders,
            "requests": requests,
            "unanswered": sum(1 for latency in latencies if latency == float("inf")),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p95_ms": round(percentile(latencies, 95) * 1000, 1),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1),
            "slowest_request_index": latencies.index(max(latencies)),
            "flags_persisted_per_second": round(persisted / elapsed, 1),
            "over_3s": sum(1 for latency in latencies if latency >= 3),
        }

        # Phase 2: a burst with Slack failing 10% of calls; posts repeat, so some reports merge.
        slack.control("reset")
        slack.control("fail_randomly", rate=fail_rate, seed=7)
        distinct = burst * 6 // 10
        items = [
            (
                f"U0EMP{i % 97:04d}",
                f"https://x.com/someone/status/{100_000 + i % distinct}?s=20",
                f"Burst report {i}: misinformation about the budget",
            )
            for i in range(burst)
        ]
        started = time.perf_counter()
        burst_latencies = senders_process.apply(
            send_all, (base, items, senders, slack.base + "/response/bench")
        )
        burst_elapsed = time.perf_counter() - started
        rt.wait_idle(300)
        failed_calls = slack.failed_calls()
        slack.control("heal")
        rounds = 0
        while rt.delivery.backlog()["cards"] or rt.delivery.backlog()["messages"]:
            clock.advance(hours=2)
            rt.delivery.deliver_due(limit=10_000)
            rounds += 1
            assert rounds < 20, "the backlog does not drain"
        burst_cards = [call for call in slack.channel_posts(MODERATION) if "status/1" in call["body"]["text"]]
        card_posts: dict[str, int] = {}
        for call in burst_cards:
            card_posts[call["body"]["text"]] = card_posts.get(call["body"]["text"], 0) + 1
        with rt.sessions() as session:
            burst_flags = session.scalar(
                select(func.count()).select_from(Flag).where(Flag.url.like("%status/1%"))
            )
            burst_reports = session.scalar(
                select(func.count()).select_from(FlagReport).where(FlagReport.url.like("%status/1%"))
            )
            unsynced = session.scalar(
                select(func.count()).select_from(SlackCard).where(SlackCard.ts.is_(None))
            )
        phase2 = {
            "burst": burst,
            "distinct_posts": distinct,
            "fail_rate": fail_rate,
            "slack_calls_failed": failed_calls,
            "p99_ms": round(percentile(burst_latencies, 99) * 1000, 1),
            "max_ms": round(max(burst_latencies) * 1000, 1),
            "reports_per_second": round(burst / burst_elapsed, 1),
            "flags_persisted": burst_flags,
            "reports_persisted": burst_reports,
            "cards_posted": len(burst_cards),
            "cards_without_a_post": unsynced,
            "retry_rounds": rounds,
            "exactly_one_card_per_post": len(burst_cards) == distinct
            and all(n == 1 for n in card_posts.values()),
            "flags_lost": burst - burst_reports,
        }
        stop_http_server(server, thread)
        rt.wait_idle(60)
        rt.engine.dispose()
    finally:
        senders_process.close()
        slack.stop()
    return {"database": kind, "steady": phase1, "burst": phase2}


def main() -> int:
    import logging

    logging.basicConfig(level=logging.CRITICAL)
    logging.getLogger("flagpost.bolt").setLevel(
        logging.WARNING
    )  # retries are expected here; the summary counts them
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg", help="PostgreSQL URL; without it only SQLite is measured")
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--fail-rate", type=float, default=0.10)
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if args.pg else [])
    results = [run(kind, args.pg, args.senders, args.requests, args.burst, args.fail_rate) for kind in kinds]
    for result in results:
        s, b = result["steady"], result["burst"]
        print(
            f"\n== {result['database']}: {s['senders']} concurrent senders, {s['requests']} signed /flag requests"
        )
        print(
            f"   time to HTTP response: p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms, "
            f"max {s['max_ms']} ms; over 3 s: {s['over_3s']}"
        )
        print(f"   flags persisted per second: {s['flags_persisted_per_second']}")
        print(
            f"== {result['database']}: burst of {b['burst']} flags on {b['distinct_posts']} posts, "
            f"{int(b['fail_rate'] * 100)}% of Slack calls failing ({b['slack_calls_failed']} failed)"
        )
        print(f"   p99 {b['p99_ms']} ms, max {b['max_ms']} ms; {b['reports_per_second']} reports/s")
        print(
            f"   flags {b['flags_persisted']}, reports persisted {b['reports_persisted']}, lost {b['flags_lost']}; "
            f"cards posted {b['cards_posted']} (one per post: {b['exactly_one_card_per_post']}) "
            f"after {b['retry_rounds']} retry round(s)"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "flag_intake.json").write_text(json.dumps(results, indent=2))
    return (
        0
        if all(r["burst"]["exactly_one_card_per_post"] and r["burst"]["flags_lost"] == 0 for r in results)
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
