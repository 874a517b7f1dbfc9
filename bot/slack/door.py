"""The one door to Slack's Web API. Every post, update, ephemeral, DM, modal and home view goes through here."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

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
        "user_disabled",  # a deactivated account: no DM will ever reach it
        "user_not_visible",
        "cannot_dm_bot",
        "invalid_blocks",
        "msg_too_long",
        "message_not_found",
        "cant_update_message",
        "expired_trigger_id",
    }
)


# Where Slack's response_urls live. Anything else in a payload's response_url is not Slack's, and Flagpost never
# POSTs there: a forged one would make the bot reach into its own network in Slack's name.
SLACK_RESPONSE_URL = re.compile(r"https://hooks\.slack(?:-gov)?\.com/[A-Za-z0-9/_.~%-]*")
SLACK_API_HOSTS = ("slack.com", "slack-gov.com")
_SAFE_PATH = re.compile(r"/[A-Za-z0-9/_.~%-]*")

# A user id where a channel is expected means the bot's DM with that user (a live card in a DM, such as a page).
USER_CHANNEL = re.compile(r"[UW][A-Z0-9]{2,}")


# Permanent errors about the bot's own credentials, not about one message: once an admin fixes the token or the
# scopes, every message goes through again, so these are retried (with backoff) rather than set aside.
CREDENTIAL_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "missing_scope"}
)
HISTORY_PAGES = 3  # how far back a lost card is looked for: 600 messages, newest first


class SlackCallFailed(Exception):
    """A Web API call failed. `permanent`: trying again later cannot help. `ambiguous`: Slack may have done it
    anyway (a 5xx, or the connection dropped before its answer), so a post must be looked for, not repeated."""

    def __init__(self, method: str, error: str, permanent: bool, ambiguous: bool = False):
        super().__init__(f"{method} failed: {error}")
        self.method = method
        self.error = error
        self.permanent = permanent
        self.ambiguous = ambiguous

    @property
    def dead_letter(self) -> bool:
        """Slack will never take this message as it is (invalid_blocks, a channel gone…): set it aside."""
        return self.permanent and self.error not in CREDENTIAL_ERRORS


class _NeverRepost:
    """A 5xx or a dropped connection does not say whether Slack posted the message: trying chat.postMessage
    again at once could post it twice. Those failures go back to the outbox instead, which looks for a card
    before posting it again (bot/delivery.py)."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        if str(request.url).endswith("/chat.postMessage"):
            return False
        return bool(super()._can_retry(state=state, request=request, response=response, error=error))  # type: ignore[misc]


class _ServerErrorRetry(_NeverRepost, ServerErrorRetryHandler):
    pass


class _ConnectionErrorRetry(_NeverRepost, ConnectionErrorRetryHandler):
    pass


def build_web_client(
    token: str | None, base_url: str, retry_interval: RetryIntervalCalculator | None = None
) -> WebClient:
    """A WebClient that honours Retry-After on 429 and retries 5xx and dropped connections once (except a
    post, see _NeverRepost)."""
    extra = {"interval_calculator": retry_interval} if retry_interval else {}
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=[
            _ConnectionErrorRetry(max_retry_count=1, **extra),
            RateLimitErrorRetryHandler(max_retry_count=1),
            _ServerErrorRetry(max_retry_count=1, **extra),
        ],
    )


def stand_in_origin(base_url: str) -> str | None:
    """`scheme://host:port` of a Web API that is not Slack's (the stand-in of the tests and the sandbox):
    its response_urls are the only others Flagpost answers."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if any(host == name or host.endswith("." + name) for name in SLACK_API_HOSTS):
        return None
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class SlackDoor:
    def __init__(self, client: WebClient):
        self.client = client
        self.stand_in = stand_in_origin(client.base_url)

    def may_respond_to(self, response_url: object) -> bool:
        """Whether `response_url` is Slack's (or the configured stand-in's), read strictly: no user info,
        no port, no backslash, nothing a URL parser could read two ways."""
        if not isinstance(response_url, str):
            return False
        if SLACK_RESPONSE_URL.fullmatch(response_url):
            return True
        if self.stand_in and response_url.startswith(self.stand_in + "/"):
            return bool(_SAFE_PATH.fullmatch(response_url[len(self.stand_in) :]))
        return False

    def respond(
        self,
        response_url: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        replace: bool = False,
    ) -> None:
        """An ephemeral answer on the interaction's response_url; refused unless the URL is Slack's."""
        if not self.may_respond_to(response_url):
            raise SlackCallFailed("response_url", "not_a_slack_response_url", permanent=True)
        payload: dict[str, Any] = {"text": text, "response_type": "ephemeral", "replace_original": replace}
        if blocks is not None:
            payload["blocks"] = blocks
        response = WebhookClient(response_url, timeout=10).send_dict(payload)
        if response.status_code != 200:
            raise SlackCallFailed("response_url", f"http_{response.status_code}", permanent=False)

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
            raise SlackCallFailed(method, error, permanent, ambiguous=status >= 500) from exc
        except (SlackClientError, OSError) as exc:
            log.warning("Slack %s failed to connect: %s", method, exc)
            raise SlackCallFailed(method, type(exc).__name__, permanent=False, ambiguous=True) from exc
        return dict(response.data) if isinstance(response.data, dict) else {}

    def auth_test(self) -> dict[str, Any]:
        return self._call("auth.test")

    def post_message(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Post and return the message ts (the handle for later chat.update calls). `metadata`
        ({"event_type": …, "event_payload": {…}}) rides with the message, so it can be found again."""
        data = self._call(
            "chat.postMessage",
            channel=self._conversation(channel),
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            metadata=metadata,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(data.get("ts", ""))

    def find_message(self, channel: str, metadata: dict[str, Any]) -> str | None:
        """The ts of the newest message in `channel` that carries exactly this `metadata` (as posted by
        `post_message`), among the last HISTORY_PAGES pages of history; None when there is none."""
        cursor = None
        for _ in range(HISTORY_PAGES):
            data = self._call(
                "conversations.history",
                channel=self._conversation(channel),
                limit=200,
                include_all_metadata=True,
                cursor=cursor,
            )
            for message in data.get("messages") or []:
                if message.get("metadata") == metadata and message.get("ts"):
                    return str(message["ts"])
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

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
