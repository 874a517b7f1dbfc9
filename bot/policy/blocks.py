"""Block Kit for policy answers: the quoted clause with its document and number, up to two more, the
feedback buttons; or the refusal with the human path. Pure functions."""

from __future__ import annotations

import re

from bot.policy.ids import PolicyIds
from bot.policy.models import ITEM
from bot.policy.search import Answer, Hit
from bot.refs import Ref
from bot.slack import blocks as bk
from bot.slack.text import escape

Block = bk.Block
QUOTE_LIMIT = 700
SHORT_LIMIT = 160
ITEM_LIMIT = 200
MAX_ITEMS = 12


def trim(text: str, limit: int) -> str:
    """Cut a long clause at a sentence (or word) boundary, so a quote never ends mid-word."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    sentence = max(cut.rfind(". "), cut.rfind("; "), cut.rfind(": "))
    if sentence > limit * 0.6:
        return cut[: sentence + 1] + " …"
    return re.sub(r"\s+\S*$", "", cut) + " …"


def quoted_clause(hit: Hit) -> str:
    """The clause, verbatim, as a block quote: the sentence that best answers the question in bold, and a
    lead-in clause ("…includes:") with its list items."""
    body = escape(trim(hit.clause.text, QUOTE_LIMIT))
    sentence = escape(hit.sentence.strip())
    if sentence and sentence in body and sentence != body:
        body = body.replace(sentence, f"*{sentence}*", 1)
    lines = body.splitlines() or [""]
    lines += [f"• {escape(trim(item, ITEM_LIMIT))}" for item in hit.clause.items[:MAX_ITEMS]]
    if len(hit.clause.items) > MAX_ITEMS:
        lines.append(f"• … ({len(hit.clause.items) - MAX_ITEMS} more)")
    return "\n".join(">" + line for line in lines)


def citation(hit: Hit) -> str:
    where = "" if hit.clause.own else "Elsewhere: "
    return f"{where}*{escape(hit.clause.document)} {escape(hit.clause.number)}*"


def answer_message(answer: Answer, question_id: int) -> tuple[str, list[Block]]:
    """The reply to a question: (fallback text, blocks)."""
    value = Ref(ITEM, question_id).encode()
    asked = bk.context(f"_You asked:_ {escape(trim(answer.question, 300))}")
    if not answer.confident or not answer.hits:
        text = (
            "I don't have a confident answer to that in the policies"
            + (f" ({escape(answer.reason)})" if answer.reason else "")
            + "."
        )
        return bk.fallback(text), [
            asked,
            bk.section(
                f":thinking_face: {text} Rather than guess, I can send your question to Communications; they "
                "will answer you, and the missing policy gets noticed."
            ),
            bk.actions(
                [
                    bk.button(
                        "Send to Communications", PolicyIds.SEND_TO_COMMUNICATIONS, value, style="primary"
                    )
                ]
            ),
        ]
    best, *others = answer.hits
    blocks = [
        asked,
        bk.section(f"{citation(best)}\n{quoted_clause(best)}"),
    ]
    if others:
        lines = [f"• {citation(hit)}: {escape(trim(hit.clause.text, SHORT_LIMIT))}" for hit in others[:2]]
        blocks.append(bk.context("Also relevant:\n" + "\n".join(lines)))
    blocks.append(
        bk.actions(
            [
                bk.button("Helpful", PolicyIds.HELPFUL, value),
                bk.button("Not helpful", PolicyIds.NOT_HELPFUL, value),
            ]
        )
    )
    text = f"{best.clause.document} {best.clause.number}: {trim(best.clause.text, 200)}"
    return bk.fallback(escape(text)), blocks


def usage_text() -> str:
    return (
        "Ask the social-media policy a question, e.g. `/policy can I post photos from work on my own Facebook?` "
        "You can also send me a direct message, or mention me in a channel."
    )
