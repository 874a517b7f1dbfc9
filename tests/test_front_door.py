"""The front door, through the real HTTP endpoint: a request that fails verification gets a 4xx and nothing
else; nothing unreadable reaches the bot; rejected requests leave a short log line; slow clients cannot take
it offline (issue 8, items 1, 2, 3 and 5)."""

from __future__ import annotations

import json
import logging
import socket
import time
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.audit import AuditEvent
from bot.events import ProcessedEvent
from bot.flags.ids import FlagIds
from bot.flags.models import Flag
from bot.slack.testkit import payloads
from bot.slack.testkit.signing import signed_headers
from tests.conftest import EMPLOYEE, MODERATOR
from tests.harness import SIGNING_SECRET, BotClient


def raw_http(bot: BotClient, request: bytes, timeout: float = 5.0) -> tuple[int, bytes, float]:
    """Send exactly these bytes and read the answer: (status, whole response, seconds)."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", bot.server.effective_port), timeout=timeout) as sock:
        sock.sendall(request)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
            if b"\r\n\r\n" in received and _complete(received):
                break
    status = int(received.split(b" ", 2)[1]) if received.startswith(b"HTTP/") else 0
    return status, received, time.perf_counter() - started


def _complete(response: bytes) -> bool:
    head, _, body = response.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":", 1)[1])
    return False


def request_bytes(body: bytes, headers: dict[str, str], path: str = "/slack/events") -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: flagpost", "Connection: close"]
    if not any(key.lower() == "content-length" for key in headers):
        head.append(f"Content-Length: {len(body)}")
    head += [f"{key}: {value}" for key, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def nothing_happened(bot: BotClient) -> None:
    """No listener, no error handler, no reply to a response_url, no DM, nothing written."""
    bot.wait()
    assert bot.slack.calls == [], [call.method for call in bot.slack.calls]
    assert bot.slack.responses == []
    for model in (ProcessedEvent, Flag, AuditEvent):
        assert bot.query(lambda s, m=model: s.scalar(select(func.count()).select_from(m))) == 0


def click_body(response_url: str, user: str = EMPLOYEE) -> str:
    """A block_actions payload that makes today's listeners fail (a forged value) after the ack."""
    element = {"action_id": FlagIds.CLAIM, "value": "flag-999-v1", "block_id": "b", "type": "button"}
    return payloads.block_actions(element, user, response_url=response_url)[0]


# ----- item 1: an unsigned request never makes the bot talk


@pytest.mark.parametrize("timestamp", ["abc", "", "1.5", " 1700000000", "١٧٠٠٠٠٠٠٠٠", "-0", "9" * 40])
def test_a_malformed_timestamp_is_a_plain_401_and_nothing_else(bot: BotClient, timestamp: str) -> None:
    body = click_body(bot.slack.response_url("ssrf"))
    headers = {
        "Content-Type": payloads.FORM,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + "0" * 64,
    }
    status, _, _ = raw_http(bot, request_bytes(body.encode(), headers))
    assert status == 401
    nothing_happened(bot)


def test_an_unsigned_click_naming_a_user_sends_no_dm(bot: BotClient) -> None:
    element = {"action_id": FlagIds.CLAIM, "value": "flag-999-v1", "block_id": "b", "type": "button"}
    payload = json.loads(
        dict(__import__("urllib.parse").parse.parse_qsl(payloads.block_actions(element, MODERATOR)[0]))[
            "payload"
        ]
    )
    payload.pop("response_url")
    body = urlencode({"payload": json.dumps(payload)})
    for timestamp in ("abc", str(int(time.time()))):
        headers = {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": "v0=nope"}
        assert bot.post(body, payloads.FORM, headers=headers, sign=False).status == 401
    nothing_happened(bot)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/anything",
        "http://169.254.169.254/latest/meta-data",
        "https://hooks.slack.com.evil.example/x",
        "https://evil.example\\@hooks.slack.com/x",
        "https://hooks.slack.com@evil.example/x",
    ],
)
def test_a_signed_request_with_a_foreign_response_url_gets_no_reply_there(bot: BotClient, url: str) -> None:
    """Defence in depth: even a signed request never makes Flagpost POST outside Slack (or the stand-in)."""
    result = bot.post(click_body(url), payloads.FORM)
    assert 400 <= result.status < 500
    bot.wait()
    assert bot.slack.responses == []
    assert [call.method for call in bot.slack.calls if call.method != "auth.test"] == []  # Bolt's own


def test_the_error_handler_still_answers_a_signed_click_on_its_own_response_url(bot: BotClient) -> None:
    assert bot.post(click_body(bot.slack.response_url("ok"), MODERATOR), payloads.FORM).status == 200
    bot.wait()
    assert "There is no flag F-999" in bot.slack.responses[-1]["text"]


# ----- item 2: nothing unreadable reaches the bot, signed or not

JUNK: dict[str, tuple[bytes, str]] = {
    "truncated JSON": (b'{"type": "event_callback", "event": {', payloads.JSON),
    "a JSON array": (b'[{"type": "event_callback"}]', payloads.JSON),
    "30k-deep JSON": (b"[" * 30_000 + b"]" * 30_000, payloads.JSON),
    "payload= with invalid JSON": (b"payload=%7Bnot+json", payloads.FORM),
    "payload= with a JSON string": (b"payload=%22hello%22", payloads.FORM),
    "raw \\xff bytes": (b"\xff\xfe\x00payload=\xff", payloads.FORM),
    "a form body labelled as JSON": (b"command=%2Fflag&text=hello&user_id=U1", payloads.JSON),
    "a JSON body whose 'type' is a list": (b'{"type": ["x"], "event": 5}', payloads.JSON),
}


@pytest.mark.parametrize("name", list(JUNK))
def test_unreadable_bodies_get_a_4xx_unsigned_or_signed(bot: BotClient, name: str) -> None:
    body, content_type = JUNK[name]
    unsigned = {"Content-Type": content_type}
    status, _, _ = raw_http(bot, request_bytes(body, unsigned))
    assert 400 <= status < 500, status
    signed = {**unsigned, **_sign_bytes(body)}
    status, _, _ = raw_http(bot, request_bytes(body, signed))
    assert 400 <= status < 500, status
    nothing_happened(bot)


def _sign_bytes(body: bytes) -> dict[str, str]:
    """Slack signs the raw bytes: `v0:{timestamp}:{body}`."""
    import hashlib
    import hmac

    stamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def test_a_64_mb_content_length_is_refused_on_the_header(bot: BotClient) -> None:
    headers = {"Content-Type": payloads.FORM, "Content-Length": str(64 * 1024 * 1024)}
    status, _, seconds = raw_http(bot, request_bytes(b"payload=", headers), timeout=3)
    assert status == 413
    assert seconds < 1.0


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "10, 10"])
def test_a_bad_content_length_is_a_400(bot: BotClient, length: str) -> None:
    headers = {"Content-Type": payloads.FORM, "Content-Length": length}
    status, _, _ = raw_http(bot, request_bytes(b"payload=", headers), timeout=3)
    assert status == 400
    nothing_happened(bot)


def test_a_signed_click_with_no_actions_gets_a_plain_answer(bot: BotClient) -> None:
    payload = json.loads(dict(__import__("urllib.parse").parse.parse_qsl(click_body("x")))["payload"])
    payload["actions"] = []
    payload["response_url"] = bot.slack.response_url("empty")
    result = bot.post(urlencode({"payload": json.dumps(payload)}), payloads.FORM)
    assert result.status < 500
    bot.wait()


# ----- item 3: a rejected request leaves a short, escaped line


def test_a_rejected_request_is_logged_in_one_short_escaped_line(
    bot: BotClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    forged = "x" * 900_000 + "\n2026-11-17 10:00:00 INFO flagpost: admin U0ADM0001 granted access\n"
    body = urlencode({"payload": forged})
    paths = ["/slack/events", "/slack/events%0A2026-11-17 INFO flagpost: forged"]
    for path in paths:
        request = request_bytes(body.encode(), {"Content-Type": payloads.FORM}, path=path.replace(" ", "%20"))
        raw_http(bot, request)
    bot.wait()
    logged = [record.getMessage() for record in caplog.records]
    assert sum(len(line) for line in logged) < 2_000, [line[:200] for line in logged]
    assert all("\n" not in line and "granted access" not in line for line in logged)
    refused = [line for line in logged if "refused" in line]
    assert refused and all(str(len(body)) in line for line in refused[:1])


# ----- item 5: slow clients cannot take it offline


def test_healthz_and_a_signed_flag_answer_while_200_slow_connections_are_open(bot: BotClient) -> None:
    slow = []
    try:
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", bot.server.effective_port), timeout=5)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: flagpost\r\nContent-Length: 100\r\n")
            slow.append(sock)
        time.sleep(0.2)  # let the server's loop take them all in (this test is about real sockets)
        health = _get_with_timeout(bot, "/healthz", 3.0)
        assert health == 200
        body, content_type = payloads.slash_command(
            "/flag", "https://www.facebook.com/town/posts/77 is the pool open?", EMPLOYEE
        )
        headers = {"Content-Type": content_type, **signed_headers(SIGNING_SECRET, body)}
        status, response, _ = raw_http(bot, request_bytes(body.encode(), headers), timeout=3)
        assert status == 200 and b"F-1" in response
    finally:
        for sock in slow:
            sock.close()


def _get_with_timeout(bot: BotClient, path: str, timeout: float) -> int:
    status, _, _ = raw_http(
        bot, f"GET {path} HTTP/1.1\r\nHost: flagpost\r\nConnection: close\r\n\r\n".encode(), timeout
    )
    return status


# ----- defence in depth: Bolt itself, should an unverified request ever reach it


@pytest.mark.parametrize("timestamp", ["abc", str(int(time.time()))])
def test_bolt_alone_answers_an_unverified_request_with_401_and_nothing_else(
    bot: BotClient, timestamp: str, caplog: pytest.LogCaptureFixture
) -> None:
    from slack_bolt.request import BoltRequest

    caplog.set_level(logging.DEBUG)
    body = click_body(bot.slack.response_url("bolt"), MODERATOR) + "&secret-looking-body=1"
    headers = {
        "content-type": payloads.FORM,
        "x-slack-request-timestamp": timestamp,
        "x-slack-signature": "v0=" + "0" * 64,
    }
    response = bot.app.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status == 401
    bot.wait()
    assert bot.slack.calls == [] and bot.slack.responses == []
    assert not any("secret-looking-body" in record.getMessage() for record in caplog.records)
