"""A campaign's consenting contacts as CSV, for the artist's download: one row per fan and
channel whose opt-in to the campaign stands (an opted-out channel, or a STOP to its sender,
leaves the row out), read in keyset chunks of (fan id, consent id): never OFFSET, never the
whole campaign in memory.

Phone numbers are in full (E.164) only for the team's owners; members get the masked form
the fan list shows. Cells a fan could have typed (source, place) are guarded against
spreadsheet formulas; phone numbers are ours (validated E.164: digits after the +)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from sqlalchemy import Integer, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from core.db import Db
from core.models import Consent, ConsentStatus, Fan, OptOut, PreSave, SpotifyGrant
from core.services import accounts
from core.services.csv_export import CHUNK, Chunk, Reader, guard, stream, utc
from core.services.fan_list import presave_state, resolve
from core.services.fans import mask_phone

HEADER = (
    "fan_id", "channel", "phone", "discord_user_id", "source", "country", "region", "status",
    "opted_in_at_utc", "authorized_at_utc", "saved_at_utc", "opted_out_other_channel_at_utc",
)  # fmt: skip
FILE = "fans.csv"
Key = tuple[int, int]  # (fan id, consent id) of the last row sent


def phones_shown(session: Session, team_id: int, user_id: int) -> bool:
    """Whether this downloader sees phone numbers in full: owners of the team only."""
    return accounts.role_in(session, team_id, user_id) == "owner"


def audit_detail(full_phones: bool) -> str:
    """What the audit log says about one download of this file."""
    phones = "in full (owner)" if full_phones else "masked"
    return f"{FILE}: consenting contacts, one row per fan and channel; phone numbers {phones}"


def _statement(keyed: bool) -> Any:
    """The chunk's SELECT, built once: parameters campaign_id, limit (and fan_id, consent_id
    of the last row sent when `keyed`).

    When keyed, every joined table is also told `fan_id >= :fan_id`: PostgreSQL merge-joins
    these in fan order, and without the bound each chunk would scan fans, pre-saves and grants
    from the first fan again (the 100th chunk reading 100,000 rows to return 1,000)."""
    campaign_id = bindparam("campaign_id", type_=Integer)
    low = bindparam("fan_id", type_=Integer)

    def from_low(column: Any) -> tuple[Any, ...]:
        return (column >= low,) if keyed else ()

    other = aliased(Consent)
    stopped_elsewhere = (
        select(func.max(other.at))
        .where(
            other.fan_id == Consent.fan_id,
            other.campaign_id == campaign_id,
            other.channel != Consent.channel,
            other.status == ConsentStatus.OPTED_OUT,
        )
        .scalar_subquery()
    )
    told_stop = exists().where(
        OptOut.fan_id == Consent.fan_id,
        OptOut.channel == Consent.channel,
        OptOut.sender == Consent.sender,
        *from_low(OptOut.fan_id),
    )
    query = (
        select(
            Consent.id,
            Consent.fan_id,
            Consent.channel,
            Consent.source,
            Consent.at,
            Fan.phone_e164,
            Fan.discord_user_id,
            Fan.region,
            func.coalesce(SpotifyGrant.country, Fan.country).label("country"),
            presave_state().label("state"),
            PreSave.created_at.label("authorized_at"),
            PreSave.saved_at,
            stopped_elsewhere.label("stopped_elsewhere"),
        )
        .join(Fan, and_(Fan.id == Consent.fan_id, *from_low(Fan.id)))
        .outerjoin(
            PreSave,
            and_(
                PreSave.campaign_id == campaign_id,
                PreSave.fan_id == Consent.fan_id,
                *from_low(PreSave.fan_id),
            ),
        )
        .outerjoin(
            SpotifyGrant,
            and_(SpotifyGrant.fan_id == Consent.fan_id, *from_low(SpotifyGrant.fan_id)),
        )
        .where(
            Consent.campaign_id == campaign_id,
            Consent.status == ConsentStatus.OPTED_IN,
            ~told_stop,
        )
        .order_by(Consent.fan_id, Consent.id)
        .limit(bindparam("limit", type_=Integer))
    )
    if keyed:
        consent_id = bindparam("consent_id", type_=Integer)
        query = query.where(
            Consent.fan_id >= low,  # the index range; the next line is the exact cut
            or_(Consent.fan_id > low, and_(Consent.fan_id == low, Consent.id > consent_id)),
        )
    return query


# Built once at import (no connection, no app): each chunk only binds its values.
FIRST, NEXT = _statement(keyed=False), _statement(keyed=True)


def read(
    db: Db, after: Key | None, *, campaign_id: int, full_phones: bool, limit: int
) -> Chunk[Key]:
    """Up to `limit` rows after `after`, as CSV cells, and the key to continue from."""
    values = {"campaign_id": campaign_id, "limit": limit}
    if after is not None:
        values.update(fan_id=after[0], consent_id=after[1])
    found = db.execute(NEXT if after else FIRST, values).all()
    rows = []
    for r in found:
        phone = r.phone_e164 if r.channel == "sms" else None
        rows.append((
            r.fan_id, r.channel,
            (phone if full_phones else mask_phone(phone)) if phone else "",
            r.discord_user_id if r.channel == "discord" else "",
            guard(r.source), guard(r.country), guard(r.region),
            resolve(r.state, opted_in=True),
            utc(r.at), utc(r.authorized_at), utc(r.saved_at), utc(r.stopped_elsewhere),
        ))  # fmt: skip
    more = len(found) == limit
    return Chunk(rows, (found[-1].fan_id, found[-1].id) if more else None)


def csv_chunks(
    reader: Reader, campaign_id: int, *, full_phones: bool, chunk: int = CHUNK
) -> Iterator[str]:
    """The file's text in pieces of at most `chunk` rows, each read on its own connection
    (give `reader` core.db.read_connection: Core rows, a third faster than the ORM's)."""
    return stream(
        HEADER, reader, partial(read, campaign_id=campaign_id, full_phones=full_phones, limit=chunk)
    )
