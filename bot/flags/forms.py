"""Block Kit for filing and resolving: the report form, the outcome form, and what the reporter reads after.
Pure functions: data in, JSON-ready dicts out."""

from __future__ import annotations

from typing import Any

from bot.flags.blocks import kind_options, outcome_options, priority_options, where
from bot.flags.ids import FlagIds
from bot.flags.intake import MAX_NOTE_LENGTH, FlagReceipt
from bot.flags.models import KIND_LABELS, PRIORITY_LABELS, Flag, Kind, Priority
from bot.roles import Role
from bot.slack import blocks as bk
from bot.slack.text import escape, slack_date

ROLE_AUDIENCE = {
    Role.CAO: "the CAO",
    Role.IT: "IT",
    Role.COMMUNICATIONS: "Communications",
    Role.DIRECTOR: "the directors",
}


def intake_modal(*, source: str, url: str = "", note: str = "", kind: Kind | None = None) -> dict[str, Any]:
    """The report form. `source` ("modal" or "shortcut") travels in private_metadata for the audit trail."""
    current_kind = bk.option(kind.value, KIND_LABELS[kind].text) if kind else None
    return bk.modal(
        "Flag for moderators",
        [
            bk.context(
                "Seen a question, a complaint or something wrong about the town online? Don't answer it "
                "yourself: the moderators will (Taber 1.04(i), Westlock 3.4)."
            ),
            bk.input_block(
                FlagIds.URL_BLOCK,
                "Link to the post",
                bk.url_input(FlagIds.INPUT, initial=url, placeholder="https://www.facebook.com/…"),
            ),
            bk.input_block(
                FlagIds.KIND_BLOCK,
                "What is it?",
                bk.static_select(FlagIds.INPUT, "Choose one", kind_options(), current_kind),
            ),
            bk.input_block(
                FlagIds.PRIORITY_BLOCK,
                "Priority",
                bk.static_select(
                    FlagIds.INPUT,
                    "Choose one",
                    priority_options(),
                    bk.option(Priority.OTHER.value, PRIORITY_LABELS[Priority.OTHER]),
                ),
                hint="Taber 1.04(r): emergency first, then time-sensitive, council, programs, partners.",
            ),
            bk.input_block(
                FlagIds.NOTE_BLOCK,
                "Note",
                bk.text_input(
                    FlagIds.INPUT,
                    multiline=True,
                    initial=note,
                    placeholder="What did you see? Why does it need a moderator?",
                    max_length=MAX_NOTE_LENGTH,
                ),
            ),
        ],
        callback_id=FlagIds.INTAKE_MODAL,
        submit="Send",
        close="Cancel",
        private_metadata=source,
    )


def resolve_modal(flag: Flag) -> dict[str, Any]:
    summary = f"*{escape(KIND_LABELS[Kind(flag.kind)].text)}*" + (f" · {where(flag)}" if flag.url else "")
    return bk.modal(
        f"Resolve {flag.ref}",
        [
            bk.section(summary),
            bk.input_block(
                FlagIds.OUTCOME_BLOCK, "What was done?", bk.radio_buttons(FlagIds.INPUT, outcome_options())
            ),
            bk.input_block(
                FlagIds.RESOLUTION_NOTE_BLOCK,
                "Note for the record and the reporters",
                bk.text_input(FlagIds.INPUT, multiline=True, max_length=MAX_NOTE_LENGTH),
                optional=True,
            ),
        ],
        callback_id=FlagIds.RESOLVE_MODAL,
        submit="Resolve",
        close="Cancel",
        private_metadata=flag.item_ref.encode(),
    )


def and_list(items: list[str]) -> str:
    """ "IT", "IT and the CAO", "IT, Communications and the CAO"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


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
        told = and_list([ROLE_AUDIENCE[role] for role in r.routed_to])
        lines.append(f"I've also told {told} right away ({r.routing_clause}).")
    if r.wakes == "on call":
        lines.append(
            ":rotating_light: It's urgent and after hours, so the person on call is being paged now (Taber 1.04(i))."
        )
    elif r.wakes:
        lines.append(":rotating_light: It's urgent, so the moderators are being alerted on its card now.")
    lines.append("_Please don't reply to the post yourself: the authorized users will (Taber 1.04(i))._")
    return "\n".join(lines)


def receipt_view(text: str) -> dict[str, Any]:
    return bk.modal("Flagged", [bk.section(text)], close="Done")


def usage_text() -> str:
    return (
        "To flag a post: `/flag https://link-to-the-post what you saw`. Or type `/flag` alone for a form, "
        "or use “Flag for moderators” in a message's ⋮ menu."
    )
