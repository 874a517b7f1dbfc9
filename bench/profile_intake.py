"""Where the time of one `/flag` (or one Claim) goes before its answer: a profile, and the SQL it sends.

    .venv/bin/python bench/profile_intake.py [--pg postgresql://postgres@127.0.0.1:5432/test] [--claim]

Sends --count signed requests one after the other straight into the WSGI app, in this thread. Bolt's listener
runs here too (a synchronous executor), so the profile holds everything the request waits for; the deliveries
after the commit still run on their own pool, and are not in it. Prints the SQL statements and commits per
request, and the functions that took the most time, cumulatively.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.flag_intake import SECRET, RemoteStandIn, bench_settings, prepare_database  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.config import load_organization  # noqa: E402
from bot.domains import start_runtime  # noqa: E402
from bot.server import make_wsgi_app  # noqa: E402
from bot.slack.testkit import payloads  # noqa: E402
from bot.slack.testkit.signing import signed_headers  # noqa: E402


class InThisThread:
    """An executor that runs what it is given at once, in the caller's thread."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def wait_idle(self, timeout: float = 30.0) -> bool:
        return True


def environ(body: str, content_type: str) -> dict[str, Any]:
    data = body.encode()
    headers = signed_headers(SECRET, body)
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": headers["X-Slack-Request-Timestamp"],
        "HTTP_X_SLACK_SIGNATURE": headers["X-Slack-Signature"],
        "wsgi.input": io.BytesIO(data),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pg")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--claim", action="store_true", help="profile Claim clicks (after filing the flags)")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    slack = RemoteStandIn()
    try:
        url = prepare_database("postgresql" if args.pg else "sqlite", args.pg, Path(tempfile.mkdtemp()))
        settings = bench_settings(slack.api_url, url)
        org = load_organization(ROOT / "policy_data" / "organization.toml")
        rt = start_runtime(settings, org, clock=FrozenClock(datetime(2026, 11, 17, 17, 0, tzinfo=UTC)))
        rt.executor = InThisThread()  # type: ignore[assignment]
        wsgi = make_wsgi_app(rt, build_app(rt))
        statements: Counter[str] = Counter()
        counting = [False]

        @event.listens_for(rt.engine, "before_cursor_execute")
        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if counting[0]:
                statements[" ".join(statement.split()[:4])[:70]] += 1

        @event.listens_for(rt.engine, "commit")
        def commits(_conn: Any) -> None:
            if counting[0]:
                statements["COMMIT"] += 1

        def flag(i: int) -> tuple[str, str]:
            return payloads.slash_command(
                "/flag",
                f"https://www.facebook.com/town/posts/{i} Resident asks about item {i}?",
                "U0EMP0001",
                response_url=slack.base + "/response/p",
            )

        def claim(i: int) -> tuple[str, str]:
            value = {"action_id": "flag_claim", "value": f"flag-{i + 1}", "type": "button"}
            return payloads.block_actions(value, "U0MOD0001", response_url=slack.base + "/response/p")

        def send(body: tuple[str, str]) -> None:
            status: list[str] = []
            b"".join(wsgi(environ(*body), lambda s, h: status.append(s)))
            assert status[0].startswith("200"), status

        for i in range(20):  # warm up: imports, caches, the pool's connections
            send(flag(10_000 + i))
        if args.claim:
            for i in range(args.count):
                send(flag(i))
        rt.wait_idle(120)
        make = claim if args.claim else flag
        profile = cProfile.Profile()
        counting[0] = True
        started = time.perf_counter()
        profile.enable()
        for i in range(args.count):
            send(make(i))
        profile.disable()
        elapsed = time.perf_counter() - started
        counting[0] = False
        rt.wait_idle(120)
        print(
            f"{args.count} {'Claim clicks' if args.claim else '/flag'} one at a time: "
            f"{elapsed / args.count * 1000:.2f} ms each on {rt.engine.dialect.name}"
        )
        print("SQL per request:")
        for statement, n in statements.most_common():
            print(f"  {n / args.count:5.2f}  {statement}")
        print(f"  {sum(statements.values()) / args.count:5.2f}  in all")
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(args.top)
        rt.engine.dispose()
    finally:
        slack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
