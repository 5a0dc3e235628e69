"""A campaign's messages on one timeline for the messages page: countdowns, the drop alert
and the release itself, with what each delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.models import DeliveryStatus, MessageStatus
from core.services import broadcast, campaigns

RELEASE = "release"  # the kind of the release's marker row
SENT = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)
FAILED = (DeliveryStatus.FAILED, DeliveryStatus.UNDELIVERED, DeliveryStatus.UNDELIVERABLE)
QUEUED = (DeliveryStatus.QUEUED, DeliveryStatus.HELD, DeliveryStatus.SENDING)


@dataclass(frozen=True)
class MessageRow:
    """One message of the campaign (or the release's marker: kind "release", no id)."""

    id: int | None
    kind: str  # countdown | drop | release
    template: str | None
    status: str  # a message's status; the marker's: upcoming | live
    channels: tuple[str, ...]
    send_at: datetime  # UTC
    send_at_local: datetime  # in the campaign's zone
    sent: int = 0  # sent or delivered
    failed: int = 0  # failed, undelivered or refused by the channel
    queued: int = 0  # waiting, held or going out
    cancellable: bool = False  # `schedule.cancel` takes it

    @property
    def is_release(self) -> bool:
        """Whether this row marks the release rather than a message."""
        return self.kind == RELEASE


def _count(counts: dict[str, int], statuses: tuple[str, ...]) -> int:
    return sum(counts.get(str(s), 0) for s in statuses)


def timeline(session: Session, campaign_id: int) -> list[MessageRow]:
    """Every message of the campaign by send time, the release marked among them (before
    the drop alert due at the same moment)."""
    campaign = campaigns.by_id(session, campaign_id)
    zone = ZoneInfo(campaign.timezone)
    live = (MessageStatus.SCHEDULED, MessageStatus.SENDING)
    rows = [
        MessageRow(
            id=m.id, kind=m.kind, template=m.template, status=m.status,
            channels=tuple(c for c in m.channels.split(",") if c), send_at=m.send_at,
            send_at_local=m.send_at.astimezone(zone), sent=_count(counts, SENT),
            failed=_count(counts, FAILED), queued=_count(counts, QUEUED),
            cancellable=m.kind == broadcast.COUNTDOWN and m.status in live,
        )
        for m, counts in broadcast.with_counts(session, campaign.id)
    ]  # fmt: skip
    release = campaign.detected_at or campaign.release_at
    marker = MessageRow(
        id=None, kind=RELEASE, template=None,
        status="live" if campaign.detected_at else "upcoming", channels=(),
        send_at=release, send_at_local=release.astimezone(zone),
    )  # fmt: skip
    place = next((i for i, row in enumerate(rows) if row.send_at >= release), len(rows))
    return [*rows[:place], marker, *rows[place:]]
