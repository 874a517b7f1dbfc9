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
    server = make_http_server(rt, app, host=settings.host, port=settings.port)
    return HttpServing(server, _run_in_thread(server.run, "waitress"))


@dataclass
class SocketServing:
    """The Socket Mode connection, and /healthz (only) on PORT beside it."""

    handler: Any
    health_server: Any
    health_thread: threading.Thread
    closing: list[threading.Thread] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)  # ends the first-connection retries

    def stop_taking_work(self) -> None:
        self.stopping.set()
        # Closing waits for the envelopes being handled: in the background, so the drain stays bounded.
        self.closing.append(_run_in_thread(self.handler.close, "socket-mode-close"))

    def finish(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self.closing:
            thread.join(max(0.0, deadline - time.monotonic()))
        stop_http_server(
            self.health_server, self.health_thread, timeout=max(0.1, deadline - time.monotonic())
        )


def _refused_app_token(exc: Any) -> ConfigError:
    error = exc.response.get("error") if exc.response is not None else None
    return ConfigError(
        f"Slack refused SLACK_APP_TOKEN ({error or exc}): create an app-level token with the scope "
        "connections:write under your Slack app's 'Basic Information' → 'App-Level Tokens'."
    )


def _keep_connecting(handler: Any, stopping: threading.Event, first_wait: float, longest_wait: float) -> None:
    """Slack was unreachable at start (DNS, a firewall, an outage): try again, waiting longer each time, until
    connected or told to stop. Meanwhile /healthz says "disconnected"; due work still runs."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    wait = first_wait
    while not stopping.wait(wait):
        try:
            handler.connect()
        except SlackApiError as exc:
            log.error("%s", _refused_app_token(exc).message)
            return
        except (OSError, SlackClientError) as exc:
            wait = min(wait * 2, longest_wait)
            log.warning(
                "still cannot reach Slack for Socket Mode (%s); next try in %g s", type(exc).__name__, wait
            )
            continue
        log.info("connected to Slack over Socket Mode")
        return


def serve_socket_mode(
    rt: Runtime,
    app: App,
    settings: Settings,
    handler_class: Any = None,
    retry_seconds: tuple[float, float] = (5.0, 60.0),
) -> SocketServing:
    """Connect to Slack over Socket Mode (a refused app token is one sentence; an unreachable Slack is retried
    in the background, with backoff from `retry_seconds[0]` up to `[1]`), then serve /healthz."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    if handler_class is None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler as handler_class
    handler = handler_class(app, settings.app_token)
    stopping = threading.Event()
    try:
        handler.connect()
    except SlackApiError as exc:
        raise _refused_app_token(exc) from None
    except (OSError, SlackClientError) as exc:  # URLError is an OSError
        log.warning(
            "could not reach Slack for Socket Mode (%s): check outbound HTTPS to slack.com; trying again "
            "in the background",
            type(exc).__name__,
        )
        _run_in_thread(lambda: _keep_connecting(handler, stopping, *retry_seconds), "socket-mode-connect")
    from waitress.server import create_server

    health = create_server(
        health_only_app(rt, handler.client.is_connected),
        host=settings.host,
        port=settings.port,
        threads=2,
        ident="flagpost",
    )
    return SocketServing(handler, health, _run_in_thread(health.run, "healthz"), stopping=stopping)


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
