"""What a domain is: one small description of everything it brings to the running bot.

A domain (flags, policy, requests, on-call…) is a folder under `bot/` plus its listeners in `handlers/`. Its
listener module ends with one `Domain(...)`, and `bot/domains.py` names it in one line. The Bolt app, the
scheduler, App Home, the CLI, the card delivery and Alembic all loop over that list; nothing registers itself
on import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app import GuardedApp
    from bot.delivery import CardRenderer
    from bot.runtime import Runtime

Block = dict[str, Any]


@dataclass(frozen=True)
class Tick:
    """Work run on every scheduler tick (every 15 s), on every replica: keep it cheap and idempotent.
    Most timed work is not a tick but a `due_at` row (`bot.due.schedule`) with a handler in `Domain.timed`."""

    name: str
    run: Callable[[Runtime], object]


@dataclass(frozen=True)
class Domain:
    name: str
    # The ORM classes of its tables (importing them puts them in the metadata Alembic compares).
    models: tuple[type, ...] = ()
    # register(app, rt): its slash commands, buttons, modals, shortcuts and events.
    listeners: Callable[[GuardedApp, Runtime], None] | None = None
    # item_type → render(session, item_id, now): the live cards it posts and edits in place.
    cards: Mapping[str, CardRenderer] = field(default_factory=dict)
    # TimedJob.kind → handler(*, session, now, org, calendar, job): its reminders, pages, expiries.
    timed: Mapping[str, Callable[..., None]] = field(default_factory=dict)
    ticks: tuple[Tick, ...] = ()
    # home(rt, user) → blocks: its section of App Home (an empty list when it has nothing for this user).
    home: Callable[[Runtime, str], list[Block]] | None = None
    # cli(subparsers): adds `flagpost <name> …` commands.
    cli: Callable[[Any], None] | None = None
    # start(rt): once, when the bot starts, after the database is migrated (load data, warm caches).
    start: Callable[[Runtime], None] | None = None


def card_renderers(domains: tuple[Domain, ...]) -> dict[str, CardRenderer]:
    renderers: dict[str, CardRenderer] = {}
    for domain in domains:
        for item_type, render in domain.cards.items():
            if item_type in renderers:
                raise ValueError(f"two domains render cards of type {item_type!r}")
            renderers[item_type] = render
    return renderers


def timed_handlers(domains: tuple[Domain, ...]) -> dict[str, Callable[..., None]]:
    handlers: dict[str, Callable[..., None]] = {}
    for domain in domains:
        for kind, handler in domain.timed.items():
            if kind in handlers:
                raise ValueError(f"two domains handle timed jobs of kind {kind!r}")
            handlers[kind] = handler
    return handlers
