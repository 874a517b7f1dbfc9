"""Block Kit for asking: the choice of kind, the four request forms, the reason form, the extension form,
and what the requester reads after filing. Pure functions: data in, JSON-ready dicts out."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.config import Organization
from bot.refs import Ref
from bot.requests import checks, clauses
from bot.requests.blocks import day
from bot.requests.fields import FORMS, MAX_LONG, Field
from bot.requests.ids import NEW_BUTTONS, RequestIds
from bot.requests.models import KIND_CLAUSES, KIND_TITLES, Kind, Request, RequestStep
from bot.requests.service import MAX_COMMENT, Receipt
from bot.requests.steps import describe
from bot.slack import blocks as bk
from bot.slack.text import escape

Block = bk.Block

MODAL_TITLES = {
    Kind.ACCESS: "Access to social media",
    Kind.SHARE: "Share community info",
    Kind.ACCOUNT: "New department account",
    Kind.PHOTO: "Approval for a photo",
}
INTRO = {
    Kind.ACCESS: (clauses.ACCESS_FROM_DIRECTOR, clauses.ACCESS_CAO),
    Kind.SHARE: (clauses.SHARE_DEFAULT,),
    Kind.ACCOUNT: (clauses.ACCOUNT_CAO, clauses.ACCOUNT_CRITERIA),
    Kind.PHOTO: (clauses.PHOTO_APPROVAL, clauses.PHOTO_EMERGENCY),
}


def usage_text() -> str:
    return (
        "Ask with `/request access` (use of the town's social media), `/request share` (a community group's "
        "information), `/request account` (a department profile) or `/request photo` (posting a photo)."
    )


def chooser_blocks() -> list[Block]:
    """What `/request` alone shows: the four kinds, each a button that opens its form."""
    return [
        bk.section("What would you like to ask for?"),
        bk.actions(
            [bk.button(KIND_TITLES[Kind(kind)], action, kind) for kind, action in NEW_BUTTONS.items()]
        ),
        bk.context(usage_text()),
    ]


def form_problem(kind: Kind, org: Organization) -> str | None:
    """Why this form can't be filled in here (nobody to choose as director), or None."""
    if any(spec.type == "director" for spec in FORMS[kind]) and not org.users_with_role("director"):
        return (
            "No directors are set up in organization.toml yet, so there is nobody to approve this. Ask your "
            "Flagpost admin to add them under [roles] director."
        )
    return None


def _element(spec: Field, org: Organization, today: date) -> Block:
    if spec.type == "date":
        return bk.date_picker(RequestIds.INPUT, initial=today.isoformat() if spec.key == "start" else None)
    if spec.type == "url":
        return bk.url_input(RequestIds.INPUT, placeholder=spec.placeholder)
    if spec.type == "director":
        choices = bk.options((user, org.name_of(user)) for user in org.users_with_role("director"))
        return bk.static_select(RequestIds.INPUT, "Choose a director", choices)
    if spec.type == "choice":
        return bk.radio_buttons(RequestIds.INPUT, bk.options(spec.choices))
    return bk.text_input(
        RequestIds.INPUT,
        multiline=spec.type == "long",
        placeholder=spec.placeholder,
        max_length=spec.max_length,
    )


def request_modal(kind: Kind, org: Organization, today: date) -> dict[str, Any]:
    """The form of one kind of request; the kind travels in private_metadata."""
    intro = [bk.context(clause.quoted()) for clause in INTRO[kind]]
    inputs = [
        bk.input_block(
            spec.block,
            spec.label,
            _element(spec, org, today),
            optional=not spec.required,
            hint=spec.hint or None,
        )
        for spec in FORMS[kind]
    ]
    return bk.modal(
        MODAL_TITLES[kind],
        [*intro, *inputs],
        callback_id=RequestIds.FORM_MODAL,
        submit="Send",
        close="Cancel",
        private_metadata=kind.value,
    )


def decision_modal(request: Request, step: RequestStep, deny: bool) -> dict[str, Any]:
    """Deny needs a reason (it goes to the requester); an approval may carry a note."""
    ref = Ref("request", request.id, request.version, step.position).encode()
    summary = (
        f"*{request.ref} · {escape(request.title)}* from <@{request.requester}>\n"
        f"Step {step.position} of {len(request.steps)}: {describe(step)}."
    )
    label = (
        "Reason (sent to the person who asked)" if deny else "Note (optional; the person who asked sees it)"
    )
    return bk.modal(
        f"Deny {request.ref}" if deny else f"Approve {request.ref}",
        [
            bk.section(summary),
            bk.input_block(
                RequestIds.REASON,
                label,
                bk.text_input(RequestIds.INPUT, multiline=True, max_length=MAX_COMMENT),
                optional=not deny,
            ),
        ],
        callback_id=RequestIds.DENY_MODAL if deny else RequestIds.NOTE_MODAL,
        submit="Deny" if deny else "Approve",
        close="Cancel",
        private_metadata=ref,
    )


def extension_modal(request: Request) -> dict[str, Any]:
    assert request.ends_on is not None
    return bk.modal(
        f"More time: {request.ref}",
        [
            bk.section(
                f"Your access to the town's {escape(request.details.get('platform', ''))} account(s) ends after "
                f"{day(request.ends_on)}. An extension goes through the same approvals (Taber 1.05(b))."
            ),
            bk.input_block(
                RequestIds.NEW_END,
                "Until (the new last day)",
                bk.date_picker(RequestIds.INPUT, initial=(request.ends_on + timedelta(days=7)).isoformat()),
            ),
            bk.input_block(
                RequestIds.REASON,
                "Why more time?",
                bk.text_input(RequestIds.INPUT, multiline=True, max_length=MAX_LONG),
            ),
        ],
        callback_id=RequestIds.EXTEND_MODAL,
        submit="Ask",
        close="Cancel",
        private_metadata=request.item_ref().encode(),
    )


def receipt_text(receipt: Receipt) -> str:
    if receipt.step_count == 1:
        needs = f"It needs one approval, from {receipt.first_step}."
    else:
        needs = f"It needs {receipt.step_count} approvals, in order; first {receipt.first_step}."
    lines = [
        f":white_check_mark: Sent as *{receipt.ref}* ({KIND_CLAUSES[receipt.kind]}). {needs}",
        "You'll get a message at each decision. You can cancel it from its card or from Flagpost's Home tab.",
    ]
    for code in receipt.checks:
        check = checks.CHECKS.get(code)
        if check is not None:
            lines.append(f":warning: {check.text} _({check.clause.ref})_")
    return "\n".join(lines)


def receipt_view(text: str) -> dict[str, Any]:
    return bk.modal("Request sent", [bk.section(text)], close="Done")
