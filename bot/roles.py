"""Who may do what: the roles of `organization.toml`, checked in one place on every action."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from bot.errors import NotAuthorized

if TYPE_CHECKING:
    from bot.config import Organization


class Role(StrEnum):
    MODERATOR = "moderator"  # authorized social-media users (Westlock 3.3)
    DIRECTOR = "director"
    CAO = "cao"
    IT = "it"
    COMMUNICATIONS = "communications"
    ADMIN = "admin"  # may do anything any other role may


ROLE_NAMES: dict[Role, str] = {
    Role.MODERATOR: "the town's authorized social-media moderators",
    Role.DIRECTOR: "a director",
    Role.CAO: "the CAO",
    Role.IT: "IT",
    Role.COMMUNICATIONS: "Communications",
    Role.ADMIN: "a Flagpost admin",
}


def has_role(org: Organization, actor: str, *roles: Role) -> bool:
    """True when `actor` holds one of `roles`, or is an admin."""
    return org.has_role(actor, Role.ADMIN, *roles)


def require_role(org: Organization, actor: str, *roles: Role, why: str = "") -> None:
    """Refuse, in plain words, anyone who holds none of `roles` (admins always pass)."""
    if has_role(org, actor, *roles):
        return
    who = " or ".join(ROLE_NAMES[role] for role in roles)
    reason = f" ({why})" if why else ""
    raise NotAuthorized(
        f"Only {who} can do that{reason}. Nothing was changed. "
        "If you should be able to, ask your Flagpost admin to add you in organization.toml."
    )


def require_not_self(actor: str, owner: str, what: str) -> None:
    """Nobody decides on their own item: an approval needs a second person."""
    if actor == owner:
        raise NotAuthorized(f"You can't {what} your own request; it needs someone else. Nothing was changed.")
