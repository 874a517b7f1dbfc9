"""The list of domains Flagpost runs. To add a domain, add its one line here.

This is the composition root, in the spirit of Flask's `create_app()`: it imports every domain's description
(the last lines of `handlers/<domain>.py`); nothing registers itself on import. The Bolt app, the scheduler,
App Home, the CLI, the card delivery and Alembic's model import all loop over `DOMAINS`.
"""

from __future__ import annotations

from typing import Any

from bot import db, deadletters, housekeeping
from bot.config import Organization, Settings
from bot.db import Base
from bot.domain import Domain
from bot.runtime import Runtime, build_runtime
from handlers import accounts, flags, home, oncall, policy, requests

DOMAINS: tuple[Domain, ...] = (
    flags.DOMAIN,
    policy.DOMAIN,
    requests.DOMAIN,
    oncall.DOMAIN,
    accounts.DOMAIN,
    housekeeping.DOMAIN,
    deadletters.DOMAIN,  # `flagpost deliveries`, and what Slack refused in the admins' App Home
    home.DOMAIN,  # App Home: shows the sections of the domains above
)


def load_models(domains: tuple[Domain, ...] = DOMAINS) -> type[Base]:
    """Import every table: the core ones and each domain's (Alembic and the tests compare them all)."""
    from bot import audit, delivery, due, events  # noqa: F401  (the core tables)

    for domain in domains:
        for model in domain.models:
            assert issubclass(model, Base), f"{domain.name}: {model} is not a table"
    return Base


def start_runtime(settings: Settings, org: Organization, **options: Any) -> Runtime:
    """Migrate, build the runtime over every domain, and start each domain: what `flagpost run` does, and
    what the sandbox does with its own settings and clock."""
    db.prepare_database(settings.database_url)
    rt = build_runtime(settings, org, DOMAINS, **options)
    with db.one_replica_at_a_time(rt.engine, db.START_LOCK):  # two replicas must not both load the policies
        for domain in rt.domains:
            if domain.start is not None:
                domain.start(rt)
    return rt
