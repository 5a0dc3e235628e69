"""The API's JSON Schemas (2020-12, OpenAPI 3.1's dialect): the document publishes them and
web.api.body checks request bodies against the same dicts, so the two cannot disagree."""

from __future__ import annotations

from typing import Any

from core.services import event_feed, fan_list
from web.api import stats_schemas

Schema = dict[str, Any]
MAX_ID = 2**31 - 1  # ids in paths and cursors: larger ones name nothing


def nullable(kind: str, **extra: Any) -> Schema:
    """A value of `kind` or null."""
    return {"type": [kind, "null"], **extra}


def ref(name: str) -> Schema:
    """A reference to one of the components below."""
    return {"$ref": f"#/components/schemas/{name}"}


def page_of(item: str, cursor: Schema, cursor_name: str) -> Schema:
    """A page of items and the cursor to continue from."""
    return {
        "type": "object",
        "required": ["data", cursor_name],
        "properties": {"data": {"type": "array", "items": ref(item)}, cursor_name: cursor},
    }


TIME = {"type": "string", "format": "date-time"}
TEXT = {"type": "string", "maxLength": 200}
RELEASE_IDS: Schema = {
    "spotify_album_id": {"type": "string", "maxLength": 100, "description": "one of these three"},
    "upc": {"type": "string", "maxLength": 100},
    "isrc": {"type": "string", "maxLength": 100},
    "spotify_artist_id": {"type": "string", "maxLength": 100},
}
RELEASE_AT = {
    "type": "string",
    "maxLength": 100,
    "description": "ISO 8601 with an explicit offset, e.g. 2027-03-05T00:00:00-05:00",
}
CHANGEABLE: Schema = {
    "title": TEXT,
    "keyword": {"type": "string", "maxLength": 100, "description": "2-20 letters or digits"},
    "release_at": RELEASE_AT,
    "timezone": {"type": "string", "maxLength": 100, "description": "an IANA zone"},
    **RELEASE_IDS,
    "follow": {"type": "boolean", "description": "fans also follow the artist"},
    "force": {"type": "boolean", "description": "take a release time that has passed"},
}

CAMPAIGN_CREATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["artist", "title", "keyword", "release_at"],
    "properties": {"artist": {"type": "string", "maxLength": 200}, **CHANGEABLE},
}
CAMPAIGN_UPDATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **CHANGEABLE,
        "artwork_url": {"type": "string", "maxLength": 600, "description": "an https address"},
    },
}
MESSAGE_SCHEDULE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "required": ["template"],
    "properties": {
        "template": {"type": "string", "maxLength": 100, "description": "e.g. countdown-1d"},
        "before": {"type": "string", "maxLength": 20, "description": "7d, 1d, 1h or 30m"},
        "at": {
            "type": "string",
            "maxLength": 40,
            "description": "a date-time; without an offset, in the campaign's zone",
        },
        "channels": {
            "type": "array",
            "maxItems": 2,
            "uniqueItems": True,
            "items": {"enum": ["sms", "discord"]},
        },
        "text": {"type": "string", "maxLength": 4000},
    },
}

SENDER_KINDS = ["long_code", "toll_free", "short_code", "messaging_service"]
SENDER_UPDATE: Schema = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "kind": {"enum": SENDER_KINDS, "description": "long_code 1/s, toll_free 3/s, "
                 "short_code 100/s, messaging_service 1/s per number"},
        "numbers": {"type": "integer", "minimum": 1, "maximum": 400,
                    "description": "a messaging_service's numbers (only for that kind)"},
        "daily_cap": nullable("integer", minimum=1, maximum=100_000_000,
                              description="texts a day at most; null: no cap"),
    },
}  # fmt: skip
SENDER: Schema = {
    "type": "object",
    "required": ["slug", "kind", "numbers", "daily_cap", "mps", "twilio_mps_override"],
    "properties": {
        "slug": {"type": "string"},
        "kind": {"enum": SENDER_KINDS},
        "numbers": {"type": "integer"},
        "daily_cap": nullable("integer"),
        "mps": {"type": "number", "description": "texts a second its sends are planned at"},
        "twilio_mps_override": nullable("number", description="TWILIO_MPS when set"),
    },
}

COMPONENTS: dict[str, Schema] = {
    "Sender": SENDER,
    "SenderUpdate": SENDER_UPDATE,
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {
                "type": "object",
                "description": "what each refused field accepts",
                "additionalProperties": {"type": "string"},
            },
        },
    },
    "Campaign": {
        "type": "object",
        "required": ["id", "slug", "title", "artist", "keyword", "status", "release_at"],
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "artist": {"type": "string"},
            "keyword": {"type": "string"},
            "status": {"enum": ["upcoming", "live", "released", "closed"]},
            "release_at": TIME,
            "timezone": {"type": "string"},
            **{name: nullable("string") for name in RELEASE_IDS},
            "follow": {"type": "boolean"},
            "artwork_url": nullable("string"),
            "link": {"type": "string", "description": "the campaign's public page"},
            "detected_at": nullable("string", format="date-time"),
            "fans": {"type": "integer"},
            "authorized": {"type": "integer"},
            "saved": {"type": "integer"},
        },
    },
    "CampaignCreate": CAMPAIGN_CREATE,
    "CampaignUpdate": CAMPAIGN_UPDATE,
    "CampaignList": {
        "type": "object",
        "required": ["data"],
        "properties": {"data": {"type": "array", "items": ref("Campaign")}},
    },
    "CampaignClosed": {
        "type": "object",
        "required": ["campaign", "closed_now", "messages_cancelled"],
        "properties": {
            "campaign": ref("Campaign"),
            "closed_now": {"type": "boolean", "description": "false: it was closed already"},
            "messages_cancelled": {"type": "integer"},
        },
    },
    "Message": {
        "type": "object",
        "required": ["id", "kind", "status", "channels", "send_at"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string", "description": "countdown | drop"},
            "template": nullable("string"),
            "status": {"type": "string"},
            "channels": {"type": "array", "items": {"type": "string"}},
            "send_at": TIME,
            "sent": {"type": "integer"},
            "failed": {"type": "integer"},
            "queued": {"type": "integer"},
            "cancellable": {"type": "boolean"},
        },
    },
    "MessageList": {
        "type": "object",
        "required": ["data", "release_at"],
        "properties": {
            "data": {"type": "array", "items": ref("Message")},
            "release_at": {**TIME, "description": "found live at, else the planned time"},
        },
    },
    "MessageSchedule": MESSAGE_SCHEDULE,
    "MessageScheduled": {
        "type": "object",
        "required": ["message", "warnings"],
        "properties": {
            "message": ref("Message"),
            "warnings": {"type": "array", "items": {"type": "string"}},
        },
    },
    "MessageCancelled": {
        "type": "object",
        "required": ["message", "deliveries_cancelled"],
        "properties": {"message": ref("Message"), "deliveries_cancelled": {"type": "integer"}},
    },
    "Fan": {
        "type": "object",
        "required": ["id", "display", "channels", "status", "joined_at"],
        "properties": {
            "id": {"type": "integer"},
            "display": {"type": "string", "description": "masked phone or Discord name"},
            "channels": {"type": "array", "items": {"type": "string"}},
            "status": {"enum": list(fan_list.FAN_STATUSES)},
            "joined_at": TIME,
            "last_event_at": nullable("string", format="date-time"),
        },
    },
    "FanPage": page_of("Fan", nullable("string"), "next_cursor"),
    "Event": {
        "type": "object",
        "required": ["id", "kind", "campaign_id", "at"],
        "properties": {
            "id": {"type": "integer"},
            "kind": {"type": "string"},
            "campaign_id": {"type": "integer"},
            "fan_id": nullable("integer"),
            **{name: nullable("string") for name in ("channel", "source", "country", "region")},
            "at": TIME,
        },
    },
    "EventPage": page_of("Event", {"type": "integer"}, "next_after"),
    **stats_schemas.COMPONENTS,
}

FAN_QUERY = {
    "status": {"enum": list(fan_list.FAN_STATUSES)},
    "channel": {"enum": list(fan_list.CHANNELS)},
    "after": {"type": "string", "maxLength": 100, "description": "next_cursor of a page"},
    "limit": {"type": "integer", "minimum": 1, "maximum": fan_list.MAX_LIMIT, "default": 50},
}
EVENT_QUERY = {
    "after": {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0},
    "limit": {"type": "integer", "minimum": 1, "maximum": event_feed.MAX_LIMIT, "default": 100},
    "campaign_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
