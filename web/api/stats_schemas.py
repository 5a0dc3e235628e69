"""The JSON Schemas of the campaign stats (merged into web.api.schemas.COMPONENTS) and the
query and path parameters the stats operations take."""

from __future__ import annotations

from typing import Any

from core.services import stats
from core.services.stats_filters import CHANNELS, REGION_MAX, SOURCE_MAX

Schema = dict[str, Any]
SERIES_NAMES = ("optins-daily", "optins-hourly", "saves-by-minute")
UTC_TIME = {"type": "string", "format": "date-time", "description": "ISO 8601 in UTC (Z)"}
COUNT = {"type": ["integer", "null"], "minimum": 0, "description": "null: not known"}
RATE = {"type": ["number", "null"], "minimum": 0, "description": "of the step before"}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _list_of(item: str, **members: Schema) -> Schema:
    """An object with `data`, a list of `item`, beside `members`."""
    return {
        "type": "object",
        "required": ["data", *members],
        "properties": {**members, "data": {"type": "array", "items": _ref(item)}},
    }


def _counts(*names: str) -> dict[str, Schema]:
    return {name: {"type": "integer", "minimum": 0} for name in names}


FILTER_QUERY: dict[str, Schema] = {
    "source": {"type": "string", "maxLength": SOURCE_MAX, "description": "e.g. tiktok"},
    "channel": {"enum": list(CHANNELS)},
    "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "e.g. US"},
    "region": {"type": "string", "maxLength": REGION_MAX, "description": "e.g. CA (a US state)"},
    "since": {**UTC_TIME, "description": "count steps at or after this time (with an offset)"},
    "until": {**UTC_TIME, "description": "count steps before this time (with an offset)"},
}
DIMENSION_PATH: dict[str, Schema] = {"dimension": {"enum": list(stats.DIMENSIONS)}}
SERIES_PATH: dict[str, Schema] = {"name": {"enum": list(SERIES_NAMES)}}

COMPONENTS: dict[str, Schema] = {
    "StatsFilters": {
        "type": "object",
        "description": "the filters applied (null: not filtered)",
        "required": list(FILTER_QUERY),
        "properties": {
            **{n: {"type": ["string", "null"]} for n in ("source", "channel", "country", "region")},
            "since": {**UTC_TIME, "type": ["string", "null"]},
            "until": {**UTC_TIME, "type": ["string", "null"]},
        },
    },
    "FunnelStep": {
        "type": "object",
        "required": ["name", "count", "rate"],
        "properties": {
            "name": {"enum": list(stats.STEPS)},
            "count": {**COUNT, "description": "unique fans (views for page_view); null: unknown"},
            "rate": RATE,
        },
    },
    "Funnel": {
        "type": "object",
        "required": ["campaign_id", "filters", "steps"],
        "properties": {
            "campaign_id": {"type": "integer"},
            "filters": _ref("StatsFilters"),
            "steps": {"type": "array", "items": _ref("FunnelStep")},
        },
    },
    "BreakdownRow": {
        "type": "object",
        "required": ["value", "steps"],
        "properties": {
            "value": {"type": ["string", "null"], "description": "null: not known"},
            "steps": {"type": "array", "items": _ref("FunnelStep")},
        },
    },
    "Breakdown": _list_of(
        "BreakdownRow",
        campaign_id={"type": "integer"},
        dimension={"enum": list(stats.DIMENSIONS)},
        filters=_ref("StatsFilters"),
    ),
    "SeriesPoint": {
        "type": "object",
        "required": ["start", "count"],
        "properties": {"start": UTC_TIME, "count": {"type": "integer", "minimum": 0}},
    },
    "Series": _list_of(
        "SeriesPoint",
        campaign_id={"type": "integer"},
        name={"enum": list(SERIES_NAMES)},
        bucket_seconds={"type": "integer", "description": "60, 3600 or 86400"},
        filters=_ref("StatsFilters"),
    ),
    "MessageStats": {
        "type": "object",
        "required": [
            "id",
            "kind",
            "template",
            "send_at",
            "sent",
            "delivered",
            "failed",
            "held",
            "skipped",
            "opt_outs",
            "clicks",
        ],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "description": "countdown | drop"},
            "template": {"type": "string"},
            "send_at": UTC_TIME,
            **_counts("sent", "delivered", "failed", "held", "skipped"),
            "opt_outs": {"type": "integer", "description": "fans who opted out within 24 h"},
            "clicks": {"type": "integer", "description": "fans who opened a link within 24 h"},
        },
    },
    "MessageStatsList": _list_of("MessageStats", campaign_id={"type": "integer"}),
    "ReleaseStats": {
        "type": "object",
        "required": [
            "campaign_id",
            "slug",
            "title",
            "artist",
            "release_at",
            "optins",
            "authorized",
            "authorization_rate",
            "saves",
        ],
        "properties": {
            "campaign_id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "artist": {"type": "string"},
            "release_at": UTC_TIME,
            **_counts("optins", "authorized", "saves"),
            "authorization_rate": {**RATE, "description": "authorized per opted-in fan"},
        },
    },
    "ReleaseComparison": _list_of("ReleaseStats"),
}
