"""The one door to Slack's Web API. Every post, update, ephemeral, DM, modal and home view goes through here."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator

log = logging.getLogger(__name__)

# Errors that will not go away by trying again (slack_sdk already retried 429 and 5xx once).
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "user_not_found",
        "users_not_found",
        "invalid_blocks",
        "msg_too_long",
        "message_not_found",
        "cant_update_message",
        "expired_trigger_id",
    }
)


# A user id where a channel is expected means the bot's DM with that user (a live card in a DM, such as a page).
USER_CHANNEL = re.compile(r"[UW][A-Z0-9]{2,}")


class SlackCallFailed(Exception):
    """A Web API call failed; `permanent` says whether trying again later can help."""

    def __init__(self, method: str, error: str, permanent: bool):
        super().__init__(f"{method} failed: {error}")
        self.method = method
        self.error = error
        self.permanent = permanent


def build_web_client(
    token: str | None, base_url: str, retry_interval: RetryIntervalCalculator | None = None
) -> WebClient:
    """A WebClient that honours Retry-After on 429 and retries 5xx and dropped connections once."""
    extra = {"interval_calculator": retry_interval} if retry_interval else {}
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1, **extra),
            RateLimitErrorRetryHandler(max_retry_count=1),
            ServerErrorRetryHandler(max_retry_count=1, **extra),
        ],
    )


class SlackDoor:
    def __init__(self, client: WebClient):
        self.client = client

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        call = getattr(
            self.client, method.replace(".", "_")
        )  # the typed slack_sdk method, e.g. chat_postMessage
        try:
            response = call(**{k: v for k, v in kwargs.items() if v is not None})
        except SlackApiError as exc:
            error = str(exc.response.get("error") or f"http_{exc.response.status_code}")
            status = exc.response.status_code
            permanent = error in PERMANENT_ERRORS or (400 <= status < 500 and status != 429)
            log.warning("Slack %s failed: %s (permanent=%s)", method, error, permanent)
            raise SlackCallFailed(method, error, permanent) from exc
        except (SlackClientError, OSError) as exc:
            log.warning("Slack %s failed to connect: %s", method, exc)
            raise SlackCallFailed(method, type(exc).__name__, permanent=False) from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    def auth_test(self) -> dict[str, Any]:
        return self._call("auth.test")

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> str:
        """Post and return the message ts (the handle for later chat.update calls)."""
        data = self._call(
            "chat.postMessage",
            channel=self._conversation(channel),
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(data.get("ts", ""))

    def update_message(self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None) -> None:
        self._call("chat.update", channel=self._conversation(channel), ts=ts, text=text, blocks=blocks)

    def _conversation(self, channel: str) -> str:
        """chat.update needs a DM's D… id, not the user's id: open (or find) the DM for a user id."""
        return self.open_dm(channel) if USER_CHANNEL.fullmatch(channel) else channel

    def permalink(self, channel: str, ts: str) -> str:
        """The link to one message, for pointing at a card from elsewhere (a page DM)."""
        data = self._call("chat.getPermalink", channel=self._conversation(channel), message_ts=ts)
        return str(data.get("permalink", ""))

    def post_ephemeral(
        self, channel: str, user: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> None:
        self._call("chat.postEphemeral", channel=channel, user=user, text=text, blocks=blocks)

    def open_dm(self, user: str) -> str:
        data = self._call("conversations.open", users=user)
        return str(data["channel"]["id"])

    def send_dm(self, user: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str:
        return self.post_message(self.open_dm(user), text, blocks)

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        data = self._call("views.open", trigger_id=trigger_id, view=view)
        return str(data.get("view", {}).get("id", ""))

    def update_view(self, view_id: str, view: dict[str, Any]) -> None:
        self._call("views.update", view_id=view_id, view=view)

    def publish_home(self, user: str, view: dict[str, Any]) -> None:
        self._call("views.publish", user_id=user, view=view)

    def user_info(self, user: str) -> dict[str, Any]:
        return dict(self._call("users.info", user=user).get("user", {}))
