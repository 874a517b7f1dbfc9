"""Block Kit for a flag on the board and in App Home. Pure functions: data in, JSON-ready dicts out."""

from __future__ import annotations

from collections.abc import Sequence

from bot.flags.ids import FlagIds
from bot.flags.models import (
    KIND_LABELS,
    OUTCOME_LABELS,
    PRIORITY_LABELS,
    REPORTABLE_KINDS,
    Flag,
    Kind,
    Outcome,
    Priority,
    Status,
)
from bot.flags.urls import host_of, normalize_url
from bot.refs import block_id
from bot.slack import blocks as bk
from bot.slack.text import escape, link, quote, slack_date

Block = bk.Block

STATUS_EMOJI = {
    Status.OPEN: ":large_yellow_circle:",
    Status.CLAIMED: ":large_blue_circle:",
    Status.RESOLVED: ":white_check_mark:",
}
PRIORITY_EMOJI = {Priority.EMERGENCY: ":red_circle: ", Priority.TIME_SENSITIVE: ":large_orange_circle: "}
REPORTS_SHOWN = 5
LINE_LINK_BUDGET = 600  # an App Home line is clipped at 1,000 characters: its link must fit whole


def kind_options(kinds: list[Kind] | None = None) -> list[dict[str, object]]:
    return bk.options((kind.value, KIND_LABELS[kind].text) for kind in kinds or REPORTABLE_KINDS)


def priority_options() -> list[dict[str, object]]:
    return bk.options((priority.value, PRIORITY_LABELS[priority]) for priority in Priority)


def outcome_options() -> list[dict[str, object]]:
    return bk.options((outcome.value, OUTCOME_LABELS[outcome].text) for outcome in Outcome)


def where(flag: Flag, budget: int = bk.LIMITS["field"] - 20) -> str:
    """Where the post is: its platform and the host a browser opens, linked. A link longer than `budget`
    characters links to the post's normal form (tracking stripped) or, failing that, shows no link."""
    if not flag.url:
        return escape(flag.platform)
    label = f"{flag.platform} · {host_of(flag.url)}"
    for target in (flag.url, normalize_url(flag.url)):
        linked = link(target, label)
        if len(linked) <= budget:
            return linked
    return escape(label)


def flag_card(
    flag: Flag, similar_ref: str | None, *, overdue: bool = False, paging: Sequence[str] = ()
) -> tuple[str, list[Block]]:
    """The live card: what, where, priority, reporters, age, deadline, status and the moderators' buttons;
    `paging`: what on call says about its pages, one line each."""
    kind, priority, status = Kind(flag.kind), Priority(flag.priority), Status(flag.status)
    label = KIND_LABELS[kind]
    reporters = flag.reporters
    reporter_text = ", ".join(f"<@{user}>" for user in reporters)
    if len(reporters) > 1:
        reporter_text += f"  (+{len(reporters) - 1})"
    guessed = " _(guessed)_" if flag.kind_guessed else ""
    blocks: list[Block] = [
        bk.header(f"{flag.ref} · {label.text}"),
        bk.section(
            fields=[
                f"*What*\n{escape(label.text)}{guessed}",
                f"*Where*\n{where(flag)}",
                f"*Priority*\n{PRIORITY_EMOJI.get(priority, '')}{PRIORITY_LABELS[priority]}",
                f"*Reported by*\n{reporter_text}",
                f"*Reported*\n{slack_date(flag.created_at, '{ago}')}",
                f"*Deadline*\n{slack_date(flag.deadline_at)}" + (" :warning: *overdue*" if overdue else ""),
            ]
        ),
    ]
    for report in flag.reports[:REPORTS_SHOWN]:
        blocks.append(
            bk.section(
                f"<@{report.reporter}>:\n{quote(report.note, 900)}"
                if report.note
                else f"<@{report.reporter}>"
            )
        )
    if len(flag.reports) > REPORTS_SHOWN:
        blocks.append(bk.context(f"…and {len(flag.reports) - REPORTS_SHOWN} more reports."))
    if similar_ref:
        blocks.append(bk.context(f":eyes: Looks like {similar_ref} (a similar note, a different link)."))
    blocks.append(bk.context(status_line(flag)))
    blocks.extend(bk.context(line) for line in paging)
    if status is not Status.RESOLVED:
        blocks.extend(_card_controls(flag, kind, priority))
    text = f"{flag.ref} · {label.text} · {PRIORITY_LABELS[priority]} · {status.value}"
    if flag.url:
        text += f" · {escape(flag.url)}"
    return bk.fallback(text), bk.message_blocks(blocks)


def _card_controls(flag: Flag, kind: Kind, priority: Priority) -> list[Block]:
    ref = flag.item_ref
    value = ref.encode()
    buttons = (
        [bk.button("Claim", FlagIds.CLAIM, value, style="primary")]
        if flag.status == Status.OPEN
        else [bk.button("Release", FlagIds.RELEASE, value)]
    )
    buttons.append(bk.button("Resolve…", FlagIds.RESOLVE, value))
    if flag.escalated_at is None:
        buttons.append(
            bk.button(
                "Escalate",
                FlagIds.ESCALATE,
                value,
                style="danger",
                ask=bk.confirm(
                    "Escalate to the directors and CAO?",
                    f"{flag.ref} goes to the directors and the CAO by DM for a decision (Westlock 3.3.3).",
                    yes="Escalate",
                ),
            )
        )
    buttons.append(
        bk.button(
            "Page on-call now",
            FlagIds.PAGE,
            value,
            ask=bk.confirm(
                "Page the on-call contact now?",
                f"They get a DM about {flag.ref} at once, whatever the hour, until someone acknowledges "
                "(Taber 1.04(i)).",
                yes="Page now",
            ),
        )
    )
    current_kind = None if kind is Kind.STAFF_QUESTION else bk.option(kind.value, KIND_LABELS[kind].text)
    return [
        bk.actions(buttons, block_id=block_id("flag_actions", ref)),
        bk.actions(
            [
                bk.static_select(FlagIds.SET_KIND, "Change kind", kind_options(), current_kind),
                bk.static_select(
                    FlagIds.SET_PRIORITY,
                    "Change priority",
                    priority_options(),
                    bk.option(priority.value, PRIORITY_LABELS[priority]),
                ),
            ],
            block_id=block_id("flag_edit", ref),
        ),
    ]


def status_line(flag: Flag) -> str:
    status = Status(flag.status)
    parts = [STATUS_EMOJI[status]]
    if status is Status.OPEN:
        parts.append("*Open*, nobody has claimed it yet")
    elif status is Status.CLAIMED:
        parts.append(f"*Claimed* by <@{flag.assignee}>: only they (or an admin) can release or resolve it")
    else:
        outcome = OUTCOME_LABELS[Outcome(flag.outcome)] if flag.outcome else None
        done = f"*Resolved* by <@{flag.resolved_by}>"
        if flag.resolved_at:
            done += f" {slack_date(flag.resolved_at, '{date_short_pretty} at {time}')}"
        if outcome:
            done += f": {outcome.text}" + (f" ({outcome.clause})" if outcome.clause else "")
        parts.append(done)
        if flag.resolution_note:
            parts.append(f"— {bk.clip(escape(flag.resolution_note), 300)}")
    if flag.escalated_at is not None:
        parts.append(f"· :arrow_double_up: escalated by <@{flag.escalated_by}> to the directors and CAO")
    return " ".join(parts)


# ----- App Home


PRIORITY_FIRST = (Priority.EMERGENCY, Priority.TIME_SENSITIVE)  # Taber 1.04(r)(i),(ii): shown on every line


def flag_line(flag: Flag) -> str:
    status = Status(flag.status)
    who = f" · <@{flag.assignee}>" if status is Status.CLAIMED else ""
    if status is Status.RESOLVED and flag.outcome:
        who = f" · {OUTCOME_LABELS[Outcome(flag.outcome)].text}"
    due = f" · due {slack_date(flag.deadline_at)}" if status is not Status.RESOLVED else ""
    kind = escape(KIND_LABELS[Kind(flag.kind)].text)
    place = where(flag, LINE_LINK_BUDGET)
    return f"{STATUS_EMOJI[status]} *{flag.ref}* {kind}{priority_mark(flag)} · {place}{who}{due}"


def priority_mark(flag: Flag) -> str:
    """ " · :rotating_light: Emergency" on a list line, for the priorities that go first; else nothing."""
    priority = Priority(flag.priority)
    return f" · :rotating_light: {PRIORITY_LABELS[priority]}" if priority in PRIORITY_FIRST else ""


def lines_in_sections(lines: list[str]) -> list[Block]:
    """One line per flag, as many to a section as fit in Slack's 3,000 characters."""
    sections: list[Block] = []
    current: list[str] = []
    for line in lines:
        line = bk.clip(line, 1000)
        if current and len("\n".join([*current, line])) > bk.LIMITS["section"]:
            sections.append(bk.section("\n".join(current)))
            current = []
        current.append(line)
    if current:
        sections.append(bk.section("\n".join(current)))
    return sections


def home_flag_blocks(board: list[Flag], mine: list[Flag], is_moderator: bool, usage: str) -> list[Block]:
    blocks: list[Block] = []
    if is_moderator:
        unclaimed = sum(1 for flag in board if flag.status == Status.OPEN)
        blocks.append(bk.header(f"On the board: {len(board)} open, {unclaimed} unclaimed"))
        blocks.extend(
            lines_in_sections([flag_line(flag) for flag in board[:30]])
            or [bk.section("Nothing waits. :tada:")]
        )
        blocks.append(bk.divider())
    blocks.append(bk.header("Your flags"))
    if mine:
        blocks.extend(lines_in_sections([flag_line(flag) for flag in mine]))
    else:
        blocks.append(
            bk.section(
                f"You haven't flagged anything yet. Seen a question or something wrong about the town online? {usage}"
            )
        )
    return blocks
