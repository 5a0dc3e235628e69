"""Drop-day bookkeeping: who is saved now, who waits for their market, claims and results.

Every function takes a session and never commits. Claims are single UPDATE ... RETURNING
statements, so two jobs holding the same ids (a retry, a reconcile, a duplicate enqueue)
never work on the same pre-save at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, bindparam, func, or_, select, true, update
from sqlalchemy.orm import Session

from core.crypto import TokenCipher
from core.models import (
    Campaign,
    MessageStatus,
    PreSave,
    PreSaveStatus,
    ReleaseMarket,
    ScheduledMessage,
    SpotifyGrant,
)
from core.models.spotify import GrantStatus
from core.services.library import SaveOutcome, SaveTask
from core.timeutil import utcnow

CLAIM_LEASE = timedelta(minutes=2)
WAITING = (PreSaveStatus.PENDING, PreSaveStatus.QUEUED_FOR_MARKET, PreSaveStatus.PENDING_SOURCE)
ANY_MARKET = "*"
DROP_KIND = "drop"


def live_markets(session: Session, campaign_id: int) -> set[str]:
    """Markets where the release was found live ("*": found with no market given)."""
    query = select(ReleaseMarket.market).where(ReleaseMarket.campaign_id == campaign_id)
    return set(session.scalars(query))


def drop_message_id(session: Session, campaign_id: int) -> int:
    """The campaign's one drop message (created on first call)."""
    query = select(ScheduledMessage.id).where(
        ScheduledMessage.campaign_id == campaign_id, ScheduledMessage.kind == DROP_KIND
    )
    found = session.scalar(query)
    if found is not None:  # scheduled with the artist's text (drop-live): it goes out now
        session.execute(
            update(ScheduledMessage)
            .where(ScheduledMessage.id == found, ScheduledMessage.status == MessageStatus.SCHEDULED)
            .values(status=MessageStatus.SENDING)
        )
        return found
    message = ScheduledMessage(
        campaign_id=campaign_id,
        kind=DROP_KIND,
        template="drop_alert",
        channels="sms,discord",
        send_at=utcnow(),
        status=MessageStatus.SENDING,
    )
    session.add(message)
    session.flush()
    return message.id


def _market_filter(markets: set[str]) -> ColumnElement[bool]:
    """Pre-saves whose fan market is live; fans with no known market once it is live anywhere."""
    if ANY_MARKET in markets:
        return true()
    return or_(PreSave.market.in_(markets), PreSave.market.is_(None))


def plan(session: Session, campaign_id: int) -> list[int]:
    """Mark pre-saves by market and return the ids to save now, oldest first."""
    markets = live_markets(session, campaign_id)
    grant_country = (
        select(SpotifyGrant.country).where(SpotifyGrant.fan_id == PreSave.fan_id).scalar_subquery()
    )
    session.execute(
        update(PreSave)
        .where(PreSave.campaign_id == campaign_id, PreSave.market.is_(None))
        .values(market=grant_country),
        execution_options={"synchronize_session": False},
    )
    if not markets:
        return []
    live = _market_filter(markets)
    waiting_elsewhere = and_(  # pending_source stays: the release is overdue in that market
        PreSave.campaign_id == campaign_id,
        PreSave.status.in_((PreSaveStatus.PENDING, PreSaveStatus.QUEUED_FOR_MARKET)),
        PreSave.market.is_not(None),
        PreSave.market.not_in(markets),
    )
    if ANY_MARKET not in markets:
        session.execute(
            update(PreSave).where(waiting_elsewhere).values(status=PreSaveStatus.QUEUED_FOR_MARKET),
            execution_options={"synchronize_session": False},
        )
    now = utcnow()
    session.execute(
        update(PreSave)
        .where(PreSave.campaign_id == campaign_id, PreSave.status.in_(WAITING), live)
        .values(status=PreSaveStatus.PENDING),
        execution_options={"synchronize_session": False},
    )
    due = select(PreSave.id).where(
        PreSave.campaign_id == campaign_id,
        PreSave.status == PreSaveStatus.PENDING,
        or_(PreSave.next_attempt_at.is_(None), PreSave.next_attempt_at <= now),
    )
    return list(session.scalars(due.order_by(PreSave.id)))


def claim(
    session: Session, presave_ids: Sequence[int], lease: timedelta = CLAIM_LEASE
) -> list[int]:
    """Take the lease on those of `presave_ids` that are due; the others are someone else's."""
    if not presave_ids:
        return []
    now = utcnow()
    claimed = session.execute(
        update(PreSave)
        .where(
            PreSave.id.in_(presave_ids),
            PreSave.status == PreSaveStatus.PENDING,
            or_(PreSave.next_attempt_at.is_(None), PreSave.next_attempt_at <= now),
        )
        .values(next_attempt_at=now + lease, attempts=PreSave.attempts + 1, updated_at=now)
        .returning(PreSave.id),
        execution_options={"synchronize_session": False},
    )
    return sorted(claimed.scalars())


def not_yet_due(session: Session, presave_ids: Sequence[int]) -> dict[int, datetime]:
    """Of `presave_ids`, the pending ones waiting for a later time (backoff or another
    worker's lease): id -> when. A job that came early queues them again for then."""
    if not presave_ids:
        return {}
    rows = session.execute(
        select(PreSave.id, PreSave.next_attempt_at).where(
            PreSave.id.in_(presave_ids),
            PreSave.status == PreSaveStatus.PENDING,
            PreSave.next_attempt_at > utcnow(),
        )
    )
    return {int(i): when for i, when in rows if when is not None}


def _epoch(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def load_tasks(session: Session, presave_ids: Sequence[int], cipher: TokenCipher) -> list[SaveTask]:
    """SaveTasks for claimed pre-saves (tokens decrypted in memory); rows without a usable
    grant are left out and handled by `close_without_grant`."""
    album = Campaign.release_album_id
    rows = session.execute(
        select(PreSave, SpotifyGrant, album, Campaign.spotify_artist_id, Campaign.action_follow)
        .join(SpotifyGrant, SpotifyGrant.fan_id == PreSave.fan_id)
        .join(Campaign, Campaign.id == PreSave.campaign_id)
        .where(
            PreSave.id.in_(presave_ids),
            SpotifyGrant.status == GrantStatus.ACTIVE,
            SpotifyGrant.refresh_token_enc.is_not(None),
            album.is_not(None),
        )
    )
    tasks = []
    for presave, grant, album_id, artist_id, follow in rows:
        assert grant.refresh_token_enc is not None and album_id is not None
        tasks.append(
            SaveTask(
                presave_id=presave.id,
                fan_id=presave.fan_id,
                grant_id=grant.id,
                album_id=album_id,
                artist_id=artist_id,
                follow=bool(follow),
                scopes=grant.scopes,
                refresh_token=cipher.decrypt(grant.refresh_token_enc),
                access_token=cipher.decrypt_optional(grant.access_token_enc),
                access_expires_at=_epoch(grant.access_expires_at),
                attempts=presave.attempts,
                revoked_seen_at=_epoch(presave.revoked_seen_at),
            )
        )
    return tasks


def close_without_grant(
    session: Session, presave_ids: Iterable[int], loaded: set[int]
) -> list[int]:
    """Claimed pre-saves whose grant is gone or dead: needs_reconnect; returns their fan ids."""
    missing = [i for i in presave_ids if i not in loaded]
    if not missing:
        return []
    rows = session.execute(
        update(PreSave)
        .where(PreSave.id.in_(missing), PreSave.status == PreSaveStatus.PENDING)
        .values(
            status=PreSaveStatus.NEEDS_RECONNECT,
            last_error="no usable Spotify authorization",
            next_attempt_at=None,
        )
        .returning(PreSave.fan_id),
        execution_options={"synchronize_session": False},
    )
    return list(rows.scalars())


_PT: Table = PreSave.__table__  # type: ignore[assignment]
_GT: Table = SpotifyGrant.__table__  # type: ignore[assignment]
# One prebuilt statement each, run with executemany over a batch of outcomes.
_RECORD_PRESAVE = (
    update(_PT)
    .where(_PT.c.id == bindparam("pid"))
    .values(
        status=bindparam("status"),
        last_error=bindparam("error"),
        updated_at=bindparam("now"),
        next_attempt_at=bindparam("next_at"),
        saved_at=func.coalesce(bindparam("saved_at"), _PT.c.saved_at),
        followed_at=func.coalesce(bindparam("followed_at"), _PT.c.followed_at),
        revoked_seen_at=func.coalesce(bindparam("revoked_at"), _PT.c.revoked_seen_at),
        attempts=_PT.c.attempts - bindparam("uncount"),
    )
)
_RECORD_TOKENS = (
    update(_GT)
    .where(_GT.c.id == bindparam("gid"))
    .values(
        access_token_enc=bindparam("access"),
        refresh_token_enc=bindparam("refresh"),
        access_expires_at=bindparam("expires"),
        updated_at=bindparam("now"),
    )
)
_NEEDS_RECONNECT = (
    update(_GT).where(_GT.c.id == bindparam("gid")).values(status=GrantStatus.NEEDS_RECONNECT)
)


def record(session: Session, outcomes: Sequence[SaveOutcome], cipher: TokenCipher) -> list[int]:
    """Store outcomes (and refreshed tokens) in three statements; return final fans."""
    if not outcomes:
        return []
    now = utcnow()
    saved = PreSaveStatus.SAVED
    session.execute(
        _RECORD_PRESAVE,
        [
            {
                "pid": out.presave_id,
                "status": out.status.value,
                "error": None if out.status is saved else out.error,
                "now": now,
                "next_at": now + timedelta(seconds=out.retry_in) if out.retry_in else None,
                "saved_at": now if out.status is saved else None,
                "followed_at": now if out.followed else None,
                "revoked_at": now if out.revoked_seen else None,
                "uncount": 1 if out.rate_limited else 0,  # a 429 is not the fan's attempt
            }
            for out in outcomes
        ],
    )
    refreshed = [
        {
            "gid": out.grant_id,
            "access": cipher.encrypt(out.tokens.access_token),
            "refresh": cipher.encrypt(out.tokens.refresh_token),
            "expires": datetime.fromtimestamp(out.tokens.expires_at, UTC),
            "now": now,
        }
        for out in outcomes
        if out.tokens is not None
    ]
    if refreshed:
        session.execute(_RECORD_TOKENS, refreshed)
    dead = [{"gid": o.grant_id} for o in outcomes if o.status is PreSaveStatus.NEEDS_RECONNECT]
    if dead:
        session.execute(_NEEDS_RECONNECT, dead)
    return [out.fan_id for out in outcomes if out.final]


def release(session: Session, presave_ids: Sequence[int]) -> None:
    """Give back claimed pre-saves a job did not get to (their attempt did not happen)."""
    session.execute(
        update(PreSave)
        .where(PreSave.id.in_(presave_ids), PreSave.status == PreSaveStatus.PENDING)
        .values(next_attempt_at=None, attempts=PreSave.attempts - 1),
        execution_options={"synchronize_session": False},
    )
