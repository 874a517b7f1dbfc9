"""Block Kit for flags: the card on the board, the report form, the outcome form, the receipts.
Pure functions: data in, JSON-ready dicts out."""

from __future__ import annotations

from typing import Any

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
from bot.flags.service import FlagReceipt
from bot.slack.text import escape, link, plain, quote, slack_date

Block = dict[str, Any]

STATUS_EMOJI = {
    Status.OPEN: ":large_yellow_circle:",
    Status.CLAIMED: ":large_blue_circle:",
    Status.RESOLVED: ":white_check_mark:",
}
PRIORITY_EMOJI = {Priority.EMERGENCY: ":red_circle: ", Priority.TIME_SENSITIVE: ":large_orange_circle: "}


def _text(value: str) -> dict[str, str]:
    return {"type": "plain_text", "text": value, "emoji": True}


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _text(plain(label, 75)), "value": value}


def kind_options(kinds: list[Kind] | None = None) -> list[dict[str, Any]]:
    return [_option(kind.value, KIND_LABELS[kind].text) for kind in kinds or REPORTABLE_KINDS]


def priority_options() -> list[dict[str, Any]]:
    return [_option(priority.value, PRIORITY_LABELS[priority]) for priority in Priority]


def outcome_options() -> list[dict[str, Any]]:
    return [_option(outcome.value, OUTCOME_LABELS[outcome].text) for outcome in Outcome]


def _select(
    action: FlagIds, placeholder: str, options: list[dict[str, Any]], initial: dict[str, Any] | None
) -> Block:
    select: Block = {
        "type": "static_select",
        "action_id": action,
        "placeholder": _text(placeholder),
        "options": options,
    }
    if initial:
        select["initial_option"] = initial
    return select


def _button(label: str, action: FlagIds, value: str, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": _text(label), "action_id": action, "value": value}
    if style:
        button["style"] = style
    return button


# ----- the card


def flag_card(flag: Flag, similar_ref: str | None) -> tuple[str, list[Block]]:
    """The live card: what, where, priority, reporters, age, deadline, status and the moderators' buttons."""
    kind = Kind(flag.kind)
    priority = Priority(flag.priority)
    status = Status(flag.status)
    label = KIND_LABELS[kind]
    where = link(flag.url, flag.platform) if flag.url else flag.platform
    reporters = flag.reporters
    reporter_text = ", ".join(f"<@{user}>" for user in reporters)
    if len(reporters) > 1:
        reporter_text += f"  (+{len(reporters) - 1})"
    guessed = " _(guessed)_" if flag.kind_guessed else ""
    header = plain(f"{flag.ref} · {label.text}", 150)
    fields = [
        f"*What*\n{escape(label.text)}{guessed}",
        f"*Where*\n{where}",
        f"*Priority*\n{PRIORITY_EMOJI.get(priority, '')}{PRIORITY_LABELS[priority]}",
        f"*Reported by*\n{reporter_text}",
        f"*Reported*\n{slack_date(flag.created_at, '{ago}')}",
        f"*Deadline*\n{slack_date(flag.deadline_at)}",
    ]
    blocks: list[Block] = [
        {"type": "header", "text": _text(header)},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": field} for field in fields]},
    ]
    for report in flag.reports[:5]:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        f"<@{report.reporter}>:\n{quote(report.note, 900)}"
                        if report.note
                        else f"<@{report.reporter}>"
                    ),
                },
            }
        )
    if len(flag.reports) > 5:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and {len(flag.reports) - 5} more reports."}],
            }
        )
    if similar_ref:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f":eyes: Looks like {similar_ref} (a similar note, a different link).",
                    }
                ],
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _status_line(flag)}]})
    if status is not Status.RESOLVED:
        value = str(flag.id)
        buttons = (
            [_button("Claim", FlagIds.CLAIM, value, "primary")]
            if status is Status.OPEN
            else [_button("Release", FlagIds.RELEASE, value)]
        )
        buttons.append(_button("Resolve…", FlagIds.RESOLVE, value))
        if flag.escalated_at is None:
            buttons.append(_button("Escalate", FlagIds.ESCALATE, value, "danger"))
        blocks.append({"type": "actions", "block_id": f"flag_actions_{flag.id}", "elements": buttons})
        blocks.append(
            {
                "type": "actions",
                "block_id": f"flag_edit_{flag.id}",
                "elements": [
                    _select(
                        FlagIds.SET_KIND,
                        "Change kind",
                        kind_options(),
                        None if kind is Kind.STAFF_QUESTION else _option(kind.value, label.text),
                    ),
                    _select(
                        FlagIds.SET_PRIORITY,
                        "Change priority",
                        priority_options(),
                        _option(priority.value, PRIORITY_LABELS[priority]),
                    ),
                ],
            }
        )
    text = f"{flag.ref} · {label.text} · {PRIORITY_LABELS[priority]} · {status.value}"
    if flag.url:
        text += f" · {escape(flag.url)}"
    return text, blocks


def _status_line(flag: Flag) -> str:
    status = Status(flag.status)
    parts = [STATUS_EMOJI[status]]
    if status is Status.OPEN:
        parts.append("*Open*, nobody has claimed it yet")
    elif status is Status.CLAIMED:
        parts.append(f"*Claimed* by <@{flag.assignee}>")
    else:
        outcome = OUTCOME_LABELS[Outcome(flag.outcome)] if flag.outcome else None
        done = f"*Resolved* by <@{flag.resolved_by}>"
        if flag.resolved_at:
            done += f" {slack_date(flag.resolved_at, '{date_short_pretty} at {time}')}"
        if outcome:
            done += f": {outcome.text}" + (f" ({outcome.clause})" if outcome.clause else "")
        parts.append(done)
        if flag.resolution_note:
            parts.append(f"— {escape(flag.resolution_note[:300])}")
    if flag.escalated_at is not None:
        parts.append(f"· :arrow_double_up: escalated by <@{flag.escalated_by}> to the directors and CAO")
    return " ".join(parts)


# ----- the report form


def intake_modal(*, source: str, url: str = "", note: str = "", kind: Kind | None = None) -> dict[str, Any]:
    """The report form. `source` ("modal" or "shortcut") travels in private_metadata for the audit trail."""
    url_element: Block = {
        "type": "url_text_input",
        "action_id": FlagIds.INPUT,
        "placeholder": _text("https://www.facebook.com/…"),
    }
    if url:
        url_element["initial_value"] = url
    note_element: Block = {
        "type": "plain_text_input",
        "action_id": FlagIds.INPUT,
        "multiline": True,
        "max_length": 3000,
        "placeholder": _text("What did you see? Why does it need a moderator?"),
    }
    if note:
        note_element["initial_value"] = note[:3000]
    kind_element = _select(
        FlagIds.INPUT,
        "Choose one",
        kind_options(),
        _option(kind.value, KIND_LABELS[kind].text) if kind else None,
    )
    return {
        "type": "modal",
        "callback_id": FlagIds.INTAKE_MODAL,
        "private_metadata": source,
        "title": _text("Flag for moderators"),
        "submit": _text("Send"),
        "close": _text("Cancel"),
        "blocks": [
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": (
                            "Seen a question, a complaint or something wrong about the town online? Don't answer it "
                            "yourself: the moderators will (Taber 1.04(i), Westlock 3.4)."
                        ),
                    }
                ],
            },
            {
                "type": "input",
                "block_id": FlagIds.URL_BLOCK,
                "label": _text("Link to the post"),
                "element": url_element,
            },
            {
                "type": "input",
                "block_id": FlagIds.KIND_BLOCK,
                "label": _text("What is it?"),
                "element": kind_element,
            },
            {
                "type": "input",
                "block_id": FlagIds.PRIORITY_BLOCK,
                "label": _text("Priority"),
                "element": _select(
                    FlagIds.INPUT,
                    "Choose one",
                    priority_options(),
                    _option(Priority.OTHER.value, PRIORITY_LABELS[Priority.OTHER]),
                ),
                "hint": _text(
                    "Taber 1.04(r): emergency first, then time-sensitive, council, programs, partners."
                ),
            },
            {
                "type": "input",
                "block_id": FlagIds.NOTE_BLOCK,
                "label": _text("Note"),
                "element": note_element,
            },
        ],
    }


def resolve_modal(flag: Flag) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": FlagIds.RESOLVE_MODAL,
        "private_metadata": str(flag.id),
        "title": _text(plain(f"Resolve {flag.ref}", 24)),
        "submit": _text("Resolve"),
        "close": _text("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        f"*{escape(KIND_LABELS[Kind(flag.kind)].text)}*"
                        + (f" · {link(flag.url, flag.platform)}" if flag.url else "")
                    ),
                },
            },
            {
                "type": "input",
                "block_id": FlagIds.OUTCOME_BLOCK,
                "label": _text("What was done?"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": FlagIds.INPUT,
                    "options": outcome_options(),
                },
            },
            {
                "type": "input",
                "block_id": FlagIds.RESOLUTION_NOTE_BLOCK,
                "optional": True,
                "label": _text("Note for the record and the reporters"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": FlagIds.INPUT,
                    "multiline": True,
                    "max_length": 3000,
                },
            },
        ],
    }


def receipt_text(receipt: FlagReceipt) -> str:
    """What the reporter reads right after flagging, in a few lines for a phone screen."""
    r = receipt
    if r.merged:
        lines = [
            f":white_check_mark: Thanks. This post was already flagged as *{r.ref}*; you've been added "
            f"as a reporter ({r.reporter_count} so far) and your note is on the card."
        ]
    else:
        guess = " (my guess; you or a moderator can change it on the card)" if r.guessed else ""
        lines = [
            f":white_check_mark: Thanks. Flagged as *{r.ref}*: {KIND_LABELS[r.kind].text}, "
            f"{PRIORITY_LABELS[r.priority].lower()} priority{guess}.",
            f"The moderators will pick it up; the deadline to respond is {slack_date(r.deadline_at)}.",
        ]
    if r.routed_to:
        names = {
            "cao": "the CAO",
            "it": "IT",
            "communications": "Communications",
            "director": "the directors",
        }
        told = ", ".join(names[role] for role in r.routed_to)
        lines.append(f"I've also told {told} right away ({r.routing_clause}).")
    if r.similar_ref:
        lines.append(f"It looks like {r.similar_ref}; the moderators will see both.")
    lines.append("_Please don't reply to the post yourself: the authorized users will (Taber 1.04(i))._")
    return "\n".join(lines)


def receipt_view(text: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": _text("Flagged"),
        "close": _text("Done"),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def usage_text() -> str:
    return (
        "To flag a post: `/flag https://link-to-the-post what you saw`. Or type `/flag` alone for a form, "
        "or use “Flag for moderators” in a message's ⋮ menu."
    )


# ----- App Home


def _flag_line(flag: Flag) -> str:
    status = Status(flag.status)
    where = link(flag.url, flag.platform) if flag.url else flag.platform
    who = f" · <@{flag.assignee}>" if status is Status.CLAIMED else ""
    if status is Status.RESOLVED and flag.outcome:
        who = f" · {OUTCOME_LABELS[Outcome(flag.outcome)].text}"
    due = f" · due {slack_date(flag.deadline_at)}" if status is not Status.RESOLVED else ""
    return (
        f"{STATUS_EMOJI[status]} *{flag.ref}* {escape(KIND_LABELS[Kind(flag.kind)].text)} · {where}{who}{due}"
    )


def home_flag_blocks(board: list[Flag], mine: list[Flag], is_moderator: bool) -> list[Block]:
    blocks: list[Block] = []
    if is_moderator:
        unclaimed = sum(1 for flag in board if flag.status == Status.OPEN)
        blocks.append(
            {"type": "header", "text": _text(f"On the board: {len(board)} open, {unclaimed} unclaimed")}
        )
        if board:
            for start in range(0, min(len(board), 30), 10):
                lines = "\n".join(_flag_line(flag) for flag in board[start : start + 10])
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": lines}})
        else:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "Nothing waits. :tada:"}})
        blocks.append({"type": "divider"})
    blocks.append({"type": "header", "text": _text("Your flags")})
    if mine:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "\n".join(_flag_line(flag) for flag in mine)},
            }
        )
    else:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        "You haven't flagged anything yet. Seen a question or something wrong about the town online? "
                        + usage_text()
                    ),
                },
            }
        )
    return blocks
