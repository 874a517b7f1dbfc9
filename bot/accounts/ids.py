"""Every action_id of the password-rotation domain."""

from enum import StrEnum


class AccountIds(StrEnum):
    CHANGED = "account_password_changed"
