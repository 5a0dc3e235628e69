"""Drop day's funnel steps as events, one per fan: `saved` and `drop_delivered`.

Both are written in batches (`events.record_many`) in the transaction that changes the
row they are about, and carry what the funnel is broken down by: the fan's opt-in channel
(their first consent to the campaign) and source (their personal link's), and the country
(the market the release was saved in, else the fan's) and region.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.orm import Session

from core.models import (
    Consent,
    Delivery,
    Event,
    Fan,
    FanLink,
    PreSave,
    PreSaveStatus,
    ScheduledMessage,
)
from core.services import events
from core.services.drop import DROP_KIND

_FIELDS = ("campaign_id", "fan_id", "channel", "source", "country", "region")


def _link_source(fan_id: Any, campaign_id: Any) -> Any:
    """The source of the fan's personal link for the campaign (how they came in)."""
    return (
        select(FanLink.source)
        .where(FanLink.fan_id == fan_id, FanLink.campaign_id == campaign_id)
        .scalar_subquery()
    )


def _optin_channel(fan_id: Any, campaign_id: Any) -> Any:
    """The channel the fan first opted in to the campaign on (None: web only)."""
    return (
        select(Consent.channel)
        .where(Consent.fan_id == fan_id, Consent.campaign_id == campaign_id)
        .order_by(Consent.at, Consent.id)
        .limit(1)
        .scalar_subquery()
    )


def _country(market: Any) -> Any:
    """The market when it is a country, else the fan's country."""
    return case((func.length(market) == 2, market), else_=Fan.country)


def _rows(session: Session, query: Any) -> list[dict[str, object]]:
    return [dict(zip(_FIELDS, row, strict=True)) for row in session.execute(query)]


def record_saved(session: Session, presave_ids: Sequence[int]) -> int:
    """A `saved` event for each of these pre-saves now saved; returns how many."""
    if not presave_ids:
        return 0
    query = (
        select(
            PreSave.campaign_id,
            PreSave.fan_id,
            _optin_channel(PreSave.fan_id, PreSave.campaign_id),
            _link_source(PreSave.fan_id, PreSave.campaign_id),
            _country(PreSave.market),
            Fan.region,
        )
        .join(Fan, Fan.id == PreSave.fan_id)
        .where(PreSave.id.in_(presave_ids), PreSave.status == PreSaveStatus.SAVED)
    )
    return events.record_many(session, events.SAVED, _rows(session, query))


def _record_delivered(
    session: Session, delivery_ids: Sequence[int], channel: ColumnElement[bool]
) -> int:
    """`drop_delivered` for those of `delivery_ids` that carry a campaign's drop message
    (on the channel `channel` allows) and whose fan has none yet on that channel."""
    if not delivery_ids:
        return 0
    campaign_id = ScheduledMessage.campaign_id
    already = exists().where(
        Event.campaign_id == campaign_id,
        Event.fan_id == Delivery.fan_id,
        Event.kind == events.DROP_DELIVERED,
        Event.channel == Delivery.channel,
    )
    query = (
        select(
            campaign_id,
            Delivery.fan_id,
            Delivery.channel,
            _link_source(Delivery.fan_id, campaign_id),
            _country(PreSave.market),
            Fan.region,
        )
        .join(ScheduledMessage, ScheduledMessage.id == Delivery.message_id)
        .join(Fan, Fan.id == Delivery.fan_id)
        .outerjoin(
            PreSave,
            and_(PreSave.campaign_id == campaign_id, PreSave.fan_id == Delivery.fan_id),
        )
        .where(
            Delivery.id.in_(delivery_ids),
            ScheduledMessage.kind == DROP_KIND,
            channel,
            ~already,
        )
    )
    return events.record_many(session, events.DROP_DELIVERED, _rows(session, query))


def on_sent(session: Session, delivery_ids: Sequence[int]) -> int:
    """Deliveries the provider took: a Discord DM sent is delivered (Discord tells us no
    more), an SMS waits for Twilio's `delivered` callback (`on_delivered`)."""
    return _record_delivered(session, delivery_ids, Delivery.channel == "discord")


def on_delivered(session: Session, delivery_id: int) -> int:
    """Twilio says this SMS reached the handset: `drop_delivered` once, if it is a drop
    message (a repeated callback adds nothing)."""
    return _record_delivered(session, [delivery_id], Delivery.channel == "sms")
