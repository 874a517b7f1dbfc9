"""Running `flagpost` as a separate process, the way an administrator does, for the CLI and operations tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORG_FILE = ROOT / "policy_data" / "organization.toml"
OUR_VARIABLES = ("SLACK_", "DATABASE_URL", "FLAGPOST_", "PORT", "LOG_LEVEL")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment without any Flagpost setting of the machine running the tests."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(OUR_VARIABLES)}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "PYTHONPATH": str(ROOT), **extra})
    return env


def flagpost(
    *args: str,
    env: dict[str, str],
    cwd: Path = ROOT,
    command: tuple[str, ...] = (sys.executable, "-m", "bot.cli"),
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(
    *args: str,
    env: dict[str, str],
    cwd: Path,
    ready: str,
    command: tuple[str, ...] = (sys.executable, "-m", "bot.cli"),
) -> Iterator[subprocess.Popen[str]]:
    """`flagpost run` in the background, once its log says `ready`; stopped (SIGTERM) afterwards if still up."""
    process = subprocess.Popen([*command, *args], env=env, cwd=cwd, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    seen = []
    for line in process.stderr:  # wait for the line that says it serves; no sleeping
        seen.append(line)
        if ready in line:
            break
    else:
        process.wait(timeout=30)
        raise AssertionError("flagpost run ended before it was ready:\n" + "".join(seen))
    process.seen = seen  # type: ignore[attr-defined]
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def stop(process: subprocess.Popen[str], timeout: float = 15.0) -> str:
    """SIGTERM, as `docker stop` sends, and the rest of the log."""
    process.terminate()
    _, rest = process.communicate(timeout=timeout)
    return "".join(process.seen) + rest  # type: ignore[attr-defined]


def start_bot(env: dict[str, str]) -> tuple[subprocess.Popen[str], threading.Event, list[str]]:
    """`flagpost run`, not waited for; its log is drained so it never blocks on a full pipe."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"], env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    listening = threading.Event()
    log: list[str] = []

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line)
            if "HTTP on port" in line:
                listening.set()

    threading.Thread(target=drain, daemon=True).start()
    return process, listening, log
