"""Block Kit for on call: the page DM, the `/oncall` answer, the App Home section, and the lines a paged item's
card shows. Pure functions: data in, JSON-ready dicts out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.oncall.ids import OncallIds
from bot.oncall.models import Page, PageStatus, PageStep
from bot.oncall.rotation import Shift
from bot.oncall.schedule import OnCallView
from bot.refs import Ref, block_id
from bot.slack import blocks as bk
from bot.slack.text import link, slack_date

Block = bk.Block
Describe = Callable[[datetime], str]  # a moment in the organisation's zone: "Mon 23 Nov 2026, 08:30 MST"
WHEN = "{date_short_pretty} at {time}"


def _card_pointer(page: Page) -> str:
    if page.card_link:
        return link(page.card_link, "Open the card")
    return f"On the board in <#{page.card_channel}>" if page.card_channel else "No card"


def _state_for(page: Page, step: PageStep) -> str:
    """What this person's DM says about the page now."""
    if page.status == PageStatus.ACKNOWLEDGED:
        when = slack_date(page.acknowledged_at or step.paged_at, WHEN)
        return f":white_check_mark: *Acknowledged* by <@{page.acknowledged_by}> {when}."
    later = [other for other in page.steps if other.step > step.step]
    if later:
        hops = ", then ".join(f"<@{other.user}> {slack_date(other.paged_at, '{time}')}" for other in later)
        escalated = (
            f":arrow_double_up: Not acknowledged within {page.ack_minutes} minutes: escalated to {hops}."
        )
    else:
        escalated = ""
    if page.status == PageStatus.UNANSWERED:
        return (escalated + "\n" if escalated else "") + (
            ":warning: Everyone on the escalation list was paged and nobody has acknowledged yet. "
            "Acknowledge if you are taking it."
        )
    if escalated:
        return escalated + " You can still acknowledge it if you are taking it."
    due_at = step.paged_at + timedelta(minutes=page.ack_minutes)
    after = page.chain[step.step + 1] if step.step + 1 < len(page.chain) else None
    then = f"it goes to <@{after}>" if after else "everyone on the escalation list has then been paged"
    return f":hourglass_flowing_sand: Please acknowledge by {slack_date(due_at, '{time}')}; otherwise {then}."


def page_dm(page: Page, step: PageStep) -> tuple[str, list[Block]]:
    """The DM one person gets for a page, kept up to date in place."""
    intro = "You are on call" if step.step == 0 else f"Escalated to you (step {step.step + 1})"
    blocks: list[Block] = [
        bk.section(f":rotating_light: *Urgent: {page.title}*"),  # mrkdwn: the title is escaped text
        bk.section(f"*{intro}.* {page.summary}"),
        bk.section(fields=[f"*Why now*\n{page.clause}", f"*Card*\n{_card_pointer(page)}"]),
        bk.context(_state_for(page, step)),
    ]
    if page.status != PageStatus.ACKNOWLEDGED:
        ref = Ref("page", page.id, step=step.step)
        button = bk.button("Acknowledge", OncallIds.ACKNOWLEDGE, ref.encode(), style="primary")
        blocks.append(bk.actions([button], block_id=block_id("page_actions", ref)))
    state = "acknowledged" if page.status == PageStatus.ACKNOWLEDGED else "please acknowledge"
    return bk.fallback(f"Urgent: {page.title} ({state})"), bk.message_blocks(blocks)


def page_notes(pages: list[Page]) -> list[str]:
    """One line per page of an item, for its card: who was paged when, and who acknowledged."""
    lines = []
    for page in pages:
        hops = " → ".join(f"<@{step.user}> {slack_date(step.paged_at, '{time}')}" for step in page.steps)
        line = f":pager: Paged {hops}"
        if page.status == PageStatus.ACKNOWLEDGED:
            line += f" · :white_check_mark: acknowledged by <@{page.acknowledged_by}>"
            line += f" {slack_date(page.acknowledged_at or page.created_at, WHEN)}"
        elif page.status == PageStatus.UNANSWERED:
            line += " · :warning: nobody has acknowledged"
        else:
            line += " · waiting for an acknowledgement"
        lines.append(bk.clip(line, 1000))
    return lines


# ----- /oncall and App Home


def _shift_line(label: str, shift: Shift, describe: Describe, until: bool) -> str:
    who = f"<@{shift.user}>"
    if shift.override and shift.covering and shift.covering != shift.user:
        who += f" (covering for <@{shift.covering}>)"
    moment = shift.ends_at if until else shift.starts_at
    return f"*{label}:* {who} {'until' if until else 'from'} {describe(moment)}"


def oncall_text(
    view: OnCallView, describe: Describe, handover: str, ack_minutes: int, after_hours: bool
) -> str:
    """The `/oncall` answer. `describe` writes a moment in the organisation's zone."""
    if view.now is None:
        lines = ["Nobody is on call: `[oncall] rotation` in organization.toml is empty."]
        if view.chain:
            lines.append("Urgent items after hours page " + " → ".join(f"<@{u}>" for u in view.chain) + ".")
        return "\n".join(lines)
    lines = [_shift_line("On call now", view.now, describe, until=True)]
    if view.next is not None:
        lines.append(_shift_line("Next", view.next, describe, until=False))
    if len(view.chain) > 1:
        chain = " → ".join(f"<@{user}>" for user in view.chain[1:])
        lines.append(f"*If a page is not acknowledged within {ack_minutes} minutes:* {chain}")
    for shift in view.upcoming:
        lines.append(
            f"*Override:* <@{shift.user}> from {describe(shift.starts_at)} to {describe(shift.ends_at)}"
        )
    hours = "after hours: urgent items page the person on call" if after_hours else "business hours"
    lines.append(f"_Hand-over every {handover}. Right now it is {hours}._")
    return "\n".join(lines)


def override_text(user: str, actor: str, starts_at: datetime, ends_at: datetime, describe: Describe) -> str:
    who = "You are" if user == actor else f"<@{user}> is"
    return f":white_check_mark: {who} on call from {describe(starts_at)} to {describe(ends_at)}."


def cancelled_text(user: str, actor: str, starts_at: datetime, ends_at: datetime, describe: Describe) -> str:
    who = "Your" if user == actor else f"<@{user}>'s"
    return (
        f":white_check_mark: {who} shift from {describe(starts_at)} to {describe(ends_at)} is cancelled; "
        "the usual rotation covers it. `/oncall` shows who is on call now."
    )


def home_blocks(view: OnCallView, describe: Describe) -> list[Block]:
    if view.now is None:
        return []
    lines = [_shift_line("On call now", view.now, describe, until=True)]
    if view.next is not None:
        lines.append(_shift_line("Next", view.next, describe, until=False))
    return [bk.header("On call"), bk.section("\n".join(lines))]
