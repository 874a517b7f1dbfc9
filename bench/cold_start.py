"""Benchmark: how long `flagpost` takes to start, per command, as a new process each time.

    .venv/bin/python bench/cold_start.py [--runs 15] [--flagpost .venv/bin/flagpost]

Targets: `flagpost --help` under 0.3 s, `flagpost policy ask` under 1.5 s with the model and under 0.5 s with
`--lexical`. It runs the installed command in
an empty temporary directory (an embedded database there, prepared once before timing, as a second run of
`policy ask` finds it) and prints, per command, the fastest and the median wall-clock time, and the median
CPU time (user + system) of the process. On a shared machine the wall clock includes waiting for a core;
the CPU time does not, and the fastest run is the closest to a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "how often do we change the social media password"
COMMANDS = {
    "flagpost --help": ["--help"],
    "flagpost --version": ["--version"],
    "flagpost policy ask": ["policy", "ask", QUESTION],
    "flagpost policy ask --json": ["policy", "ask", QUESTION, "--json", "-k", "5"],
    "flagpost policy ask --lexical": ["policy", "ask", QUESTION, "--lexical"],
}
# `policy ask` loads the sentence-embedding model when it is installed (issue 12: under 1.5 s with it,
# under 0.5 s with --lexical).
TARGETS = {"flagpost --help": 0.3, "flagpost policy ask": 1.5, "flagpost policy ask --lexical": 0.5}


def run_once(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run, measured from outside the process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--flagpost", default=str(Path(sys.executable).parent / "flagpost"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        cwd = Path(work)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "FLAGPOST_"))
        }
        env["FLAGPOST_ORG"] = str(ROOT / "policy_data" / "organization.toml")
        run_once(
            [args.flagpost, *COMMANDS["flagpost policy ask"]], env, cwd
        )  # creates and migrates the database
        print(f"{args.runs} runs each, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        print(f"{'':28} {'fastest':>8} {'median':>8} {'CPU':>8}   target")
        for name, argv in COMMANDS.items():
            runs = [run_once([args.flagpost, *argv], env, cwd) for _ in range(args.runs)]
            walls, cpus = [wall for wall, _ in runs], [cpu for _, cpu in runs]
            target = f"< {TARGETS[name]:.1f} s" if name in TARGETS else ""
            print(
                f"{name:28} {min(walls):7.3f}s {statistics.median(walls):7.3f}s "
                f"{statistics.median(cpus):7.3f}s   {target}"
            )


if __name__ == "__main__":
    main()
