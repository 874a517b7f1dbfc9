"""Every action_id and callback_id of the flags domain."""

from enum import StrEnum


class FlagIds(StrEnum):
    COMMAND = "/flag"
    MESSAGE_SHORTCUT = "flag_message"  # callback_id of the message shortcut "Flag for moderators"
    INTAKE_MODAL = "flag_intake"  # callback_id of the report form
    RESOLVE_MODAL = "flag_resolve"  # callback_id of the outcome form

    CLAIM = "flag_claim"
    RELEASE = "flag_release"
    RESOLVE = "flag_resolve_open"
    ESCALATE = "flag_escalate"
    PAGE = "flag_page_oncall"
    SET_KIND = "flag_set_kind"
    SET_PRIORITY = "flag_set_priority"

    # block_id / action_id pairs inside the modals
    URL_BLOCK = "flag_url"
    KIND_BLOCK = "flag_kind"
    PRIORITY_BLOCK = "flag_priority"
    NOTE_BLOCK = "flag_note"
    OUTCOME_BLOCK = "flag_outcome"
    RESOLUTION_NOTE_BLOCK = "flag_resolution_note"
    INPUT = "value"
