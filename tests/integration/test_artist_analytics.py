"""The analytics pages: the numbers on the page are the stats services', filters apply and
bad ones are refused next to their field, tables sort on the server, an empty campaign
renders, and the team comparison shows only the signed-in team's releases."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.models import ScheduledMessage
from core.services import message_stats, stats, stats_series
from core.services.stats_filters import parse_filters
from tests.factories import make_campaign
from tests.integration.artist_helpers import SignIn, put_in_team
from tests.integration.rollup_helpers import make_fans, record_at

RELEASE = datetime(2026, 12, 11, 5, 0, tzinfo=UTC)
H = timedelta(hours=1)
STEP_ROWS = ("Page views", "Opted in", "Opened their link", "Authorized Spotify", "Saved",
             "Got drop message", "Clicked release link")  # fmt: skip


def story(db: Session, team: int) -> int:
    """A campaign of `team` with five fans: three from tiktok (two in the US, who both
    authorized and one saved; one in GB), two from ig on Discord (one authorized)."""
    campaign = make_campaign(db, "BLOOM", release_at=RELEASE.isoformat())
    put_in_team(db, campaign.artist_id, team)
    fans = make_fans(db, 5)
    before = RELEASE - 5 * 24 * H
    for source in ("tiktok", "tiktok", "tiktok", "ig"):
        record_at(db, before, "page_view", campaign_id=campaign.id, source=source)
    places = [("tiktok", "sms", "US", "CA"), ("tiktok", "sms", "US", "NY"),
              ("tiktok", "sms", "GB", None), ("ig", "discord", None, None),
              ("ig", "discord", None, None)]  # fmt: skip
    for n, (fan, (source, channel, country, region)) in enumerate(zip(fans, places, strict=True)):
        record_at(db, before + n * H, "optin", campaign_id=campaign.id, fan_id=fan,
                  channel=channel, source=source, country=country, region=region)  # fmt: skip
    for fan in (fans[0], fans[1], fans[3]):
        record_at(db, RELEASE - 2 * H, "link_click", campaign_id=campaign.id, fan_id=fan)
        record_at(db, RELEASE - H, "spotify_authorized", campaign_id=campaign.id, fan_id=fan)
    record_at(db, RELEASE + 3 * timedelta(minutes=1), "saved", campaign_id=campaign.id,
              fan_id=fans[0])  # fmt: skip
    db.commit()
    return campaign.id


def body_of(response: object) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())  # type: ignore[attr-defined]


def funnel_on_page(body: str) -> list[str]:
    """The funnel table's Fans column, step by step."""
    return [
        re.search(rf'<th scope="row">{step}</th> <td>([^<]*)</td>', body).group(1)  # type: ignore[union-attr]
        for step in STEP_ROWS
    ]


def table_rows(body: str, dimension: str) -> list[str]:
    """The row headings of one breakdown table, top to bottom."""
    start = body.index(f'id="by-{dimension}"')
    end = body.index("</table>", start)
    return re.findall(r'<th scope="row">([^<]*)</th>', body[start:end])


def signed_in_team(app: Flask, signed_in: SignIn, name: str = "Team A") -> tuple[FlaskClient, int]:
    client = app.test_client()
    _, team = signed_in(client, name)
    return client, team


def test_the_page_shows_the_services_numbers(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, team = signed_in_team(app, signed_in)
    cid = story(db, team)
    db.add(ScheduledMessage(campaign_id=cid, kind="countdown", template="one_day",
                            send_at=RELEASE - 24 * H))  # fmt: skip
    db.commit()

    response = client.get(f"/app/campaigns/{cid}/analytics")
    body = body_of(response)
    assert response.status_code == 200
    expected = [f"{s.count:,}" for s in stats.funnel(db, cid).steps]
    assert expected == ["4", "5", "3", "3", "1", "0", "0"]  # the story, as the service counts it
    assert funnel_on_page(body) == expected
    assert "Authorized Spotify: 3 (100% of step before)" in body  # the chart's label
    assert 'role="img"' in body and '<title id="funnel-chart-title">' in body
    by_source = stats.breakdown(db, cid, "source")
    assert table_rows(body, "source") == [row.value for row in by_source.rows] == ["tiktok", "ig"]
    assert '<th scope="row">tiktok</th> <td>3</td> <td>3</td> <td>2</td> <td>1</td>' in body
    assert table_rows(body, "region") == ["Not known", "CA", "NY"]
    assert "Conversion by US state" in body and "67%" in body  # tiktok: 2 of 3 authorized
    assert f"/app/campaigns/{cid}/fans.csv" in body and f"/app/campaigns/{cid}/events.csv" in body
    assert f'href="/app/campaigns/{cid}/analytics" aria-current="page"' in body  # the nav tab
    over_time = client.get(f"/app/campaigns/{cid}/analytics/time")
    assert over_time.status_code == 200
    body = body_of(over_time)
    daily = stats_series.optins_daily(db, cid)
    assert sum(p.count for p in daily.points) == 5
    assert f"5 opt-ins in all, at most 5 in one day ({len(daily.points)} buckets" in body
    minutes = stats_series.saves_by_minute(db, cid)
    assert [p.count for p in minutes.points if p.count] == [1] and len(minutes.points) == 60
    assert '<time datetime="2026-12-11T05:03:00Z">05:03</time></th><td>1</td>' in body
    assert "No opt-ins from two days before" in body  # none in the hourly window
    body = body_of(client.get(f"/app/campaigns/{cid}/analytics/messages"))
    (message,) = message_stats.for_campaign(db, cid)
    assert message.template == "one_day"
    assert 'one day <span class="muted">(countdown)</span>' in body
    assert f'href="/app/campaigns/{cid}/analytics/messages" aria-current="page"' in body


def test_filters_apply_and_stay_in_the_form(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, team = signed_in_team(app, signed_in)
    cid = story(db, team)

    body = body_of(client.get(f"/app/campaigns/{cid}/analytics?source=tiktok&country=us"))
    filters = parse_filters(source="tiktok", country="us")
    expected = ["not known" if s.count is None else f"{s.count:,}"
                for s in stats.funnel(db, cid, filters).steps]  # fmt: skip
    assert expected == ["not known", "2", "2", "2", "1", "0", "0"]
    assert funnel_on_page(body) == expected
    assert 'name="source" value="tiktok"' in body and 'name="country" value="us"' in body
    assert table_rows(body, "channel") == ["SMS"]
    assert "Filtered: source tiktok, country us." in body
    assert f'href="/app/campaigns/{cid}/analytics/time?source=tiktok&country=us"' in body
    assert f'href="/app/campaigns/{cid}/analytics/messages"' in body  # not filtered: no args
    hourly = body_of(client.get(f"/app/campaigns/{cid}/analytics?until=2026-12-06T07:00Z"))
    assert funnel_on_page(hourly)[1] == "2"  # opt-ins at 05:00 and 06:00 on the 6th


def test_bad_filters_are_refused_next_to_their_field(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, team = signed_in_team(app, signed_in)
    cid = story(db, team)

    cases = {
        "country=USA": ("country", "a two-letter country code"),
        "since=yesterday": ("since", "ISO 8601 date and time with an explicit offset"),
        "since=2026-12-04T00:00": ("since", "explicit offset"),  # no offset: refused
        "channel=fax": ("channel", "one of sms, discord"),
        "since=2026-12-05T00:00Z&until=2026-12-04T00:00Z": ("until", "a time after since"),
        "sort=source.colour.desc": ("sort", "table.column.direction"),
        "source=" + "x" * 40: ("source", "32"),
    }
    for query, (field, words) in cases.items():
        response = client.get(f"/app/campaigns/{cid}/analytics?{query}")
        body = body_of(response)
        assert response.status_code == 400, query
        assert f'<p class="field-error" id="{field}-error">{field.capitalize()}: ' in body, query
        assert words in body, query
        assert 'id="funnel-heading"' not in body and "Show numbers" in body, query  # no numbers
        over_time = client.get(f"/app/campaigns/{cid}/analytics/time?{query}")
        if field != "sort":  # the time page has no table to sort
            assert over_time.status_code == 400, query
            assert f'id="{field}-error"' in body_of(over_time) and words in body_of(over_time)
    bad_sort = body_of(client.get(f"/app/campaigns/{cid}/analytics?sort=x&country=GB"))
    assert 'name="sort"' not in bad_sort  # sending the form again drops the refused sort
    good_sort = body_of(client.get(f"/app/campaigns/{cid}/analytics?sort=source.saved.asc"))
    assert '<input type="hidden" name="sort" value="source.saved.asc">' in good_sort
    stranger, _ = signed_in_team(app, signed_in, "Team B")  # another team: 404 before any check
    refused = stranger.get(f"/app/campaigns/{cid}/analytics?country=USA")
    assert refused.status_code == 404 and "BLOOM" not in body_of(refused)
    kept = body_of(client.get(f"/app/campaigns/{cid}/analytics?country=USA&source=tiktok"))
    assert 'name="country" value="USA"' in kept and 'name="source" value="tiktok"' in kept
    assert 'aria-invalid="true"' in kept and 'aria-describedby="country-hint country-error"' in kept


def test_tables_sort_on_the_server(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, team = signed_in_team(app, signed_in)
    cid = story(db, team)
    url = f"/app/campaigns/{cid}/analytics"

    default = body_of(client.get(url))
    assert table_rows(default, "source") == ["tiktok", "ig"]
    assert table_rows(body_of(client.get(f"{url}?sort=source.value.asc")), "source") == [
        "ig", "tiktok"]  # fmt: skip
    by_conversion = body_of(client.get(f"{url}?sort=source.conversion.desc&channel=sms"))
    assert table_rows(by_conversion, "source") == ["tiktok"]
    by_country = body_of(client.get(f"{url}?sort=country.optins.asc"))
    assert table_rows(by_country, "country") == ["GB", "Not known", "US"]
    assert table_rows(by_country, "source") == ["tiktok", "ig"]  # other tables keep their order
    start = by_country.index('id="by-country"')
    head = by_country[start : by_country.index("</thead>", start)]
    assert '<th scope="col" aria-sort="ascending">' in head and head.count("aria-sort") == 1
    # the sorted column's link flips the order; the links keep the filters
    assert f'href="{url}?sort=country.optins.desc#by-country"' in head
    filtered = body_of(client.get(f"{url}?sort=country.optins.asc&channel=sms"))
    assert f"{url}?sort=country.saved.desc&channel=sms#by-country" in filtered


def test_an_empty_campaign_renders(app: Flask, db: Session, signed_in: SignIn) -> None:
    client, team = signed_in_team(app, signed_in)
    campaign = make_campaign(db, "EMPTY", release_at=RELEASE.isoformat())
    put_in_team(db, campaign.artist_id, team)

    response = client.get(f"/app/campaigns/{campaign.id}/analytics")
    body = body_of(response)
    assert response.status_code == 200
    assert funnel_on_page(body) == ["0"] * 7
    assert body.count("No fans yet.") == 4  # each breakdown
    body = body_of(client.get(f"/app/campaigns/{campaign.id}/analytics/time"))
    assert "No opt-ins earlier than two days before the release." in body
    assert "No message scheduled yet." in body_of(
        client.get(f"/app/campaigns/{campaign.id}/analytics/messages")
    )
    assert "No opt-ins from two days before the release to two days after it." in body
    assert "No saves in the drop hour" in body and '<svg class="chart chart-columns' not in body


def test_releases_compares_the_teams_last_five_only(
    app: Flask, db: Session, signed_in: SignIn
) -> None:
    client, team = signed_in_team(app, signed_in)
    other, other_team = signed_in_team(app, signed_in, "Team B")
    cid = story(db, team)
    theirs = make_campaign(db, "THEIRS", title="Their Secret Single", artist="Juno Reyes")
    put_in_team(db, theirs.artist_id, other_team)

    body = body_of(client.get("/app/releases"))
    (release,) = stats.team_comparison(db, team)
    assert release.campaign_id == cid
    assert f'href="/app/campaigns/{cid}/analytics">{release.title}</a>' in body
    assert "<td>5</td> <td>3</td> <td>60%</td> <td>1</td>" in body  # opt-ins, auth, rate, saved
    assert "Authorized: 3 (60% of opt-ins)" in body  # the chart's label
    assert "Their Secret Single" not in body
    assert "Their Secret Single" in body_of(other.get("/app/releases"))
    assert "Compare your last releases" in body_of(client.get("/app/campaigns"))
    assert "Night Bloom BLOOM" not in body_of(other.get("/app/releases"))
