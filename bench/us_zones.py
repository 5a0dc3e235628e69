"""The broadcast benchmark's US run: fans spread over every US time zone and the states
with their own quiet hours, the plan the schedule check made, and what the sandbox got.

Every process's clock can be moved (PRESAVE_CLOCK_SHIFT_SECONDS, test mode only) so the
run happens at a chosen hour of the fans' day, with some windows closed at the start.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from sqlalchemy import select

from bench.seed import SENDER, SeededDrop, _bulk, _campaign, _opt_in
from core.db import transaction
from core.models import Campaign, Fan, ScheduledMessage
from core.quiet_hours import hold_until
from core.services import send_plan
from core.settings import Settings
from core.timeutil import as_utc, utcnow

# An area code in each US zone, and in each state with its own quiet hours.
AREA_CODES = (
    "212", "410", "305", "203", "401", "201",  # New York; Maryland, Florida, CT, RI, NJ
    "512", "405", "601", "312",  # Texas, Oklahoma, Mississippi, Illinois (Central)
    "303", "602",  # Denver (Mountain), Phoenix (no daylight saving)
    "415", "206",  # San Francisco, Seattle (Pacific)
    "907", "808",  # Alaska (Anchorage and Adak), Hawaii
)  # fmt: skip


def seed_us(settings: Settings, count: int, keyword: str = "USZONES") -> SeededDrop:
    """A campaign releasing in 12 hours and `count` SMS fans, round-robin over AREA_CODES,
    with no zone kept for them: their numbers say where they are."""
    now = utcnow()
    codes = itertools.cycle(AREA_CODES)
    phones = [f"+1{next(codes)}{2_000_000 + n:07d}" for n in range(count)]
    with transaction(settings.database_url) as session:
        campaign_id = _campaign(session, keyword, now, hours=12)
        first = session.scalar(select(Fan.id).order_by(Fan.id.desc()).limit(1)) or 0
        _bulk(session, Fan.__table__, [
            {"phone_e164": p, "country": "US", "created_at": now} for p in phones
        ])  # fmt: skip
        fan_ids = list(session.scalars(select(Fan.id).where(Fan.id > first).order_by(Fan.id)))
        _opt_in(session, campaign_id, fan_ids, "sms", SENDER, now)
    return SeededDrop(campaign_id, phones, [])


def shift_to(moment: str | None) -> float:
    """Seconds to move the clock by so that now is `moment` (ISO 8601 with offset)."""
    if moment is None:
        return 0.0
    return (as_utc(datetime.fromisoformat(moment)) - utcnow()).total_seconds()


@dataclass(frozen=True)
class Planned:
    """The countdown's send as the schedule check planned it."""

    send_at: datetime
    plan: send_plan.SendPlan


def planned(settings: Settings, campaign_id: int) -> Planned:
    """The plan of the campaign's countdown (scheduled already), at the run's MPS."""
    with transaction(settings.database_url) as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        send_at = session.scalars(
            select(ScheduledMessage.send_at).where(ScheduledMessage.campaign_id == campaign_id)
        ).one()
        rate = send_plan.campaign_rate(campaign, settings.twilio_mps_override)
        plan = send_plan.plan(session, campaign, send_at, rate, campaign.release_at)
    return Planned(send_at, plan)


def received(base_url: str, shift: float) -> list[tuple[str, datetime]]:
    """Each text the Twilio stand-in took: (to, when, on the run's moved clock)."""
    found = requests.get(f"{base_url}/_sandbox/messages", timeout=120).json()["messages"]
    moved = timedelta(seconds=shift)
    return [(m["to"], parsedate_to_datetime(m["date_created"]) + moved) for m in found]


def figures(texts: list[tuple[str, datetime]], expected: Planned) -> dict[str, Any]:
    """Texts outside their fan's window (by the second the stand-in stamped), and the
    send's length against the plan's."""
    outside = sum(1 for to, at in texts if hold_until(at, to, None, None, "US") is not None)
    last = max((at for _, at in texts), default=expected.send_at)
    actual = (last - expected.send_at).total_seconds()
    plan_s = expected.plan.seconds
    return {
        "texts": len(texts), "outside_window": outside, "send_at": expected.send_at,
        "planned_s": plan_s, "actual_s": actual, "duration_ratio": actual / plan_s if plan_s else 0,
        "planned_finish": expected.plan.finish, "actual_finish": last,
        "held_at_start": sum(
            1 for to, _ in texts if hold_until(expected.send_at, to, None, None, "US") is not None
        ),
    }  # fmt: skip
