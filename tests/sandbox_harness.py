"""A running `flagpost sandbox` in its own process, its JSON API, and a headless Chromium driving its page.

One sandbox per test module (starting one migrates a fresh SQLite file and indexes the policies). The page
helpers click what the bot rendered, found by its visible text, as a person would.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORG_FILE = ROOT / "policy_data" / "organization.toml"
CHROMIUM = "/usr/bin/chromium"
# What works on these machines (see the project's notes): no GPU, no sandbox as root, no background traffic.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = ROOT / "docs" / "screenshots"
START_SECONDS = 60


def sandbox_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh machine: no Slack settings, no database, the repository's organisation."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "DATABASE_URL", "FLAGPOST_", "PORT"))
    }
    env.update({"PYTHONPATH": str(ROOT), "FLAGPOST_ORG": str(ORG_FILE), **extra})
    return env


class RunningSandbox:
    def __init__(self, process: subprocess.Popen[str], first_line: str):
        self.process = process
        self.first_line = first_line
        self.url = first_line[first_line.index("http://") :].split()[0]

    def request(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        request = urllib.request.Request(self.url.rstrip("/") + path, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def status_of(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url.rstrip("/") + path, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code

    def api(self, name: str, body: dict[str, Any] | None = None, query: str = "") -> Any:
        status, data = self.request(f"/sandbox/api/{name}{query}", body)
        assert status == 200, (status, data)
        return data

    def feed(self, user: str, since: int = 0) -> dict[str, Any]:
        return self.api("feed", query=f"?as={user}&since={since}")

    def messages(self, user: str, channel: str) -> list[dict[str, Any]]:
        return [m for m in self.feed(user)["messages"] if m["channel"] == channel and not m["deleted"]]

    def tour(self) -> dict[str, dict[str, Any]]:
        return {step["key"]: step for step in self.api("tour")["steps"]}


def _lines(stream: Any, into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


@contextmanager
def running_sandbox(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Iterator[RunningSandbox]:
    """`flagpost sandbox --port 0` (or the given command), until the block ends."""
    command = [sys.executable, "-m", "bot.cli", *(args or ("sandbox", "--port", "0"))]
    process = subprocess.Popen(
        command,
        env=env or sandbox_env(),
        cwd=cwd or ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    errors: list[str] = []
    threading.Thread(target=lambda: errors.extend(process.stderr or []), daemon=True).start()
    try:
        try:
            first = lines.get(timeout=START_SECONDS)  # the sandbox prints its URL once it listens
        except queue.Empty:
            pytest.fail("the sandbox printed no URL:\n" + "".join(errors[-30:]))
        yield RunningSandbox(process, first.strip())
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# ----- the browser


def browser_or_skip() -> str:
    """Chromium's path, or skip with the reason. With FLAGPOST_REQUIRE_BROWSER set (CI on a machine where
    Chromium is installed), a missing piece fails instead of skipping."""
    reason = ""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path is None:
        reason = "no Chromium here: install Debian's package (apt-get install chromium), as .ci/run does"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright for Python is not installed (pip install -e '.[dev]')"
    if reason:
        if os.environ.get("FLAGPOST_REQUIRE_BROWSER"):
            pytest.fail(f"FLAGPOST_REQUIRE_BROWSER is set, but {reason}")
        pytest.skip(reason)
    return str(path)


class SlackPage:
    """The sandbox's page as a person uses it: be someone, open a channel, type, click what the bot drew,
    fill a form. Walks through new domains are a few of these calls (see tests/test_sandbox_browser.py)."""

    def __init__(self, page: Any, url: str):
        self.page = page
        self.url = url

    def open(self, user: str) -> SlackPage:
        self.page.goto(f"{self.url}?as={user}")
        self.page.locator("#me option").first.wait_for(state="attached")
        return self

    def be(self, user: str) -> None:
        self.page.select_option("#me", user)

    def channel(self, name: str) -> None:
        self.page.locator("#channels .nav-item", has_text=f"# {name}").click()

    def app(self, tab: str = "messages") -> None:
        self.page.locator("#apps .nav-item").click()
        self.page.locator(f"#tab-{tab}").click()

    def send(self, text: str) -> None:
        self.page.fill("#message-box", text)
        self.page.press("#message-box", "Enter")

    def message(self, containing: str) -> Any:
        """The newest message showing this text (waits for it)."""
        found = self.page.locator("#messages .message", has_text=containing).last
        found.wait_for()
        return found

    def last_message(self) -> Any:
        found = self.page.locator("#messages .message").last
        found.wait_for()
        return found

    def click(self, label: str, in_message: str | None = None) -> None:
        """Click a button of the newest message showing `in_message` (or of the newest message)."""
        where = self.message(in_message) if in_message else self.last_message()
        where.get_by_role("button", name=label, exact=True).click()

    # ----- modals
    @property
    def modal(self) -> Any:
        return self.page.locator("#overlay .modal")

    def field(self, label: str) -> Any:
        return self.modal.locator(".input-block", has=self.page.locator(".input-label", has_text=label))

    def fill(self, label: str, text: str) -> None:
        self.field(label).locator("input, textarea").first.fill(text)

    def choose(self, label: str, option: str) -> None:
        """Pick an option of a select or a radio button, by the words shown."""
        field = self.field(label)
        select = field.locator("select")
        if select.count():
            value = select.locator("option", has_text=option).first.get_attribute("value")
            select.select_option(value)
        else:
            field.get_by_text(option, exact=False).first.click()

    def fill_required(self) -> None:
        """Something sensible in every required field still empty: enough to get through any form."""
        blocks = self.modal.locator(".input-block")
        for index in range(blocks.count()):
            block = blocks.nth(index)
            if block.locator(".optional").count():
                continue
            self._fill_one(block)

    def _fill_one(self, block: Any) -> None:
        values = {"url": "https://www.facebook.com/prairiecrossing/posts/42", "date": "2027-06-30",
                  "time": "10:00", "email": "someone@example.org", "number": "1"}  # fmt: skip
        control = block.locator("input, textarea, select").first
        tag = control.evaluate("node => node.tagName.toLowerCase()")
        kind = control.get_attribute("type") or ""
        if tag == "select":
            if not control.input_value():
                options = control.locator("option:not([value=''])")
                control.select_option(options.first.get_attribute("value"))
        elif kind in ("radio", "checkbox"):
            if not block.locator("input:checked").count():
                control.check()
        elif not control.input_value():
            control.fill(values.get(kind, "For the sandbox walk-through: the spring programme."))

    def submit(self) -> None:
        self.modal.locator("[data-submit]").click()

    def close_modal(self) -> None:
        self.modal.get_by_role("button", name="Close", exact=True).last.click()

    def confirm_if_asked(self) -> None:
        """A button with a confirm dialog: say yes (the dialog, if any, is up as soon as the click is)."""
        dialog = self.page.locator(".confirm-layer")
        if dialog.count():
            dialog.locator(".btn.primary, .btn.danger").last.click()

    # ----- the tour and pictures
    def step(self, key: str) -> Any:
        return self.page.locator(f"#steps .step[data-step='{key}']")

    def screenshot(self, name: str, element: Any = None) -> Path:
        """Into docs/screenshots/ when FLAGPOST_SCREENSHOTS is set (`make screenshots`), else a temp dir."""
        folder = SCREENSHOTS if os.environ.get("FLAGPOST_SCREENSHOTS") else Path(tempfile.gettempdir())
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        (element or self.page).screenshot(path=str(path))
        return path
