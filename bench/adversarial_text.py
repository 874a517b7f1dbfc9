"""Benchmark: how long each reader of user text takes on adversarial text of each shape (issue 8, item 4).

    .venv/bin/python bench/adversarial_text.py [--size 1000000]

For every shape (4,000 unclosed `<ftp://a` took 6.5 s before the regexes were made linear), it times the
public readers at `--size` characters (they bound their input: find_url and the message shortcut read at most
Slack's 40,000-character message limit) and the bare regular expressions, unbounded, on a quarter of it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.flags import urls  # noqa: E402
from bot.flags.intake import clean_note  # noqa: E402
from bot.policy.service import check_question  # noqa: E402
from handlers import flags as flag_handlers  # noqa: E402
from handlers import policy as policy_handlers  # noqa: E402

SHAPES = ["<ftp://a", "<http://a|", "<http://a", "<https://a|b", "<javascript:/", "<", "<@U", "<a", "http://a<",
          "a.", "www.", "&amp;", "aaaaaaa "]  # fmt: skip


READERS: dict[str, Callable[[str], object]] = {
    "find_url": urls.find_url,
    "looks_like_link": urls.looks_like_link,
    "validate_url": urls.validate_url,
    "message to note": flag_handlers._message_to_note,
    "clean_note": clean_note,
    "check_question": check_question,
}


def seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    with contextlib.suppress(Exception):
        work()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    size = parser.parse_args().size
    regexes = {
        "URL_IN_TEXT": urls.URL_IN_TEXT,
        "SLACK_MARKUP": flag_handlers.SLACK_MARKUP,
        "MENTION": policy_handlers.MENTION,
        "DOMAIN_LIKE": urls.DOMAIN_LIKE,
    }
    worst_reader = worst_regex = 0.0
    for shape in SHAPES:
        text = (shape * (size // len(shape) + 1))[:size]
        timed = {name: seconds(lambda read=read, t=text: read(t)) for name, read in READERS.items()}
        quarter = text[: size // 4]
        bare = {name: seconds(lambda r=regex, q=quarter: r.sub("", q)) for name, regex in regexes.items()}
        worst_reader, worst_regex = max(worst_reader, *timed.values()), max(worst_regex, *bare.values())
        slowest = max(timed, key=lambda name: timed[name])
        slowest_regex = max(bare, key=lambda name: bare[name])
        print(
            f"{shape!r:16} readers at {size:,}: slowest {slowest} {timed[slowest] * 1000:7.1f} ms;"
            f"  bare regexes at {size // 4:,}: slowest {slowest_regex} {bare[slowest_regex] * 1000:7.1f} ms"
        )
    print(f"worst reader {worst_reader * 1000:.1f} ms; worst bare regex {worst_regex * 1000:.1f} ms")


if __name__ == "__main__":
    main()
