"""Serving and stopping `flagpost run`: HTTP or Socket Mode, `/healthz` on PORT in both, and a bounded drain
when SIGTERM (docker stop, systemd, Kubernetes) or Ctrl-C arrives.

Stopping: take no new work (close the listening socket, or the Socket Mode connection; no new scheduler
tick), let what is running finish within DRAIN_SECONDS (requests being answered, listeners still working
after their ack, deliveries to Slack, a tick), then close the database, so SQLite folds its write-ahead log
back in and leaves no -wal/-shm files. Whatever was cut short is still due in the database and is done after
the restart: nothing is lost, only delayed.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_bolt import App

from bot.config import Settings
from bot.errors import ConfigError
from bot.health import health_only_app
from bot.runtime import Runtime
from bot.server import make_http_server, stop_http_server

log = logging.getLogger("flagpost")

DRAIN_SECONDS = 8.0  # `docker stop` kills after 10 s; Kubernetes after 30 s
HOST = "0.0.0.0"  # inside a container; docker/compose.http.yml publishes it on 127.0.0.1 only


class StopSignal:
    """SIGTERM and SIGINT (Ctrl-C) set one event. As PID 1 in a container, a process without a SIGTERM
    handler ignores it, and `docker stop` waits 10 s before killing it."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self._previous: dict[int, Any] = {}

    def install(self) -> StopSignal:
        if threading.current_thread() is threading.main_thread():  # Python allows handlers only there
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, _frame: Any) -> None:
        log.info("%s received: stopping", signal.Signals(signum).name)
        self.event.set()

    def wait(self) -> None:
        while not self.event.wait(timeout=1.0):  # a timeout keeps the main thread responsive to signals
            pass

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()


class Serving(Protocol):
    def stop_taking_work(self) -> None: ...

    def finish(self, timeout: float) -> None: ...


def _run_in_thread(target: Callable[[], object], name: str) -> threading.Thread:
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread


@dataclass
class HttpServing:
    """waitress serving POST /slack/events and GET /healthz, in a thread."""

    server: Any
    thread: threading.Thread

    def stop_taking_work(self) -> None:
        from waitress import wasyncore

        # Close only the listening socket, from inside waitress's loop (closing it from outside races
        # with select); the connections being answered go on until finish().
        self.server.trigger.pull_trigger(lambda: wasyncore.dispatcher.close(self.server))

    def finish(self, timeout: float) -> None:
        stop_http_server(self.server, self.thread, timeout=timeout)


def serve_http(rt: Runtime, app: App, settings: Settings) -> HttpServing:
    server = make_http_server(rt, app, host=HOST, port=settings.port)
    return HttpServing(server, _run_in_thread(server.run, "waitress"))


@dataclass
class SocketServing:
    """The Socket Mode connection, and /healthz (only) on PORT beside it."""

    handler: Any
    health_server: Any
    health_thread: threading.Thread
    closing: list[threading.Thread] = field(default_factory=list)

    def stop_taking_work(self) -> None:
        # Closing waits for the envelopes being handled: in the background, so the drain stays bounded.
        self.closing.append(_run_in_thread(self.handler.close, "socket-mode-close"))

    def finish(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.closing:
            thread.join(max(0.0, deadline - time.monotonic()))
        stop_http_server(
            self.health_server, self.health_thread, timeout=max(0.1, deadline - time.monotonic())
        )


def serve_socket_mode(rt: Runtime, app: App, settings: Settings, handler_class: Any = None) -> SocketServing:
    """Connect to Slack over Socket Mode (a refused app token is one sentence), then serve /healthz."""
    from slack_sdk.errors import SlackApiError

    if handler_class is None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler as handler_class
    handler = handler_class(app, settings.app_token)
    try:
        handler.connect()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN ({error or exc}): create an app-level token with the scope "
            "connections:write under your Slack app's 'Basic Information' → 'App-Level Tokens'."
        ) from None
    from waitress.server import create_server

    health = create_server(
        health_only_app(rt, handler.client.is_connected),
        host=HOST,
        port=settings.port,
        threads=2,
        ident="flagpost",
    )
    return SocketServing(handler, health, _run_in_thread(health.run, "healthz"))


def shut_down(rt: Runtime, serving: Serving, scheduler: Any, seconds: float = DRAIN_SECONDS) -> bool:
    """Stop taking work, let running work finish within `seconds`, close the database. True when
    everything finished in time."""
    deadline = time.monotonic() + seconds

    def left() -> float:
        return max(0.0, deadline - time.monotonic())

    ticks = _run_in_thread(lambda: scheduler.shutdown(wait=True), "scheduler-stop")  # a running tick ends
    serving.stop_taking_work()
    serving.finish(left())
    finished = rt.executor.wait_idle(left()) and rt.delivery_pool.wait_idle(left())
    ticks.join(left())
    finished = finished and not ticks.is_alive()
    for pool in (rt.executor, rt.delivery_pool):
        pool.shutdown(wait=False, cancel_futures=True)
    if not finished:
        log.warning(
            "stopping with work still running after %g s; it stays due and is done after restart", seconds
        )
    rt.engine.dispose()  # the last connection closed: SQLite checkpoints and removes its -wal and -shm
    log.info("stopped")
    return finished
