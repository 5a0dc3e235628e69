"""Spotify grants and pre-saves: store an authorization, note a quota refusal, disconnect."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.crypto import TokenCipher
from core.models import Campaign, Fan, FanLink, GrantStatus, PreSave, PreSaveStatus, SpotifyGrant
from core.providers.spotify import SpotifyUser
from core.services import events, fans, links
from core.services.grant_tokens import GrantTokenCache
from core.services.oauth_state import AuthState
from core.timeutil import utcnow

# A new authorization brings these back to pending; others (saved, in progress) stay.
RESTARTABLE = frozenset(
    {
        PreSaveStatus.CANCELLED,
        PreSaveStatus.QUOTA,
        PreSaveStatus.NEEDS_RECONNECT,
        PreSaveStatus.FAILED,
    }
)
# What a disconnect cancels: everything that would still use the tokens.
CANCELLABLE = frozenset(
    {
        PreSaveStatus.PENDING,
        PreSaveStatus.QUEUED_FOR_MARKET,
        PreSaveStatus.PENDING_SOURCE,
        PreSaveStatus.NEEDS_RECONNECT,
        PreSaveStatus.QUOTA,
        PreSaveStatus.FAILED,
    }
)


@dataclass(frozen=True)
class Authorized:
    """What storing an authorization did."""

    fan_id: int
    link_code: str
    presave_status: str
    grant_created: bool
    presave_created: bool


def grant_of(session: Session, fan_id: int) -> SpotifyGrant | None:
    """The fan's grant, if any."""
    return session.scalar(select(SpotifyGrant).where(SpotifyGrant.fan_id == fan_id))


def presave_of(session: Session, campaign_id: int, fan_id: int) -> PreSave | None:
    """The fan's pre-save of the campaign, if any."""
    return session.scalar(
        select(PreSave).where(PreSave.campaign_id == campaign_id, PreSave.fan_id == fan_id)
    )


def _ensure_presave(
    session: Session, campaign_id: int, fan_id: int, status: PreSaveStatus
) -> tuple[PreSave, bool, bool]:
    """Get or add the (campaign, fan) pre-save; (row, created, status changed)."""
    existing = presave_of(session, campaign_id, fan_id)
    if existing is None:
        try:
            with session.begin_nested():
                row = PreSave(campaign_id=campaign_id, fan_id=fan_id, status=status)
                session.add(row)
                session.flush()
            return row, True, True
        except IntegrityError:  # the same fan finished twice at once
            existing = presave_of(session, campaign_id, fan_id)
            assert existing is not None
    if _may_move(existing.status, status):
        existing.status = status
        return existing, False, True
    return existing, False, False


def _may_move(current: str, target: PreSaveStatus) -> bool:
    """A saved pre-save stays saved; quota overrides; an authorization restarts dead ones."""
    if current in (target, PreSaveStatus.SAVED):
        return False
    return target == PreSaveStatus.QUOTA or current in RESTARTABLE


def _ensure_grant(session: Session, fan_id: int, spotify_user_id: str) -> tuple[SpotifyGrant, bool]:
    """The fan's one grant, added if missing; (grant, created)."""
    existing = grant_of(session, fan_id)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            grant = SpotifyGrant(fan_id=fan_id, spotify_user_id=spotify_user_id)
            session.add(grant)
            session.flush()
        return grant, True
    except IntegrityError:  # the same fan's other authorization landed first
        again = grant_of(session, fan_id)
        assert again is not None
        return again, False


def _fan_for(session: Session, state: AuthState, user: SpotifyUser) -> Fan:
    """The fan the state names (their Spotify id noted), or a web-only fan by Spotify id."""
    place = fans.Place(country=user.country)
    if state.fan_id is None:
        fan, _ = fans.by_spotify(session, user.id, place)
        return fan
    known = session.get(Fan, state.fan_id)
    if known is None:
        raise LookupError(f"fan {state.fan_id} is gone")
    fan = known
    if fan.spotify_user_id != user.id:
        taken = session.scalar(select(Fan.id).where(Fan.spotify_user_id == user.id))
        if taken is None:
            fan.spotify_user_id = user.id
    if fan.country is None and user.country:
        fan.country = user.country
    return fan


def store_authorization(
    session: Session, state: AuthState, user: SpotifyUser, tokens: GrantTokenCache
) -> Authorized:
    """Keep the fan's grant (one per fan: a new authorization updates it) and pre-save."""
    if not tokens.has_tokens:
        raise ValueError("no tokens to store")
    fan = _fan_for(session, state, user)
    link, _ = links.issue(session, fan.id, state.campaign_id, state.source)
    grant, created = _ensure_grant(session, fan.id, user.id)
    grant.spotify_user_id = user.id
    grant.country = user.country
    grant.status = GrantStatus.ACTIVE
    grant.authorized_at = utcnow()
    grant.reconnect_requested_at = None
    tokens.bind(grant)
    session.flush()
    presave, presave_created, _ = _ensure_presave(
        session, state.campaign_id, fan.id, PreSaveStatus.PENDING
    )
    events.record(
        session,
        "spotify_authorized",
        campaign_id=state.campaign_id,
        fan_id=fan.id,
        source=state.source,
        country=user.country,
    )
    return Authorized(fan.id, link.code, presave.status, created, presave_created)


def record_quota(session: Session, state: AuthState) -> bool:
    """Spotify refused the fan for our app's development-mode cap; True if newly counted.

    A known fan's pre-save gets status `quota` (their drop-day message still goes out);
    a web-only fan is unknown to us, so only the event is kept.
    """
    if state.fan_id is not None:
        if session.get(Fan, state.fan_id) is None:
            return False
        _, _, changed = _ensure_presave(
            session, state.campaign_id, state.fan_id, PreSaveStatus.QUOTA
        )
        if not changed:
            return False
    events.record(
        session,
        "spotify_quota",
        campaign_id=state.campaign_id,
        fan_id=state.fan_id,
        source=state.source,
    )
    return True


def disconnect(session: Session, link: FanLink) -> int:
    """Delete the fan's Spotify tokens and cancel what they would do; returns cancelled count."""
    grant = grant_of(session, link.fan_id)
    if grant is not None:
        grant.refresh_token_enc = None
        grant.access_token_enc = None
        grant.access_expires_at = None
        grant.status = GrantStatus.REVOKED
    cancelled = session.execute(
        update(PreSave)
        .where(PreSave.fan_id == link.fan_id, PreSave.status.in_(CANCELLABLE))
        .values(status=PreSaveStatus.CANCELLED, updated_at=utcnow())
    )
    events.record(session, "disconnect", campaign_id=link.campaign_id, fan_id=link.fan_id)
    return int(getattr(cancelled, "rowcount", 0) or 0)


def is_connected(session: Session, campaign: Campaign, fan_id: int) -> bool:
    """Whether the fan's pre-save of this campaign is live on an active grant."""
    grant = grant_of(session, fan_id)
    presave = presave_of(session, campaign.id, fan_id)
    return (
        grant is not None
        and grant.status == GrantStatus.ACTIVE
        and grant.refresh_token_enc is not None
        and presave is not None
        and presave.status not in (PreSaveStatus.CANCELLED, PreSaveStatus.QUOTA)
    )


def rotate_keys(session: Session, cipher: TokenCipher) -> int:
    """Re-encrypt every stored token with the newest key; returns how many tokens."""
    count = 0
    query = select(SpotifyGrant).where(
        (SpotifyGrant.refresh_token_enc.is_not(None)) | (SpotifyGrant.access_token_enc.is_not(None))
    )
    for grant in session.scalars(query):
        if grant.refresh_token_enc is not None:
            grant.refresh_token_enc = cipher.rotate(grant.refresh_token_enc)
            count += 1
        if grant.access_token_enc is not None:
            grant.access_token_enc = cipher.rotate(grant.access_token_enc)
            count += 1
    session.flush()
    return count
