"""Dead letters: the cards and messages Slack refused for good (`invalid_blocks`, a channel gone…).

Delivery sets them aside, with Slack's error, instead of retrying them forever. `flagpost deliveries` lists
them (and exits 1 while there are any, for monitoring), admins see how many in App Home, and
`flagpost deliveries retry` makes them due again once the cause is fixed. A card also comes back by itself
at its item's next change.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import db
from bot.clock import SystemClock
from bot.config import Settings, environment_help
from bot.delivery import UNCONFIRMED, OutboxMessage, SlackCard
from bot.domain import Domain
from bot.roles import Role
from bot.slack import blocks as bk

if TYPE_CHECKING:
    from bot.runtime import Runtime


@dataclass(frozen=True)
class DeadLetter:
    what: str  # "card flag-3", "dm", "channel message"…
    row_id: int
    to: str  # the channel or the user
    error: str
    attempts: int


def _set_aside(model: type[Any]) -> list[Any]:
    return [model.due_at.is_(None), model.last_error.is_not(None)]


def _unsent() -> list[Any]:
    return [*_set_aside(OutboxMessage), OutboxMessage.sent_at.is_(None)]


def dead_letters(*, session: Session, limit: int = 100) -> list[DeadLetter]:
    cards = session.scalars(
        select(SlackCard).where(*_set_aside(SlackCard)).order_by(SlackCard.id).limit(limit)
    )
    messages = session.scalars(
        select(OutboxMessage)
        .where(*_unsent(), OutboxMessage.kind != "ephemeral")  # an ephemeral reply is dropped by design
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return [
        DeadLetter(f"card {c.item_type}-{c.item_id}", c.id, c.channel, str(c.last_error), c.attempts)
        for c in cards
    ] + [
        DeadLetter(f"{m.kind} message", m.id, str(m.channel or m.user), str(m.last_error), m.attempts)
        for m in messages
    ]


def retry(*, session: Session, now: datetime) -> int:
    """Make every dead letter due again."""
    again = {"due_at": now, "attempts": 0}
    cards = session.execute(update(SlackCard).where(*_set_aside(SlackCard)).values(**again))
    messages = session.execute(
        update(OutboxMessage).where(*_unsent(), OutboxMessage.kind != "ephemeral").values(**again)
    )
    return int(cards.rowcount) + int(messages.rowcount)  # type: ignore[attr-defined]


def cmd_deliveries(settings: Settings, args: argparse.Namespace) -> int:
    db.require_existing_database(settings.database_url)
    db.prepare_database(
        settings.database_url
    )  # an older schema is brought up to date, as `flagpost run` does
    factory = db.make_session_factory(db.make_engine(settings.database_url))
    with db.transaction(factory) as session:
        if args.action == "retry":
            print(f"{retry(session=session, now=SystemClock().now())} dead letter(s) will be sent again.")
            return 0
        letters = dead_letters(session=session)
    for letter in letters:
        print(
            f"{letter.what} #{letter.row_id} to {letter.to}: {letter.error} (after {letter.attempts} tries)"
        )
    print(f"{len(letters)} dead letter(s)." if letters else "No dead letters: Slack took everything.")
    return 1 if letters else 0


def add_commands(sub: Any) -> None:
    parser = sub.add_parser(
        "deliveries",
        help="what Slack refused for good (dead letters); retry them",
        description=(
            "List what Slack refused for good (an archived channel, invalid blocks): exits 1 while there is any. "
            "'retry' sends it all again once the cause is fixed. Run it where the bot runs, with its DATABASE_URL."
        ),
        epilog=environment_help("DATABASE_URL", "LOG_LEVEL"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", nargs="?", choices=("list", "retry"), default="list")
    parser.set_defaults(handler=cmd_deliveries)


def home_section(rt: Runtime, user: str) -> list[bk.Block]:
    if not rt.org.has_role(user, Role.ADMIN):
        return []
    letters = rt.read(dead_letters, limit=10)
    if not letters:
        return []
    lines = [
        f"• {letter.what} to {letter.to}: `{letter.error.removeprefix(UNCONFIRMED)}`" for letter in letters
    ]
    return [
        bk.header("Slack refused these"),
        bk.section("\n".join(lines)),
        bk.context(
            "Run `flagpost deliveries` for the list, `flagpost deliveries retry` once the cause is fixed."
        ),
    ]


DOMAIN = Domain(name="deliveries", cli=add_commands, home=home_section)
