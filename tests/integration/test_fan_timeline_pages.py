"""A fan's timeline in keyset pages of 50, newest first: every item once, in order, across
events, messages and texts that share instants; `before` walks older, `after` back newer."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from cli import migrate
from core.db import transaction
from core.models import Campaign, Delivery, Event, OutboundText, ScheduledMessage
from core.services import fan_timeline
from core.services.fan_timeline import FanTimeline
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, put_in_team
from tests.integration.dashboard_helpers import add_fan

EVENTS = 250


def busy_fan(db: Session) -> tuple[int, int, int]:
    """(campaign id, fan id, items in the fan's whole timeline): 250 events, two at each
    instant, with messages and reply texts at some of the same instants."""
    campaign = make_campaign(db, "BLOOM")
    start = utcnow() - timedelta(days=3)
    fan = add_fan(db, campaign.id, presave="pending", joined=start)
    for n in range(EVENTS):  # pairs of events share a time: the id decides between them
        at = start + timedelta(minutes=1 + n // 2)
        db.add(Event(kind="page_view", campaign_id=campaign.id, fan_id=fan, at=at))
    for n in range(6):
        at = start + timedelta(minutes=10 * (n + 1))  # the same instants as events
        message = ScheduledMessage(
            campaign_id=campaign.id, kind="countdown", template="t", send_at=at, status="sent"
        )
        db.add(message)
        db.flush()
        db.add(Delivery(message_id=message.id, fan_id=fan, channel="sms", status="sent",
                        created_at=at - timedelta(minutes=1), sent_at=at))  # fmt: skip
        db.add(OutboundText(fan_id=fan, campaign_id=campaign.id, to_number="+14155550101",
                            body="hi", status="sent", created_at=at))  # fmt: skip
    db.commit()
    whole = fan_timeline.timeline(db, campaign.id, fan, limit=10_000)
    assert whole is not None and whole.older is None and whole.newer is None
    return campaign.id, fan, len(whole.items)


def walk(db: Session, cid: int, fan: int) -> list[FanTimeline]:
    """Every page from the newest, following `older`."""
    pages = [fan_timeline.timeline(db, cid, fan)]
    while pages[-1] is not None and pages[-1].older:
        pages.append(fan_timeline.timeline(db, cid, fan, before=pages[-1].older))
    assert all(page is not None for page in pages)
    return pages  # type: ignore[return-value]


def test_250_events_in_pages_of_50_each_item_once(db: Session) -> None:
    cid, fan, total = busy_fan(db)
    whole = fan_timeline.timeline(db, cid, fan, limit=10_000)
    assert whole is not None
    assert total >= EVENTS + 12 + 3  # events, messages, texts, joined, consent, pre-save
    times = [item.at for item in whole.items]
    assert times == sorted(times, reverse=True), "newest first"
    assert whole.items[-1].kind == "joined"

    pages = walk(db, cid, fan)
    assert [len(p.items) for p in pages] == [50] * (total // 50) + [total % 50] * bool(total % 50)
    walked = [item for page in pages for item in page.items]
    assert walked == list(whole.items), "the same items, once each, in the same order"
    assert pages[0].newer is None and pages[-1].older is None
    assert all(page.newer for page in pages[1:])

    # and back: `after` from the oldest page gives the pages before it again
    back = fan_timeline.timeline(db, cid, fan, after=pages[-1].newer)
    assert back is not None and back.items == pages[-2].items
    newest = fan_timeline.timeline(db, cid, fan, after=pages[1].newer)
    assert newest is not None and newest.items == pages[0].items and newest.newer is None


def test_the_page_links_older_and_newer(app: Flask, db: Session, signed_in: SignIn) -> None:
    client = app.test_client()
    _, team = signed_in(client, "Team A")
    cid, fan, total = busy_fan(db)
    campaign = db.get(Campaign, cid)
    assert campaign is not None
    put_in_team(db, campaign.artist_id, team)
    path = f"/app/campaigns/{cid}/fans/{fan}"
    seen, shown, pages = 0, client.get(path), 0
    while True:
        body = html.unescape(shown.get_data(as_text=True))
        assert shown.status_code == 200
        seen += body.count('class="fan-timeline-what"')
        pages += 1
        older = re.search(r'href="[^"]*\?before=([^"]+)" rel="next">Older', body)
        assert ("Newer</a>" in body) == (pages > 1)
        if older is None:
            break
        shown = client.get(path, query_string={"before": older.group(1)})
    assert seen == total and pages == -(-total // 50)
    assert "Joined (source: sms)" in body
    for query, field in (("before=nonsense", "before"), ("after=x&before=y", "after")):
        refused = client.get(f"{path}?{query}")
        assert refused.status_code == 400 and f"{field}:" in refused.get_data(as_text=True)


@pytest.mark.postgres
def test_the_pages_walk_the_same_on_postgresql(pg_url: str) -> None:
    migrate.upgrade(pg_url)
    with transaction(pg_url) as session:
        cid, fan, total = busy_fan(session)
        whole = fan_timeline.timeline(session, cid, fan, limit=10_000)
        pages = walk(session, cid, fan)
        assert whole is not None
        assert [item for page in pages for item in page.items] == list(whole.items)
        assert len(whole.items) == total and len(pages) == -(-total // 50)
        back = fan_timeline.timeline(session, cid, fan, after=pages[-1].newer)
        assert back is not None and back.items == pages[-2].items
