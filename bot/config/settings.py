"""Settings from the environment (and `.env` in the current directory): what `flagpost run` needs."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import ConfigError

if TYPE_CHECKING:
    pass

DEFAULT_DATABASE_URL = "sqlite:///flagpost.db"
DEFAULT_ORG_FILE = "policy_data/organization.toml"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

# Every environment variable Flagpost reads, for `--help` and the README. `.env` is read from the current
# directory; a variable already set in the environment wins over it.
ENVIRONMENT: dict[str, str] = {
    "SLACK_BOT_TOKEN": "the bot token, xoxb-…",
    "SLACK_SIGNING_SECRET": "verifies HTTP requests (HTTP mode)",
    "SLACK_APP_TOKEN": "xapp-…: when set, Socket Mode",
    "PORT": "HTTP mode: Slack's requests and /healthz; Socket Mode: /healthz only (default 3000)",
    "HOST": "the address PORT listens on (default 0.0.0.0, every interface; 127.0.0.1 for a local proxy)",
    "DATABASE_URL": f"sqlite:///path.db or postgresql://user:pass@host/db (default {DEFAULT_DATABASE_URL})",
    "FLAGPOST_ORG": f"the organisation file (default {DEFAULT_ORG_FILE})",
    "FLAGPOST_POLICIES": "a folder of your own clause files, added to the shipped ones",
    "LOG_LEVEL": "DEBUG, INFO (default), WARNING or ERROR",
    "SLACK_API_URL": "the Web API's base URL (the tests and the sandbox point it at a stand-in)",
}
# The values .env.example ships with: a copy left unchanged is a mistake to name, not a token to try.
EXAMPLE_VALUES = {"SLACK_BOT_TOKEN": "xoxb-your-bot-token", "SLACK_SIGNING_SECRET": "your-signing-secret"}


@dataclass(frozen=True)
class Settings:
    """What `flagpost run` needs from the environment (names as in DESIGN.md)."""

    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    slack_api_url: str
    database_url: str
    org_file: Path
    port: int
    host: str = "0.0.0.0"
    policies_dir: Path | None = None  # FLAGPOST_POLICIES: the organisation's own clause files
    log_level: str = "INFO"

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def missing_for_run(self) -> list[str]:
        missing = [] if self.bot_token else ["SLACK_BOT_TOKEN"]
        if not self.socket_mode and not self.signing_secret:
            missing.append("SLACK_SIGNING_SECRET")
        return missing

    def token_problems(self) -> list[str]:
        """What is wrong with the tokens that are set, each in one sentence (placeholders, wrong kinds)."""
        problems = [
            f"{name} is still the example value from .env.example: replace it with your Slack app's own"
            for name, example in EXAMPLE_VALUES.items()
            if (self.bot_token if name == "SLACK_BOT_TOKEN" else self.signing_secret) == example
        ]
        if self.bot_token and not problems and not self.bot_token.startswith("xoxb-"):
            problems.append(
                "SLACK_BOT_TOKEN must be the Bot User OAuth Token, which starts with xoxb- (your Slack "
                "app's 'OAuth & Permissions' page)"
            )
        if self.app_token and not self.app_token.startswith("xapp-"):
            problems.append(
                "SLACK_APP_TOKEN must be an app-level token, which starts with xapp- ('Basic Information' → "
                "'App-Level Tokens', scope connections:write); leave it empty for HTTP mode"
            )
        return problems


def load_settings(env: dict[str, str] | None = None, dotenv_path: str | None = ".env") -> Settings:
    """Read settings; values already in the environment win over `.env` (in the current directory)."""
    if env is None:
        if dotenv_path and Path(dotenv_path).is_file():
            from dotenv import load_dotenv  # only when there is a file to read

            load_dotenv(dotenv_path, override=False)
        env = dict(os.environ)
    api_url = env.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    port_text = env.get("PORT") or "3000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"PORT must be a TCP port number between 1 and 65535, not {port_text!r}.")
    host = (env.get("HOST") or "0.0.0.0").strip()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ConfigError(
            f"HOST must be an IP address to listen on, like 127.0.0.1 or 0.0.0.0, not {host!r}."
        ) from None
    log_level = (env.get("LOG_LEVEL") or "INFO").strip().upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {env['LOG_LEVEL']!r}.")
    return Settings(
        bot_token=(env.get("SLACK_BOT_TOKEN") or "").strip() or None,  # a token pasted with a space works
        signing_secret=(env.get("SLACK_SIGNING_SECRET") or "").strip() or None,
        app_token=(env.get("SLACK_APP_TOKEN") or "").strip() or None,
        slack_api_url=api_url,
        database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        org_file=Path(env.get("FLAGPOST_ORG") or DEFAULT_ORG_FILE),
        port=int(port_text),
        host=host,
        policies_dir=Path(env["FLAGPOST_POLICIES"]) if env.get("FLAGPOST_POLICIES") else None,
        log_level=log_level,
    )


def environment_help(*names: str) -> str:
    """The 'environment:' paragraph of a command's --help."""
    lines = [f"  {name:<22}{ENVIRONMENT[name]}" for name in names]
    return "environment (also read from .env in the current directory):\n" + "\n".join(lines) + "\n"
