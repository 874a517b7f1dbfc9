"""Typed errors. Each carries a sentence a user can read; the one error handler shows it."""

from __future__ import annotations


class FlagpostError(Exception):
    """An expected failure whose message is safe and useful to show the user as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ConfigError(FlagpostError):
    """The settings or the organisation file are wrong."""


class InvalidInput(FlagpostError):
    """What the user typed cannot be used. `field` names the modal block to mark, when there is one."""

    def __init__(self, message: str, field: str | None = None, more: dict[str, str] | None = None):
        super().__init__(message)
        self.field = field
        self.more = more or {}  # other fields wrong in the same form, so all are marked at once

    @classmethod
    def on_fields(cls, errors: dict[str, str]) -> InvalidInput:
        """Every wrong field of a form at once (`errors` maps block_id to its message; not empty)."""
        (field, message), *rest = errors.items()
        return cls(message, field, dict(rest))


class NotAuthorized(FlagpostError):
    """The actor lacks the role this action needs."""


class Conflict(FlagpostError):
    """The item is not in a state that allows this action (already claimed, already resolved…)."""


class NotFound(FlagpostError):
    """The item the button or command names does not exist."""
