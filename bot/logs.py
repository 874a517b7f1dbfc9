"""Logging for an operator: Flagpost's own lines at LOG_LEVEL, the libraries' only when something is wrong.

At INFO an idle bot writes nothing after its start-up lines: APScheduler's two lines per 15-second tick
(11,500 a day), Alembic's plugin lines and waitress's banner are the libraries' INFO, which stays hidden.
At DEBUG Flagpost adds one line per handled Slack request (`bot/app.py`). An unexpected error is logged at
ERROR with its error id, the one the user was shown, next to the traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
OURS = ("flagpost", "bot", "handlers")  # our loggers: "flagpost", "flagpost.bolt", and __name__ ones

# Bolt warns on every start that the token it read from SLACK_BOT_TOKEN is unused: it is, on purpose,
# because the app gets a client that already carries the token (and the retry handlers).
_BOLT_TOKEN_NOTICE = "`token` will be unused"


class _DropBoltTokenNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return _BOLT_TOKEN_NOTICE not in record.getMessage()


def setup_logging(level: str = "INFO") -> None:
    """Flagpost's loggers at `level`; every library at WARNING; one handler on standard error."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(max(logging.WARNING, logging.getLevelName(level)))
    for name in OURS:
        logging.getLogger(name).setLevel(level)
    bolt = logging.getLogger("flagpost.bolt")
    bolt.setLevel(max(logging.INFO, logging.getLevelName(level)))  # Bolt's DEBUG is every header
    if not any(isinstance(f, _DropBoltTokenNotice) for f in bolt.filters):
        bolt.addFilter(_DropBoltTokenNotice())


def describe_request(body: dict[str, Any]) -> str:
    """What a Slack request was, in a few words, for the DEBUG line Flagpost logs for each one handled."""
    kind = str(body.get("type") or "")
    user, event = body.get("user"), body.get("event")
    user = body.get("user_id") or (user.get("id") if isinstance(user, dict) else user)
    if not user and isinstance(event, dict):
        user = event.get("user")
    if "command" in body:
        what = f"command {body['command']}"
    elif kind == "block_actions":
        what = "action " + ",".join(str(a.get("action_id")) for a in body.get("actions") or [])
    elif kind in ("view_submission", "view_closed"):
        what = f"{kind} {(body.get('view') or {}).get('callback_id')}"
    elif kind in ("shortcut", "message_action"):
        what = f"shortcut {body.get('callback_id')}"
    elif kind == "event_callback":
        what = f"event {(body.get('event') or {}).get('type')} {body.get('event_id', '')}".rstrip()
    else:
        what = kind or "request"
    return f"{what} from {user}" if user else what
