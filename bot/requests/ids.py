"""Every action_id, callback_id and form block_id of the requests domain."""

from enum import StrEnum


class RequestIds(StrEnum):
    COMMAND = "/request"
    FORM_MODAL = "request_form"  # callback_id of the four request forms (the kind in private_metadata)
    DENY_MODAL = "request_deny"  # callback_id of the reason form
    NOTE_MODAL = "request_approve_note"  # callback_id of "approve with a note"
    EXTEND_MODAL = "request_extend"  # callback_id of the extension form

    # buttons
    NEW_ACCESS = "request_new_access"  # "/request" alone and App Home: open the form of one kind
    NEW_SHARE = "request_new_share"
    NEW_ACCOUNT = "request_new_account"
    NEW_PHOTO = "request_new_photo"
    APPROVE = "request_approve"
    APPROVE_WITH_NOTE = "request_approve_with_note"
    DENY = "request_deny_open"
    CANCEL = "request_cancel"
    EXTEND = "request_extend_open"
    END_ACCESS = "request_end_access"
    TASK_DONE = "request_task_done"

    # block_ids of the form fields (each holds one element whose action_id is INPUT)
    PLATFORM = "request_platform"
    PURPOSE = "request_purpose"
    START = "request_start"
    END = "request_end"
    DIRECTOR = "request_director"
    TRAINED = "request_trained"
    ORGANISATION = "request_organisation"
    ORGANISER = "request_organiser"
    EVENT = "request_event"
    EVENT_DATE = "request_event_date"
    LINK = "request_link"
    DESCRIPTION = "request_description"
    EXCEPTION = "request_exception"
    FUNDRAISER = "request_fundraiser"
    CANDIDATE = "request_candidate"
    DEPARTMENT = "request_department"
    NEED = "request_need"
    AUDIENCE = "request_audience"
    RESOURCES = "request_resources"
    OVERSIGHT = "request_oversight"
    TAKEN_WHERE = "request_taken_where"
    TAKEN_ON = "request_taken_on"
    CONSENT = "request_consent"
    EMERGENCY = "request_emergency"
    REASON = "request_reason"
    NEW_END = "request_new_end"
    INPUT = "value"


NEW_BUTTONS = {
    "access": RequestIds.NEW_ACCESS,
    "share": RequestIds.NEW_SHARE,
    "account": RequestIds.NEW_ACCOUNT,
    "photo": RequestIds.NEW_PHOTO,
}
