"""How long a message's SMS send takes, and whether it ends inside every fan's allowed hours.

A campaign's SMS sender has a kind and a rate: a long code about 1 message a second, a
toll-free number 3, a short code 100, a Twilio Messaging Service 1 per number in its pool;
`TWILIO_MPS`, when set, overrides the kind's rate. The plan walks the campaign's SMS fans in
the order they may be texted (those inside their window at the send time first, the others
as their windows open, core.quiet_hours) at the pace the workers keep (96% of the rate),
and finds the fans whose window of
the day would close before their text. A message that cannot reach every fan inside their
hours, or that needs more texts than the sender's daily cap, is refused, naming what to
change: an earlier start, the next day's window, or a faster sender.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Campaign, Consent, ConsentStatus, Fan
from core.quiet_hours import closes_at, hold_until, recipient_state, zones_of
from core.timeutil import as_utc

SENDER_RATES: dict[str, float] = {
    "long_code": 1.0,
    "toll_free": 3.0,
    "short_code": 100.0,
    "messaging_service": 1.0,  # per number in the service's pool
}
SENDER_KINDS = tuple(SENDER_RATES)
MAX_NUMBERS = 400  # a Messaging Service's pool
# The workers send this share of the rate (workers.ratelimit paces a little under a
# provider's limit, docs/benchmarks.md): the plan counts on the pace they keep.
SMS_HEADROOM = 0.96
FanRow = tuple[str | None, str | None, str | None, str | None]  # phone, zone, region, country
Group = tuple[datetime, datetime, str]  # opens, closes (UTC), the zone that closes first


def sender_rate(kind: str, numbers: int = 1) -> float:
    """Messages a second a sender of this kind sends (a Messaging Service: per number)."""
    if kind not in SENDER_RATES:
        raise ValueError(f"sender kind {kind!r}: one of {', '.join(SENDER_KINDS)}")
    return SENDER_RATES[kind] * (max(1, numbers) if kind == "messaging_service" else 1)


def campaign_rate(campaign: Campaign, override: float | None) -> float:
    """The campaign's SMS rate: TWILIO_MPS when set, else its sender kind's."""
    if override is not None:
        return override
    return sender_rate(campaign.sms_sender or "long_code", campaign.sms_sender_numbers or 1)


def sms_budget(kind: str | None, numbers: int | None, override: float | None) -> tuple[str, float]:
    """The shared SMS budget a campaign's texts go out under: its name and rate.

    `TWILIO_MPS` (`override`) is one budget for every text, as before senders had kinds. A
    long code (the default) shares the account's "twilio" budget, which the web opt-in's
    confirmations also use. Any other sender has its own, shared by the campaigns that
    declare the same sender (kind and pool size).
    """
    if override is not None:
        return "twilio", override
    kind = kind or "long_code"
    rate = sender_rate(kind, numbers or 1)
    if kind == "long_code":
        return "twilio", rate
    return f"twilio:{kind}:{max(1, numbers or 1)}", rate


def campaign_sender(session: Session, campaign_id: int) -> tuple[str | None, int | None]:
    """A campaign's SMS sender kind and pool size (None, None: no such campaign)."""
    row = session.execute(
        select(Campaign.sms_sender, Campaign.sms_sender_numbers).where(Campaign.id == campaign_id)
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


@dataclass(frozen=True)
class SendPlan:
    """A message's SMS send, planned: when it starts and ends, and who it would miss."""

    fans: int  # SMS fans it is sent to (not those whose window opens after it expires)
    rate: float  # messages a second
    start: datetime  # UTC
    finish: datetime  # UTC, when the last text goes
    late: int  # fans whose window of the day closes before their text would go
    missed_zone: str | None = None  # the first zone missed, and when its window closes
    missed_close: datetime | None = None

    @property
    def seconds(self) -> float:
        """How long the send takes, waits for windows to open included."""
        return (self.finish - self.start).total_seconds()


def fan_rows(session: Session, campaign_id: int) -> list[FanRow]:
    """The campaign's opted-in SMS fans, as the quiet-hours rules read them."""
    rows = session.execute(
        select(Fan.phone_e164, Fan.timezone, Fan.region, Fan.country)
        .join(Consent, Consent.fan_id == Fan.id)
        .where(
            Consent.campaign_id == campaign_id,
            Consent.channel == "sms",
            Consent.status == ConsentStatus.OPTED_IN,
        )
    )
    return [(phone, zone, region, country) for phone, zone, region, country in rows]


def _window(row: FanRow, when: datetime) -> Group:
    """When a fan's window opens at or after `when`, when it closes that day, and where."""
    phone, stored, region, country = row
    opens = hold_until(when, phone, stored, region, country) or when
    us, state = recipient_state(phone, region, country)
    closing = [(closes_at(opens, zone, us, state), str(zone)) for zone in zones_of(phone, stored)]
    closes, zone = min(closing)
    return opens, closes, zone


def windows(rows: Iterable[FanRow], when: datetime) -> Counter[Group]:
    """The fans by window (fans of one NANP exchange, kept zone and place share one)."""
    alike: Counter[FanRow] = Counter()
    sample: dict[FanRow, FanRow] = {}
    for row in rows:
        phone = row[0] or ""
        key = (phone[:8] if phone.startswith("+1") else phone, row[1], row[2], row[3])
        alike[key] += 1
        sample.setdefault(key, row)
    found: Counter[Group] = Counter()
    for place, count in alike.items():
        found[_window(sample[place], when)] += count
    return found


def walk(
    groups: Counter[Group], start: datetime, rate: float, expires: datetime | None
) -> SendPlan:
    """Send to the groups in the order their windows open, `rate` texts a second."""
    by_opening: dict[datetime, list[tuple[datetime, str, int]]] = {}
    for (opens, closes, zone), count in groups.items():
        if expires is None or opens < expires:
            by_opening.setdefault(opens, []).append((closes, zone, count))
    clock, fans, late = start, 0, 0
    missed: tuple[datetime, str] | None = None
    for opens in sorted(by_opening):
        batch = by_opening[opens]
        size = sum(count for _, _, count in batch)
        clock = max(clock, opens) + timedelta(seconds=size / (rate * SMS_HEADROOM))
        fans += size
        for closes, zone, count in batch:
            if closes < clock:
                late += count
                missed = min(missed, (closes, zone)) if missed else (closes, zone)
    return SendPlan(
        fans, rate, start, clock, late, missed[1] if missed else None, missed[0] if missed else None
    )


def plan(
    session: Session, campaign: Campaign, when: datetime, rate: float, expires: datetime | None
) -> SendPlan:
    """The SMS send of a message going out at `when` (UTC), at `rate`."""
    return walk(windows(fan_rows(session, campaign.id), as_utc(when)), as_utc(when), rate, expires)


def needed_rate(groups: Counter[Group], start: datetime, expires: datetime | None) -> float | None:
    """The slowest rate that texts every fan inside their window (None: no rate does)."""
    low, high = 0.0, 10_000.0
    if walk(groups, start, high, expires).late:
        return None
    for _ in range(40):
        middle = (low + high) / 2
        low, high = (
            (low, middle) if not walk(groups, start, middle, expires).late else (middle, high)
        )
    return high


def duration(seconds: float) -> str:
    """`40 s`, `3 min`, `2 h 5 min`."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    return f"{minutes} min" if not hours else f"{hours} h {rest} min" if rest else f"{hours} h"


def summary(found: SendPlan) -> str:
    """`1,200 SMS fans at 1/s: 20 min, 18:00-18:20 UTC`."""
    span = f"{found.start:%H:%M}-{found.finish.astimezone(UTC):%H:%M} UTC"
    return f"{found.fans:,} SMS fans at {found.rate:g}/s: {duration(found.seconds)}, {span}"


def _faster(rate: float) -> str:
    kinds = [f"{kind.replace('_', '-')} ({pace:g}/s)" for kind, pace in SENDER_RATES.items()
             if kind != "messaging_service" and pace >= rate]  # fmt: skip
    pool = max(2, int(-(-rate // SENDER_RATES["messaging_service"])))
    if pool <= MAX_NUMBERS:
        kinds.append(f"a Messaging Service with {pool} numbers or more")
    return "a sender of at least " + f"{rate:.1f}/s: " + " or ".join(kinds or ["none fits"])


def problems(
    session: Session, campaign: Campaign, when: datetime, rate: float, expires: datetime | None,
    now: datetime,
) -> tuple[SendPlan, list[str]]:  # fmt: skip
    """The plan and why it cannot be sent as asked, each reason naming what to change."""
    when, rows = as_utc(when), fan_rows(session, campaign.id)
    groups = windows(rows, when)
    found = walk(groups, when, rate, expires)
    refused = []
    cap = campaign.sms_daily_cap
    if cap is not None and found.fans > cap:
        refused.append(
            f"{found.fans:,} SMS fans but the sender may send {cap:,} texts a day: raise the "
            "campaign's SMS daily cap or use a sender with a higher one"
        )
    if not found.late:
        return found, refused
    close = found.missed_close.astimezone(UTC) if found.missed_close else found.finish
    fixes = []
    earlier = when - (found.finish - close)
    if earlier >= now and not walk(windows(rows, earlier), earlier, rate, expires).late:
        fixes.append(f"start by {earlier:%Y-%m-%d %H:%M} UTC")
    later = [opens for opens, _, _ in windows(rows, close) if opens > close]
    if later:  # the first window that opens after the missed one closed (the next morning)
        first = min(later)
        after = walk(windows(rows, first), first, rate, expires)
        if not after.late and after.fans == found.fans:
            fixes.append(f"start at {first:%Y-%m-%d %H:%M} UTC, when the next windows open")
    needed = needed_rate(groups, when, expires)
    if needed is not None:
        fixes.append(_faster(needed))
    refused.append(
        f"{summary(found)}; {found.late:,} of them would be texted after their allowed hours "
        f"end ({found.missed_zone} closes at {close:%H:%M} UTC): " + ", or ".join(fixes)
    )
    return found, refused
