"""Every action_id and callback_id of the on-call domain."""

from enum import StrEnum


class OncallIds(StrEnum):
    COMMAND = "/oncall"
    ACKNOWLEDGE = "oncall_acknowledge"
