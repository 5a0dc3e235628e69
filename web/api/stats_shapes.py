"""The stats services' dataclasses as the JSON web.api.stats_schemas describes: counts as
integers (null where unknown), rates as numbers (null for the first step or no base), times
ISO 8601 in UTC with a Z."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.services.message_stats import MessageStats
from core.services.stats import Breakdown, Funnel, Release, Step
from core.services.stats_filters import Filters
from core.services.stats_series import Series


def zulu(value: datetime | None) -> str | None:
    """ISO 8601 in UTC ending in Z (`2026-12-11T05:00:00Z`)."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


def filters(given: Filters) -> dict[str, Any]:
    """The filters a number was counted under (null: not filtered)."""
    return {
        "source": given.source, "channel": given.channel, "country": given.country,
        "region": given.region, "since": zulu(given.since), "until": zulu(given.until),
    }  # fmt: skip


def steps(found: tuple[Step, ...]) -> list[dict[str, Any]]:
    """Funnel steps in order."""
    return [{"name": s.name, "count": s.count, "rate": s.rate} for s in found]


def funnel(found: Funnel) -> dict[str, Any]:
    """A Funnel."""
    return {
        "campaign_id": found.campaign_id,
        "filters": filters(found.filters),
        "steps": steps(found.steps),
    }


def breakdown(found: Breakdown) -> dict[str, Any]:
    """A Breakdown: one funnel per value, the most opt-ins first."""
    return {
        "campaign_id": found.campaign_id,
        "dimension": found.dimension,
        "filters": filters(found.filters),
        "data": [{"value": row.value, "steps": steps(row.steps)} for row in found.rows],
    }


def series(name: str, found: Series, under: Filters) -> dict[str, Any]:
    """A Series named as the request named it."""
    return {
        "campaign_id": found.campaign_id,
        "name": name,
        "bucket_seconds": int(found.step.total_seconds()),
        "filters": filters(under),
        "data": [{"start": zulu(p.start), "count": p.count} for p in found.points],
    }


def messages(campaign_id: int, rows: list[MessageStats]) -> dict[str, Any]:
    """A MessageStatsList, by send time."""
    return {
        "campaign_id": campaign_id,
        "data": [
            {"id": r.message_id, "kind": r.kind, "template": r.template,
             "send_at": zulu(r.send_at), "sent": r.sent, "delivered": r.delivered,
             "failed": r.failed, "held": r.held, "skipped": r.skipped,
             "opt_outs": r.opt_outs, "clicks": r.clicks}
            for r in rows
        ],
    }  # fmt: skip


def releases(rows: list[Release]) -> dict[str, Any]:
    """A ReleaseComparison, the latest release first."""
    return {
        "data": [
            {"campaign_id": r.campaign_id, "slug": r.slug, "title": r.title,
             "artist": r.artist, "release_at": zulu(r.release_at), "optins": r.optins,
             "authorized": r.authorized, "authorization_rate": r.authorization_rate,
             "saves": r.saves}
            for r in rows
        ]
    }  # fmt: skip
