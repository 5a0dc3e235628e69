"""What the services return, as the JSON the schemas describe."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from core.services.api_campaigns import CampaignInfo
from core.services.event_feed import EventPage
from core.services.fan_list import FanPage
from core.services.message_timeline import MessageRow


def when(value: datetime | None) -> str | None:
    """ISO 8601 in UTC."""
    return value.astimezone(UTC).isoformat() if value is not None else None


def campaign(info: CampaignInfo) -> dict[str, Any]:
    """A Campaign."""
    found = asdict(info)
    found["release_at"], found["detected_at"] = when(info.release_at), when(info.detected_at)
    return found


def message(row: MessageRow) -> dict[str, Any]:
    """A Message."""
    return {
        "id": row.id, "kind": row.kind, "template": row.template, "status": str(row.status),
        "channels": list(row.channels), "send_at": when(row.send_at), "sent": row.sent,
        "failed": row.failed, "queued": row.queued, "cancellable": row.cancellable,
    }  # fmt: skip


def messages(rows: list[MessageRow]) -> dict[str, Any]:
    """A MessageList: the messages, and the release time the timeline marks among them."""
    release = next(row.send_at for row in rows if row.is_release)
    return {"data": [message(r) for r in rows if not r.is_release], "release_at": when(release)}


def fans(found: FanPage) -> dict[str, Any]:
    """A FanPage (phones masked by the service)."""
    return {
        "data": [
            {"id": r.fan_id, "display": r.display, "channels": list(r.channels),
             "status": r.status, "joined_at": when(r.joined_at),
             "last_event_at": when(r.last_event_at)}
            for r in found.rows
        ],
        "next_cursor": found.next_cursor,
    }  # fmt: skip


def events(found: EventPage) -> dict[str, Any]:
    """An EventPage."""
    rows = [{**asdict(r), "at": when(r.at)} for r in found.rows]
    return {"data": rows, "next_after": found.next_after}
