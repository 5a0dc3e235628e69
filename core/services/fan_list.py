"""The artist's list of a campaign's fans: one status each, filters, keyset pages.

A fan belongs to a campaign when they have its personal link (every keyword or Discord
opt-in and every Spotify authorization issues one), and joined when it was issued. Pages
are in (joined at, fan id) order, newest first, and continue after a cursor: never OFFSET,
so a deep page costs what the first one does.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session

from core.models import (
    Channel,
    Consent,
    ConsentStatus,
    Event,
    Fan,
    FanLink,
    GrantStatus,
    PreSave,
    PreSaveStatus,
    SpotifyGrant,
)
from core.services.fans import display_name
from core.timeutil import as_utc
from core.validation import ValidationError

# What each status means, in the order a fan usually goes through them. Derived from the
# fan's pre-save of the campaign (its status), their Spotify grant and their consents.
FAN_STATUSES: dict[str, str] = {
    "opted_in": "opted in on a channel; has not authorized Spotify (or disconnected it)",
    "authorized": "authorized Spotify; the pre-save waits for the release",
    "saved": "the release was saved to the fan's library",
    "queued_for_market": "out elsewhere; waits for the release in the fan's country",
    "pending_source": "the release is overdue in the fan's country; not found there yet",
    "needs_reconnect": "Spotify no longer accepts the fan's authorization: must reconnect",
    "quota": "could not connect: the Spotify app is in development mode (5-user cap)",
    "failed": "Spotify refused or kept failing the save; no more tries",
    "opted_out": "stopped messages on every channel and has no pre-save running",
}
CHANNELS = tuple(c.value for c in Channel)
MAX_LIMIT = 200
# The fan statuses that are one pre-save status each.
PRESAVE_STATUS_OF = {
    "authorized": PreSaveStatus.PENDING.value,
    **{s.value: s.value for s in (PreSaveStatus.SAVED, PreSaveStatus.QUOTA, PreSaveStatus.FAILED)},
    **{s.value: s.value for s in (PreSaveStatus.QUEUED_FOR_MARKET, PreSaveStatus.PENDING_SOURCE)},
}
# Up to this many fans of a status, the list starts from them rather than walking all fans.
RARE = 5000
_PASSED_THROUGH = (
    PreSaveStatus.FAILED,
    PreSaveStatus.QUEUED_FOR_MARKET,
    PreSaveStatus.PENDING_SOURCE,
)


@dataclass(frozen=True)
class FanRow:
    """One fan as the list shows them."""

    fan_id: int
    display: str  # masked phone, or the Discord user as far as we know them
    channels: tuple[str, ...]  # channels the fan joined on (opted out or not)
    status: str  # a key of FAN_STATUSES
    joined_at: datetime
    last_event_at: datetime | None


@dataclass(frozen=True)
class FanPage:
    """A page of fans and the cursor of the next one (None: this is the last)."""

    rows: tuple[FanRow, ...]
    next_cursor: str | None


def presave_state() -> ColumnElement[str | None]:
    """The FAN_STATUSES key a (PreSave, SpotifyGrant) row gives, in SQL; NULL when the fan
    has no live pre-save (then `resolve` decides from their consents)."""
    live_presave = and_(PreSave.status.is_not(None), PreSave.status != PreSaveStatus.CANCELLED)
    return case(
        (PreSave.status == PreSaveStatus.SAVED, "saved"),
        (PreSave.status == PreSaveStatus.QUOTA, "quota"),
        (PreSave.status == PreSaveStatus.NEEDS_RECONNECT, "needs_reconnect"),
        (and_(live_presave, SpotifyGrant.status == GrantStatus.NEEDS_RECONNECT), "needs_reconnect"),
        (PreSave.status.in_(_PASSED_THROUGH), PreSave.status),
        (PreSave.status == PreSaveStatus.PENDING, "authorized"),
        else_=None,
    )


def resolve(state: str | None, opted_in: bool) -> str:
    """The fan's status: their pre-save's, else whether a consent of theirs stands."""
    if state is not None:
        return state
    return "opted_in" if opted_in else "opted_out"


def status_filter(campaign_id: int, status: str) -> ColumnElement[bool]:
    """The fans with `status`, as plain conditions on the joined rows: the planner sees
    which index and how many rows each one means (a CASE would hide that)."""
    grant_dead = SpotifyGrant.status == GrantStatus.NEEDS_RECONNECT
    grant_fine = or_(SpotifyGrant.status.is_(None), ~grant_dead)
    if status in ("opted_in", "opted_out"):
        consents = exists().where(
            Consent.fan_id == FanLink.fan_id,
            Consent.campaign_id == campaign_id,
            Consent.status == ConsentStatus.OPTED_IN,
        )
        none_live = or_(PreSave.status.is_(None), PreSave.status == PreSaveStatus.CANCELLED)
        return and_(none_live, consents if status == "opted_in" else ~consents)
    if status == "needs_reconnect":
        still_used = PreSave.status.in_((PreSaveStatus.PENDING, *_PASSED_THROUGH))
        return or_(PreSave.status == status, and_(still_used, grant_dead))
    if status in (PreSaveStatus.SAVED, PreSaveStatus.QUOTA):
        return PreSave.status == status
    return and_(PreSave.status == PRESAVE_STATUS_OF[status], grant_fine)


def _presaves_in(campaign_id: int, *statuses: str) -> Select[Any]:
    return select(PreSave.fan_id).where(
        PreSave.campaign_id == campaign_id, PreSave.status.in_(statuses)
    )


def _candidates(campaign_id: int, status: str) -> ColumnElement[bool]:
    """A cheap, indexed superset of the fans with `status`, checked before the per-row
    status: a rare status (or one nobody has) then costs no walk through every fan."""
    if status == "opted_in":
        live = select(PreSave.fan_id).where(
            PreSave.campaign_id == campaign_id, PreSave.status != PreSaveStatus.CANCELLED
        )
        return FanLink.fan_id.not_in(live)
    if status == "opted_out":
        stopped = select(Consent.fan_id).where(
            Consent.campaign_id == campaign_id, Consent.status == ConsentStatus.OPTED_OUT
        )
        return FanLink.fan_id.in_(stopped.union(_presaves_in(campaign_id, "cancelled")))
    if status == "needs_reconnect":
        dead = select(SpotifyGrant.fan_id).where(SpotifyGrant.status == GrantStatus.NEEDS_RECONNECT)
        return FanLink.fan_id.in_(dead.union(_presaves_in(campaign_id, status)))
    return FanLink.fan_id.in_(_presaves_in(campaign_id, PRESAVE_STATUS_OF[status]))


def _rare(session: Session, campaign_id: int, status: str) -> bool:
    """Whether few fans can have `status`: then the list starts from them (an indexed count,
    stopped at RARE); otherwise walking the fans in order finds a page soon enough."""
    if status not in PRESAVE_STATUS_OF:
        return True
    few = _presaves_in(campaign_id, PRESAVE_STATUS_OF[status]).limit(RARE + 1).subquery()
    return (session.scalar(select(func.count()).select_from(few)) or 0) <= RARE


def encode_cursor(joined_at: datetime, fan_id: int) -> str:
    """The opaque cursor that continues after this row."""
    raw = f"{as_utc(joined_at).isoformat()}|{fan_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """(joined at, fan id) of a cursor; ValidationError naming `after` when it is not one."""
    bad = ValidationError("after", "not a cursor of this list; start again from the first page")
    if not cursor or len(cursor) > 100:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, fan_id = raw.split("|")
        joined_at = datetime.fromisoformat(when)
        number = int(fan_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad from None
    if joined_at.tzinfo is None or number < 1 or not fan_id.isdigit():
        raise bad
    return as_utc(joined_at), number


def _check(status: str | None, channel: str | None, limit: int) -> None:
    if status is not None and status not in FAN_STATUSES:
        raise ValidationError("status", "one of " + ", ".join(FAN_STATUSES))
    if channel is not None and channel not in CHANNELS:
        raise ValidationError("channel", "one of " + ", ".join(CHANNELS))
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("limit", f"a number from 1 to {MAX_LIMIT}")


def page(
    session: Session,
    campaign_id: int,
    *,
    status: str | None = None,
    channel: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> FanPage:
    """One page of the campaign's fans, newest first, after the cursor `after` if given.

    Raises ValidationError (a ValueError naming the field) for an unknown status or channel,
    a limit out of range, or a cursor this list did not give.
    """
    _check(status, channel, limit)
    state = presave_state().label("state")
    query = (
        select(
            FanLink.fan_id,
            FanLink.created_at,
            Fan.phone_e164,
            Fan.discord_user_id,
            state,
        )
        .join(Fan, Fan.id == FanLink.fan_id)
        .outerjoin(
            PreSave, and_(PreSave.campaign_id == campaign_id, PreSave.fan_id == FanLink.fan_id)
        )
        .outerjoin(SpotifyGrant, SpotifyGrant.fan_id == FanLink.fan_id)
        .where(FanLink.campaign_id == campaign_id)
        .order_by(FanLink.created_at.desc(), FanLink.fan_id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        joined_at, fan_id = decode_cursor(after)
        query = query.where(tuple_(FanLink.created_at, FanLink.fan_id) < (joined_at, fan_id))
    if status is not None:
        query = query.where(status_filter(campaign_id, status))
        if _rare(session, campaign_id, status):
            query = query.where(_candidates(campaign_id, status))
    if channel is not None:
        query = query.where(
            exists().where(
                Consent.fan_id == FanLink.fan_id,
                Consent.campaign_id == campaign_id,
                Consent.channel == channel,
            )
        )
    found = session.execute(query).all()
    rows, more = found[:limit], len(found) > limit
    fan_ids = [r.fan_id for r in rows]
    channels, opted_in = _channels(session, campaign_id, fan_ids)
    last_events = _last_events(session, campaign_id, fan_ids)
    page_rows = tuple(
        FanRow(
            fan_id=r.fan_id,
            display=display_name(r.phone_e164, r.discord_user_id),
            channels=channels.get(r.fan_id, ()),
            status=resolve(r.state, r.fan_id in opted_in),
            joined_at=r.created_at,
            last_event_at=last_events.get(r.fan_id),
        )
        for r in rows
    )
    last = page_rows[-1] if page_rows else None
    cursor = encode_cursor(last.joined_at, last.fan_id) if more and last else None
    return FanPage(page_rows, cursor)


def _channels(
    session: Session, campaign_id: int, fan_ids: list[int]
) -> tuple[dict[int, tuple[str, ...]], set[int]]:
    """Each fan's channels (opted out or not), and the fans whose consent stands on one."""
    if not fan_ids:
        return {}, set()
    rows = session.execute(
        select(Consent.fan_id, Consent.channel, Consent.status)
        .where(Consent.campaign_id == campaign_id, Consent.fan_id.in_(fan_ids))
        .order_by(Consent.fan_id, Consent.channel)
    )
    out: dict[int, tuple[str, ...]] = {}
    opted_in: set[int] = set()
    for fan_id, name, status in rows:
        out[fan_id] = (*out.get(fan_id, ()), str(name))
        if status == ConsentStatus.OPTED_IN:
            opted_in.add(fan_id)
    return out, opted_in


def _last_events(session: Session, campaign_id: int, fan_ids: list[int]) -> dict[int, datetime]:
    if not fan_ids:
        return {}
    rows = session.execute(
        select(Event.fan_id, func.max(Event.at))
        .where(Event.campaign_id == campaign_id, Event.fan_id.in_(fan_ids))
        .group_by(Event.fan_id)
    )
    return {int(fan_id): at for fan_id, at in rows if fan_id is not None and at is not None}
