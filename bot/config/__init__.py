"""Settings from the environment and the organisation file `organization.toml`.

`settings` reads the environment; `organization` loads the organisation file through `reader` (every key
checked against its SECTIONS table) and `sections` (one reader per optional section) into `values`.
"""

from bot.config.organization import load_organization
from bot.config.reader import SECTIONS
from bot.config.settings import ENVIRONMENT, Settings, environment_help, load_settings
from bot.config.values import (
    DEFAULT_REQUEST_STEPS,
    ROLES,
    BusinessHours,
    Organization,
    PasswordAccount,
    Season,
)

__all__ = [
    "DEFAULT_REQUEST_STEPS",
    "ENVIRONMENT",
    "ROLES",
    "SECTIONS",
    "BusinessHours",
    "Organization",
    "PasswordAccount",
    "Season",
    "Settings",
    "environment_help",
    "load_organization",
    "load_settings",
]
