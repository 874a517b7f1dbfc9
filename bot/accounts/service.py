"""Password rotation as a service: schedule each account's next reminder, remind its holders, and record
"Changed it" (the date and who, never the password). Taber 1.03(f): every 60 days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import audit, due
from bot.accounts.ids import AccountIds
from bot.accounts.models import ITEM, Account
from bot.calendar import BusinessCalendar
from bot.config import Organization, PasswordAccount
from bot.delivery import queue_message
from bot.errors import NotAuthorized, NotFound
from bot.refs import Ref, block_id
from bot.roles import Role, has_role
from bot.slack import blocks as bk
from bot.slack.text import escape, slack_date

EVERY = timedelta(days=60)
CLAUSE = "Taber 1.03(f): authorized users change their login passwords every 60 days"
REMIND = "accounts.password_due"


@dataclass(frozen=True)
class ChangeView:
    name: str
    changed_at: datetime
    next_reminder: datetime


def _configured(org: Organization, name: str) -> PasswordAccount | None:
    return next((account for account in org.accounts if account.name == name), None)


def _row(session: Session, now: datetime, name: str) -> Account:
    row = session.scalar(select(Account).where(Account.name == name))
    if row is None:
        try:
            with session.begin_nested():  # another replica may add it at the same moment: keep theirs
                row = Account(name=name, first_seen_at=now)
                session.add(row)
        except IntegrityError:
            row = session.scalars(select(Account).where(Account.name == name)).one()
    return row


def _baseline(row: Account, account: PasswordAccount, calendar: BusinessCalendar) -> datetime:
    """The last change we know of: the newer of a recorded one and the organisation file's `last_changed`;
    with neither, when Flagpost first saw the account."""
    written = (
        datetime.combine(account.last_changed, time(9), tzinfo=calendar.tz).astimezone(UTC)
        if account.last_changed
        else None
    )
    known = [moment for moment in (row.last_changed_at, written) if moment is not None]
    return max(known) if known else row.first_seen_at


def _schedule(
    session: Session, now: datetime, row: Account, baseline: datetime, calendar: BusinessCalendar
) -> datetime:
    when = calendar.next_business_moment(baseline + EVERY)
    key = f"{REMIND}:{row.id}:{baseline.isoformat()}"
    due.schedule(
        session,
        kind=REMIND,
        due_at=when,
        now=now,
        item_type=ITEM,
        item_id=row.id,
        key=key,
        payload={"baseline": baseline.isoformat()},
    )
    return when


def schedule_reminders(
    *, session: Session, now: datetime, org: Organization, calendar: BusinessCalendar
) -> None:
    """A tick: every configured account has its next reminder scheduled (keys make this idempotent)."""
    for account in org.accounts:
        row = _row(session, now, account.name)
        _schedule(session, now, row, _baseline(row, account, calendar), calendar)


def remind(
    *, session: Session, now: datetime, org: Organization, calendar: BusinessCalendar, job: due.Job, **_: Any
) -> None:
    """60 days after the last change: each holder gets a DM with a "Changed it" button."""
    row = session.get(Account, job.item_id or 0)
    account = _configured(org, row.name) if row else None
    if row is None or account is None:
        return  # the account was taken out of organization.toml
    if _baseline(row, account, calendar).isoformat() != job.payload.get("baseline"):
        return  # a change was recorded since this reminder was scheduled
    text, blocks = reminder_message(row, account, _baseline(row, account, calendar))
    for holder in account.holders:
        queue_message(session, now=now, dm_user=holder, text=text, blocks=blocks)
    audit.record(
        session,
        at=now,
        actor=audit.SYSTEM_ACTOR,
        action="password_reminder",
        item_type=ITEM,
        item_id=row.id,
        holders=list(account.holders),
    )


def reminder_message(row: Account, account: PasswordAccount, since: datetime) -> tuple[str, list[bk.Block]]:
    name = escape(account.name)
    since_text = slack_date(since, "{date_long}")
    text = (
        f":key: Time to change the password of *{name}*: the last change Flagpost knows of was {since_text}."
    )
    ref = Ref(ITEM, row.id)
    blocks = [
        bk.section(text),
        bk.context(
            f"_{CLAUSE}._ Change it on the platform, then press the button. "
            "Flagpost records the date, never the password."
        ),
        bk.actions(
            [bk.button("Changed it", AccountIds.CHANGED, ref.encode(), style="primary")],
            block_id=block_id("account_actions", ref),
        ),
    ]
    return bk.fallback(f"Time to change the password of {name} ({CLAUSE})."), blocks


def record_change(
    *,
    session: Session,
    now: datetime,
    org: Organization,
    calendar: BusinessCalendar,
    account_id: int,
    actor: str,
) -> ChangeView:
    """Record "Changed it": the date and who. Holders of the account, IT and admins may record it."""
    row = session.get(Account, account_id)
    account = _configured(org, row.name) if row else None
    if row is None or account is None:
        raise NotFound("That account is no longer in organization.toml.")
    if actor not in account.holders and not has_role(org, actor, Role.IT):
        raise NotAuthorized(
            f"Only the password holders of {escape(account.name)}, IT or an admin can record a change. "
            "Nothing was changed."
        )
    row.last_changed_at, row.changed_by = now, actor
    due.cancel(session, now=now, item_type=ITEM, item_id=row.id, kinds=[REMIND])
    next_at = _schedule(session, now, row, now, calendar)
    audit.record(
        session,
        at=now,
        actor=actor,
        action="password_changed",
        item_type=ITEM,
        item_id=row.id,
        account=account.name,
    )
    for person in dict.fromkeys([actor, *account.holders]):
        who = "You recorded" if person == actor else f"<@{actor}> recorded"
        queue_message(
            session,
            now=now,
            dm_user=person,
            text=(
                f":white_check_mark: {who} that the password of *{escape(account.name)}* was changed today. "
                f"The next reminder is {slack_date(next_at, '{date_long}')}."
            ),
        )
    return ChangeView(account.name, now, next_at)
