"""Listeners for requests: /request, the four forms, the card's Approve / Deny / Cancel, IT's Done, asking
for more time; and the requests domain's description."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.domain import Domain
from bot.errors import InvalidInput
from bot.requests import extensions, grants, service
from bot.requests.blocks import home_blocks
from bot.requests.cards import render_request_card, render_task_card
from bot.requests.forms import (
    chooser_blocks,
    decision_modal,
    extension_modal,
    form_problem,
    receipt_text,
    receipt_view,
    request_modal,
    usage_text,
)
from bot.requests.ids import NEW_BUTTONS, RequestIds
from bot.requests.jobs import TIMED
from bot.requests.models import ITEM, TASK_ITEM, Kind, Request, RequestStep, RequestTask
from bot.requests.store import approvals_channel
from handlers.home import home_view
from handlers.kit import action_ref, actor, form_values, typed

if TYPE_CHECKING:
    from slack_bolt import Ack

    from bot.app import GuardedApp
    from bot.runtime import Runtime


def _form_for(rt: Runtime, kind: Kind) -> dict[str, Any]:
    """The kind's form, or a refusal in words when it can't be used here (no directors, no channel)."""
    problem = form_problem(kind, rt.org)
    if problem:
        raise InvalidInput(problem)
    approvals_channel(rt.org)
    return request_modal(kind, rt.org, rt.clock.now().astimezone(rt.org.tz).date())


def register(app: GuardedApp, rt: Runtime) -> None:
    _asking(app, rt)
    _deciding(app, rt)
    _after(app, rt)


def _asking(app: GuardedApp, rt: Runtime) -> None:
    """/request, the chooser's buttons, and the four forms."""

    @app.command(RequestIds.COMMAND)
    def request_command(ack: Ack, body: dict[str, Any], command: dict[str, Any]) -> None:
        text = typed(command.get("text"))
        if text.lower() in ("", "help", "?"):
            ack(text=usage_text(), blocks=chooser_blocks(), response_type="ephemeral")
            return
        form = _form_for(rt, service.parse_kind(text.split()[0]))  # before ack: refusals ride on the reply
        ack()
        rt.door.open_view(command["trigger_id"], form)

    def on_new_button(kind: Kind, action_id: str) -> None:
        """The chooser's and App Home's buttons: open the form of one kind."""

        @app.action(action_id)
        def open_new(ack: Ack, body: dict[str, Any]) -> None:
            ack()
            rt.door.open_view(body["trigger_id"], _form_for(rt, kind))

        open_new.__name__ = f"request_new_{kind.value}"

    for kind, action_id in NEW_BUTTONS.items():
        on_new_button(Kind(kind), action_id)

    @app.view(RequestIds.FORM_MODAL)
    def form_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        receipt = rt.run(
            service.file_request,
            org=rt.org,
            calendar=rt.calendar,
            requester=actor(body),
            kind=view.get("private_metadata") or "",
            answers=form_values(view),
        )
        ack(response_action="update", view=receipt_view(receipt_text(receipt)))


def _deciding(app: GuardedApp, rt: Runtime) -> None:
    """The card's Approve, Approve with a note, Deny and Cancel (also in App Home)."""

    @app.action(RequestIds.APPROVE)
    def approve_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        ref = action_ref(action, ITEM)
        rt.run(
            service.approve,
            org=rt.org,
            calendar=rt.calendar,
            request_id=ref.id,
            step=ref.step,
            version=ref.version,
            actor=actor(body),
        )

    def on_decision_button(action_id: str, deny: bool) -> None:
        """Deny (a reason is required) and Approve with a note open a form first, for approvers only."""

        @app.action(action_id)
        def decision_form(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            ack()
            ref = action_ref(action, ITEM)
            verb = "deny" if deny else "approve"
            request: Request = rt.read(
                service.may_decide, org=rt.org, request_id=ref.id, step=ref.step, actor=actor(body), verb=verb
            )
            step: RequestStep = next(s for s in request.steps if s.position == ref.step)
            rt.door.open_view(body["trigger_id"], decision_modal(request, step, deny))

        decision_form.__name__ = f"request_{'deny' if deny else 'approve'}_form"

    on_decision_button(RequestIds.DENY, deny=True)
    on_decision_button(RequestIds.APPROVE_WITH_NOTE, deny=False)

    @app.view(RequestIds.DENY_MODAL)
    def deny_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ref = action_ref({"value": view.get("private_metadata")}, ITEM)
        rt.run(
            service.deny,
            org=rt.org,
            request_id=ref.id,
            step=ref.step,
            version=ref.version,
            actor=actor(body),
            reason=form_values(view).get(RequestIds.REASON),
        )
        ack()

    @app.view(RequestIds.NOTE_MODAL)
    def note_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ref = action_ref({"value": view.get("private_metadata")}, ITEM)
        rt.run(
            service.approve,
            org=rt.org,
            calendar=rt.calendar,
            request_id=ref.id,
            step=ref.step,
            version=ref.version,
            actor=actor(body),
            comment=form_values(view).get(RequestIds.REASON),
        )
        ack()

    @app.action(RequestIds.CANCEL)
    def cancel_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        user = actor(body)
        rt.run(service.cancel, org=rt.org, request_id=action_ref(action, ITEM).id, actor=user)
        if (body.get("container") or {}).get("type") == "view":  # pressed in App Home: show it gone
            rt.door.publish_home(user, home_view(rt, user))


def _after(app: GuardedApp, rt: Runtime) -> None:
    """After an approval: more time on a grant, and IT's Done."""

    @app.action(RequestIds.EXTEND)
    def extend_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        request_id = action_ref(action, ITEM).id
        original: Request = rt.read(extensions.may_extend, request_id=request_id, actor=actor(body))
        rt.door.open_view(body["trigger_id"], extension_modal(original))

    @app.view(RequestIds.EXTEND_MODAL)
    def extension_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = form_values(view)
        receipt = rt.run(
            extensions.request_extension,
            org=rt.org,
            calendar=rt.calendar,
            request_id=action_ref({"value": view.get("private_metadata")}, ITEM).id,
            actor=actor(body),
            new_end=values.get(RequestIds.NEW_END),
            reason=values.get(RequestIds.REASON),
        )
        ack(response_action="update", view=receipt_view(receipt_text(receipt)))

    @app.action(RequestIds.END_ACCESS)
    def end_access_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        request_id = action_ref(action, ITEM).id
        rt.run(grants.end_access_now, org=rt.org, request_id=request_id, actor=actor(body))

    @app.action(RequestIds.TASK_DONE)
    def task_done_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        task_id = action_ref(action, TASK_ITEM).id  # a stale card is told who did it, and when
        rt.run(grants.task_done, org=rt.org, task_id=task_id, actor=actor(body))


def home_section(rt: Runtime, user: str) -> list[dict[str, Any]]:
    mine = rt.read(service.open_requests_of, user=user)
    waiting = rt.read(service.waiting_for, org=rt.org, user=user)
    return home_blocks(mine, waiting, usage_text())


DOMAIN = Domain(
    name="requests",
    models=(Request, RequestStep, RequestTask),
    listeners=register,
    cards={ITEM: render_request_card, TASK_ITEM: render_task_card},
    timed=TIMED,
    home=home_section,
)
