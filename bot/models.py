"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from bot.audit import AuditEvent
from bot.db import Base
from bot.delivery import OutboxMessage, SlackCard
from bot.events import ProcessedEvent
from bot.flags.models import Flag, FlagReport
from bot.policy.models import PolicyClause, PolicyDocument, PolicyFeedback, PolicyQuestion

__all__ = [
    "AuditEvent",
    "Base",
    "Flag",
    "FlagReport",
    "OutboxMessage",
    "PolicyClause",
    "PolicyDocument",
    "PolicyFeedback",
    "PolicyQuestion",
    "ProcessedEvent",
    "SlackCard",
]
