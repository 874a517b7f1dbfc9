"""Sign a request body the way Slack does: v0 HMAC-SHA256 over `v0:{timestamp}:{body}`."""

from __future__ import annotations

import time

from slack_sdk.signature import SignatureVerifier


def signed_headers(
    secret: str, body: str, timestamp: int | None = None, content_type: str = ""
) -> dict[str, str]:
    """The two headers Slack adds, computed as slack_sdk's SignatureVerifier checks them."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
    if content_type:
        headers["Content-Type"] = content_type
    return headers
