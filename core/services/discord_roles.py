"""Pre-saver roles: noted when a fan runs /presave in a bound server, given once their
Spotify authorization succeeds, by a worker that claims each grant before asking Discord."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.db import Db
from core.models import (
    DiscordBinding,
    DiscordRoleGrant,
    Fan,
    PreSave,
    PreSaveStatus,
    RoleGrantStatus,
)
from core.services import events, send_state
from core.timeutil import utcnow
from core.upsert import insert_ignore

MAX_ATTEMPTS = 8  # outages and timeouts; a 429 is not counted
# A pre-save in one of these means the fan's Spotify authorization went through.
AUTHORIZED = frozenset(set(PreSaveStatus) - {PreSaveStatus.CANCELLED, PreSaveStatus.QUOTA})
# Role grants keep their own states (waiting, queued, granted, failed) and are claimed by a
# lease: asking Discord for a role twice gives it once, so there is no `sending` to settle.
_USABLE = select(DiscordBinding.id).where(DiscordBinding.role_error.is_(None))
GRANTS = send_state.SendTable(
    DiscordRoleGrant,
    where=(DiscordRoleGrant.binding_id.in_(_USABLE),),
    pending=(RoleGrantStatus.QUEUED,),
    sending=None,
    lease=timedelta(minutes=2),
    sent=RoleGrantStatus.GRANTED,
    sent_at="granted_at",
)


@dataclass(frozen=True)
class Grant:
    """A claimed grant, ready for Discord."""

    id: int
    binding_id: int
    fan_id: int
    campaign_id: int
    guild_id: str
    role_id: str
    user_id: str
    attempts: int


def _authorized(session: Db, campaign_id: int, fan_id: int) -> bool:
    status = session.scalar(
        select(PreSave.status).where(PreSave.campaign_id == campaign_id, PreSave.fan_id == fan_id)
    )
    return status in AUTHORIZED


def note_join(session: Db, binding_id: int, campaign_id: int, fan_id: int) -> int | None:
    """Remember that the fan joined through this server; the grant's id when it can be
    given now (the fan had authorized Spotify already), else None."""
    ready = _authorized(session, campaign_id, fan_id)
    now = utcnow()
    status = RoleGrantStatus.QUEUED if ready else RoleGrantStatus.WAITING
    values: dict[str, object] = {"binding_id": binding_id, "fan_id": fan_id, "attempts": 0}
    values |= {"status": status.value, "created_at": now, "updated_at": now}
    new_id = insert_ignore(session, DiscordRoleGrant.__table__, values, DiscordRoleGrant.id)  # type: ignore[arg-type]
    if new_id is not None:
        return int(new_id) if ready else None
    if not ready:
        return None
    found = session.execute(
        update(DiscordRoleGrant)
        .where(
            DiscordRoleGrant.binding_id == binding_id,
            DiscordRoleGrant.fan_id == fan_id,
            DiscordRoleGrant.status == RoleGrantStatus.WAITING,
        )
        .values(status=RoleGrantStatus.QUEUED, updated_at=now)
        .returning(DiscordRoleGrant.id)
    ).scalar()
    return int(found) if found is not None else None


def after_authorization(session: Session, campaign_id: int, fan_id: int) -> list[int]:
    """The fan authorized Spotify for the campaign: their waiting grants can be given."""
    bindings = select(DiscordBinding.id).where(DiscordBinding.campaign_id == campaign_id)
    rows = session.execute(
        update(DiscordRoleGrant)
        .where(
            DiscordRoleGrant.fan_id == fan_id,
            DiscordRoleGrant.binding_id.in_(bindings),
            DiscordRoleGrant.status == RoleGrantStatus.WAITING,
        )
        .values(status=RoleGrantStatus.QUEUED, updated_at=utcnow())
        .returning(DiscordRoleGrant.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(rows.scalars())


def claim(session: Session, grant_ids: Sequence[int]) -> list[Grant]:
    """Take the lease on due, queued grants whose role is usable; the others are left."""
    ids = send_state.claim(session, GRANTS, grant_ids)
    if not ids:
        return []
    rows = session.execute(
        select(
            DiscordRoleGrant.id,
            DiscordRoleGrant.binding_id,
            DiscordRoleGrant.fan_id,
            DiscordBinding.campaign_id,
            DiscordBinding.guild_id,
            DiscordBinding.role_id,
            Fan.discord_user_id,
            DiscordRoleGrant.attempts,
        )
        .join(DiscordBinding, DiscordBinding.id == DiscordRoleGrant.binding_id)
        .join(Fan, Fan.id == DiscordRoleGrant.fan_id)
        .where(DiscordRoleGrant.id.in_(ids), Fan.discord_user_id.is_not(None))
        .order_by(DiscordRoleGrant.id)
    )
    return [Grant(i, b, f, c, g, r, str(u), a) for i, b, f, c, g, r, u, a in rows]


def granted(session: Session, grant: Grant) -> None:
    """Discord gave the role."""
    send_state.mark_sent(session, GRANTS, [(grant.id, None)])
    events.record(
        session,
        "discord_role",
        campaign_id=grant.campaign_id,
        fan_id=grant.fan_id,
        channel="discord",
        source="discord",
    )


def failed(session: Session, grant: Grant, error: str) -> None:
    """This fan cannot be given the role (they left the server, ...)."""
    send_state.give_up(session, GRANTS, grant.id, RoleGrantStatus.FAILED, error, not_before=None)


def role_refused(session: Session, grant: Grant, error: str) -> None:
    """Discord refused the role itself (permission, role gone): every grant of the binding
    waits, without asking Discord again, until /presave-setup is run again."""
    session.execute(
        update(DiscordBinding)
        .where(DiscordBinding.id == grant.binding_id)
        .values(role_error=error[:500], updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    send_state.update_row(session, GRANTS, grant.id, error=error[:500], not_before=None)
