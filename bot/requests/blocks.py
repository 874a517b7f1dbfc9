"""Block Kit for a request's card, IT's task cards, the App Home section and the extension offer.
Pure functions: data in, JSON-ready dicts out; every piece of user text is escaped here."""

from __future__ import annotations

from datetime import date

from bot.requests import checks, clauses
from bot.requests.fields import FORMS, Field, choice_label
from bot.requests.ids import NEW_BUTTONS, RequestIds
from bot.requests.models import Kind, Request, RequestStep, RequestTask, Status, StepStatus, TaskKind
from bot.requests.steps import describe, title
from bot.slack import blocks as bk
from bot.slack.text import escape, link, quote, slack_date

Block = bk.Block

STATUS_EMOJI = {
    Status.PENDING: ":hourglass:",
    Status.APPROVED: ":white_check_mark:",
    Status.DENIED: ":no_entry:",
    Status.CANCELLED: ":heavy_multiplication_x:",
    Status.EXPIRED: ":lock:",
}
STEP_EMOJI = {
    StepStatus.PENDING: ":hourglass:",
    StepStatus.APPROVED: ":white_check_mark:",
    StepStatus.DENIED: ":no_entry:",
    StepStatus.SKIPPED: ":heavy_minus_sign:",
}
POLICY_NOTES = {
    Kind.ACCESS: "Taber 1.05: the employee's director approves, then the CAO (1.05(b)); IT and Communications "
    "are told in writing (1.05(c)); IT sets up the access (1.05(e),(f)).",
    Kind.SHARE: "Taber 1.04(s): the default is to defer these requests to other channels; 1.04(t) lists the "
    "only exceptions, some at the sole discretion of the CAO or Communications.",
    Kind.ACCOUNT: "Taber 1.02(d),(e) and Westlock 5.3: the director asks in writing, the CAO approves, and IT "
    "and Communications are told.",
    Kind.PHOTO: "Taber 1.04(d): photos are approved by the department director or Communications before "
    "they are posted.",
}


def day(value: str | date | None) -> str:
    if not value:
        return "—"
    found = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{found:%a %b} {found.day}, {found.year}"


def _shown(kind: Kind, spec: Field, value: str) -> str:
    if spec.type == "url":
        return link(value, bk.clip(value, 80))
    if spec.type == "date":
        return day(value)
    if spec.type == "director":
        return f"<@{value}>"
    if spec.type == "choice":
        return escape(choice_label(kind, spec.key, value))
    return escape(value)


def detail_blocks(request: Request) -> list[Block]:
    """The request's fields: short ones side by side, long ones quoted."""
    kind = Kind(request.kind)
    fields = [f"*Asked by*\n<@{request.requester}>"]
    long: list[Block] = []
    for spec in FORMS[kind]:
        value = request.details.get(spec.key)
        if not value:
            continue
        if spec.type == "long":
            long.append(bk.section(f"*{spec.label}*\n{quote(value, 1400)}"))
        else:
            label = "Director" if spec.type == "director" else spec.label  # "Your director" is the form's
            fields.append(f"*{label}*\n{_shown(kind, spec, value)}")
    if request.details.get("reason"):
        long.append(bk.section(f"*Why more time*\n{quote(request.details['reason'], 1400)}"))
    return [bk.section(fields=fields[:10]), *long]


def step_line(step: RequestStep) -> str:
    """One line of the trail: who decides the step, and who decided it, when, with what comment."""
    status = StepStatus(step.status)
    line = f"{STEP_EMOJI[status]} *{step.position}. {title(step)}*"
    if status is StepStatus.PENDING:
        return f"{line}: waiting for {describe(step)}"
    if status is StepStatus.SKIPPED or step.decided_at is None:
        return f"{line}: not needed"
    admin = " (an admin, standing in)" if step.decided_as == "admin" else ""
    line += f": {status.value} by <@{step.decided_by}>{admin} {slack_date(step.decided_at)}"
    if step.comment:
        line += f" — “{bk.clip(escape(step.comment), 400)}”"
    return line


def status_line(request: Request) -> str:
    status = Status(request.status)
    emoji = STATUS_EMOJI[status]
    if status is Status.PENDING:
        step = request.current_step
        assert step is not None
        return (
            f"{emoji} *Pending*: step {step.position} of {len(request.steps)}, waiting for "
            f"{describe(step)}. Admins may stand in for any approver."
        )
    when = slack_date(request.decided_at) if request.decided_at else ""
    if status is Status.APPROVED and request.expires_at is not None:
        return f"{emoji} *Access granted* {when}; it ends {slack_date(request.expires_at)}."
    if status is Status.EXPIRED and request.expires_at is not None:
        return f"{emoji} *Expired* {slack_date(request.expires_at)}: IT has been asked to remove the access."
    if status is Status.CANCELLED:
        return f"{emoji} *Cancelled* by <@{request.cancelled_by}> {when}."
    return f"{emoji} *{status.value.capitalize()}* {when}."


def task_line(task: RequestTask) -> str:
    what = "set up the access" if task.kind == TaskKind.PROVISION else "remove the access"
    if task.done_by:
        return (
            f":white_check_mark: IT: done, <@{task.done_by}> {slack_date(task.done_at)} ({what})"
            if task.done_at
            else ""
        )
    return f":hourglass: IT: to {what} (task in the IT channel)"


def request_card(
    request: Request, original: Request | None, extensions: list[Request]
) -> tuple[str, list[Block]]:
    """The live card in the approvals channel: the fields, the checks, the trail, and the buttons."""
    kind = Kind(request.kind)
    heading = f"{request.ref} · {request.title}"
    if original is not None:
        heading = f"{request.ref} · More time for {original.ref}"
    blocks: list[Block] = [bk.header(heading), *detail_blocks(request)]
    lines = checks.check_lines(list(request.details.get("checks") or []))
    if kind is Kind.SHARE:
        lines.insert(
            0, f"*The policy's default is to defer to other channels:*\n{clauses.SHARE_DEFAULT.quoted()}"
        )
    blocks.extend(bk.section(line) for line in lines)
    blocks.append(bk.context(POLICY_NOTES[kind]))
    blocks.append(bk.section("*Approvals*\n" + "\n".join(step_line(step) for step in request.steps)))
    extra = [task_line(task) for task in request.tasks]
    extra += [
        f":calendar: {ext.ref} asks for more time, until {day(ext.ends_on)}: {ext.status}"
        for ext in extensions
    ]
    if original is not None:
        extra.append(f":calendar: Extends {original.ref} to {day(request.ends_on)}.")
    if extra := [line for line in extra if line]:
        blocks.append(bk.section("\n".join(extra)))
    blocks.append(bk.context(status_line(request)))
    if request.status == Status.PENDING:
        blocks.append(_decision_buttons(request))
    elif request.status == Status.APPROVED and request.kind == Kind.ACCESS:
        blocks.append(
            bk.actions([end_access_button(request)], block_id=f"request_grant:{request.item_ref().encode()}")
        )
    text = f"{request.ref} · {request.title} · {request.status} · from <@{request.requester}>"
    return bk.fallback(text), bk.message_blocks(blocks)


def _decision_buttons(request: Request) -> Block:
    step = request.current_step
    assert step is not None
    value = request.item_ref(step.position).encode()
    return bk.actions(
        [
            bk.button("Approve", RequestIds.APPROVE, value, style="primary"),
            bk.button("Approve with a note…", RequestIds.APPROVE_WITH_NOTE, value),
            bk.button("Deny…", RequestIds.DENY, value, style="danger"),
            bk.button(
                "Cancel request",
                RequestIds.CANCEL,
                request.item_ref().encode(),
                ask=bk.confirm(
                    "Cancel this request?",
                    f"{request.ref} is withdrawn; only the person who asked can do this.",
                ),
            ),
        ],
        block_id=f"request_actions:{value}",
    )


def task_card(task: RequestTask, request: Request) -> tuple[str, list[Block]]:
    """IT's task: the written notice of Taber 1.05(c) and a Done button (1.05(e),(f))."""
    platform = escape(request.details.get("platform", ""))
    training = escape(choice_label(Kind.ACCESS, "training", request.details.get("training")))
    approvers = ", ".join(f"<@{s.decided_by}>" for s in request.steps if s.decided_by)
    if task.kind == TaskKind.PROVISION:
        heading = f"Provision access · {request.ref}"
        body = (
            f":memo: *Access approved* in writing (Taber 1.05(c)): <@{request.requester}> may use the town's "
            f"{platform} account(s) from {day(request.starts_on)} to {day(request.ends_on)}. "
            f"Approved by {approvers}.\n"
            f"Training by Communications: {training} (Taber 1.05(h))."
        )
        if request.details.get("training") != "done":
            body += (
                "\n:warning: *Do not give the access until Communications confirms the training*: it comes "
                '"prior to being allowed access" (Taber 1.05(h)).'
            )
        policy = [clauses.ACCESS_PROVISION.quoted(), clauses.ACCESS_USER_ID.quoted()]
    else:
        heading = f"Revoke access · {request.ref}"
        body = (
            f":lock: <@{request.requester}>'s access to the town's {platform} account(s) ended "
            f"{slack_date(request.expires_at) if request.expires_at else ''}. Please remove it."
        )
        policy = []
    blocks: list[Block] = [bk.header(heading), bk.section(body), *[bk.context(p) for p in policy]]
    if task.done_by and task.done_at:
        blocks.append(bk.context(f":white_check_mark: Done by <@{task.done_by}> {slack_date(task.done_at)}."))
    else:
        blocks.append(
            bk.actions(
                [bk.button("Done", RequestIds.TASK_DONE, task.item_ref.encode(), style="primary")],
                block_id=f"request_task:{task.item_ref.encode()}",
            )
        )
    return bk.fallback(f"{heading}: {request.ref} for <@{request.requester}>"), bk.message_blocks(blocks)


def end_access_button(request: Request) -> Block:
    return bk.button(
        "End access now",
        RequestIds.END_ACCESS,
        request.item_ref().encode(),
        style="danger",
        ask=bk.confirm(
            "End this access now?",
            f"{request.ref} ends today and IT is asked to remove the access. The person it was granted to, "
            "their director, Communications and admins can do this.",
        ),
    )


def extension_offer(request: Request, text: str) -> list[Block]:
    return [
        bk.section(text),
        bk.actions([bk.button("Ask for more time…", RequestIds.EXTEND, request.item_ref().encode())]),
    ]


# ----- App Home


def home_line(request: Request) -> str:
    step = request.current_step
    where = f"step {step.position} of {len(request.steps)}, waiting for {describe(step)}" if step else ""
    if request.status == Status.APPROVED and request.expires_at is not None:
        where = f"access ends {slack_date(request.expires_at)}"
    return f"{STATUS_EMOJI[Status(request.status)]} *{request.ref}* {escape(request.title)} · {where}"


def home_blocks(mine: list[Request], waiting: list[Request], usage: str) -> list[Block]:
    blocks: list[Block] = [bk.header("Requests")]
    if waiting:
        lines = [f"{home_line(r)} · from <@{r.requester}>" for r in waiting[:15]]
        blocks.append(
            bk.section(
                "*Waiting for your decision* (the cards are in the approvals channel)\n" + "\n".join(lines)
            )
        )
    if mine:
        blocks.append(bk.section("*Your open requests*"))
        for request in mine[:15]:
            blocks.append(bk.section(home_line(request), accessory=_home_button(request)))
    else:
        blocks.append(bk.section(f"You have no open requests. {usage}"))
    blocks.append(
        bk.actions([bk.button(f"New: {kind}", action, kind) for kind, action in NEW_BUTTONS.items()])
    )
    return blocks


def _home_button(request: Request) -> Block | None:
    if request.status == Status.PENDING:
        return bk.button(
            "Cancel",
            RequestIds.CANCEL,
            request.item_ref().encode(),
            ask=bk.confirm("Cancel this request?", f"{request.ref} is withdrawn."),
        )
    if request.status == Status.APPROVED and request.kind == Kind.ACCESS:
        return bk.button("Ask for more time…", RequestIds.EXTEND, request.item_ref().encode())
    return None
