"""A stand-in for Slack's Socket Mode: a WebSocket server on a loopback port that pushes envelopes, as Slack
does, to the bot's real Socket Mode client and collects its acknowledgements.

Point the Web API stand-in at it (`SlackStandIn.socket_url = socket.url`): the bot's `apps.connections.open`
then returns this server's address, and slack_sdk's built-in client connects here (it speaks plain ws:// to
any port but 443). Envelope shapes follow shared/slack-payloads/socket_mode_envelopes.json.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

ENVELOPE_TYPES = {"events_api", "slash_commands", "interactive"}


class SocketModeStandIn:
    """Start with `with SocketModeStandIn() as socket:`; `send(...)` an envelope, `ack(...)` its answer."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._server = serve(self._session, host, 0)
        self._thread: threading.Thread | None = None
        self._lock = threading.Condition()
        self._connections: list[ServerConnection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._tickets = itertools.count(1)
        self.connections_made = 0
        self.received: list[dict[str, Any]] = []  # every frame the bot sent, parsed

    # ----- lifecycle
    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket={next(self._tickets)}&app_id=A0FLAGPOST"

    def start(self) -> SocketModeStandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, name="socket-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close()
        self._server.shutdown()

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_connected(self, after: int = 0, timeout: float = 10.0) -> None:
        """Until more than `after` connections have been made in all (pass `connections_made` from before)."""
        with self._lock:
            if not self._lock.wait_for(lambda: self.connections_made > after and self._connections, timeout):
                raise TimeoutError("the bot did not connect over Socket Mode")

    # ----- one connection, as Slack runs it
    def _session(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "debug_info": {"host": "applink-standin", "approximate_connection_time": 18060},
                    "connection_info": {"app_id": "A0FLAGPOST"},
                }
            )
        )
        with self._lock:
            self._connections.append(connection)
            self.connections_made += 1
            self._lock.notify_all()
        try:
            for frame in connection:
                message = json.loads(frame)
                with self._lock:
                    self.received.append(message)
                    if "envelope_id" in message:
                        self._acks[message["envelope_id"]] = message
                    self._lock.notify_all()
        except (ConnectionClosed, json.JSONDecodeError):
            pass
        finally:
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)

    # ----- pushing envelopes
    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Push one envelope ("events_api", "slash_commands" or "interactive"); returns its envelope_id."""
        if kind not in ENVELOPE_TYPES:
            raise ValueError(f"not an envelope type: {kind}")
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": kind,
            "accepts_response_payload": kind != "events_api",
        }
        if retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = retry_reason or "timeout"
        with self._lock:
            connection = self._connections[-1] if self._connections else None
        if connection is None:
            raise RuntimeError("no Socket Mode connection is open")
        connection.send(json.dumps(envelope))
        return str(envelope["envelope_id"])

    def ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The bot's acknowledgement of one envelope (with its `payload`, for commands and interactions)."""
        with self._lock:
            if not self._lock.wait_for(lambda: envelope_id in self._acks, timeout):
                raise TimeoutError(f"no acknowledgement for envelope {envelope_id}")
            return self._acks[envelope_id]

    def request(self, kind: str, payload: dict[str, Any], **retry: Any) -> dict[str, Any]:
        """Push an envelope and wait for its acknowledgement; returns the ack's payload ({} when empty)."""
        return dict(self.ack(self.send(kind, payload, **retry)).get("payload") or {})
