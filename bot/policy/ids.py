"""Every action_id and callback_id of the policy domain."""

from enum import StrEnum


class PolicyIds(StrEnum):
    COMMAND = "/policy"
    HELPFUL = "policy_helpful"
    NOT_HELPFUL = "policy_not_helpful"
    SEND_TO_COMMUNICATIONS = "policy_send_to_communications"
