"""The artist's fan list: one status per fan, filters, keyset pages, refused input."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from cli import migrate
from core.services import fan_list
from core.timeutil import utcnow
from core.validation import ValidationError
from tests.factories import make_campaign
from tests.integration.dashboard_helpers import add_fan

# (consent, pre-save status, grant status) -> the fan status the list shows.
CASES = [
    ("opted_in", None, None, "opted_in"),
    ("opted_in", "cancelled", "revoked", "opted_in"),
    ("opted_in", "pending", None, "authorized"),
    ("opted_in", "saved", None, "saved"),
    ("opted_out", "saved", None, "saved"),
    ("opted_in", "queued_for_market", None, "queued_for_market"),
    ("opted_in", "pending_source", None, "pending_source"),
    ("opted_in", "needs_reconnect", None, "needs_reconnect"),
    ("opted_in", "pending", "needs_reconnect", "needs_reconnect"),
    ("opted_in", "quota", None, "quota"),
    ("opted_in", "failed", None, "failed"),
    ("opted_out", None, None, "opted_out"),
    ("opted_out", "cancelled", "revoked", "opted_out"),
    (None, "cancelled", "revoked", "opted_out"),
]


def test_every_status_is_named_with_a_meaning() -> None:
    assert set(fan_list.FAN_STATUSES) == {row[3] for row in CASES}
    assert all(meaning for meaning in fan_list.FAN_STATUSES.values())


@pytest.mark.parametrize(("consent", "presave", "grant", "expected"), CASES)
def test_status_of_each_fan(
    db: Session, consent: str | None, presave: str | None, grant: str | None, expected: str
) -> None:
    campaign = make_campaign(db)
    fan_id = add_fan(db, campaign.id, consent=consent, presave=presave, grant=grant)
    add_fan(db, campaign.id, presave="saved")  # another fan, in another state
    rows = {r.fan_id: r for r in fan_list.page(db, campaign.id).rows}
    assert rows[fan_id].status == expected
    filtered = fan_list.page(db, campaign.id, status=expected).rows
    assert fan_id in {r.fan_id for r in filtered}
    assert {r.status for r in filtered} == {expected}


def test_rows_show_masked_phone_discord_name_channels_and_last_event(db: Session) -> None:
    from core.services import events

    campaign = make_campaign(db)
    texter = add_fan(db, campaign.id, channel="sms")
    member = add_fan(db, campaign.id, channel="discord")
    add_fan(db, campaign.id, channel="sms", fan_id=member)  # also joined by text
    events.record(db, "link_click", campaign_id=campaign.id, fan_id=texter)
    rows = {r.fan_id: r for r in fan_list.page(db, campaign.id).rows}
    assert "*" in rows[texter].display and "+1415" not in rows[texter].display[4:]
    assert rows[texter].channels == ("sms",)
    assert rows[texter].last_event_at is not None
    assert rows[member].display.startswith("Discord user")
    assert rows[member].channels == ("discord", "sms")
    assert rows[member].last_event_at is None


def test_channel_filter(db: Session) -> None:
    campaign = make_campaign(db)
    texter = add_fan(db, campaign.id, channel="sms")
    member = add_fan(db, campaign.id, channel="discord")
    assert [r.fan_id for r in fan_list.page(db, campaign.id, channel="sms").rows] == [texter]
    assert [r.fan_id for r in fan_list.page(db, campaign.id, channel="discord").rows] == [member]


def test_other_campaigns_fans_are_not_listed(db: Session) -> None:
    campaign, other = make_campaign(db), make_campaign(db, keyword="OTHER")
    mine = add_fan(db, campaign.id, presave="saved")
    add_fan(db, other.id, presave="saved")
    assert [r.fan_id for r in fan_list.page(db, campaign.id).rows] == [mine]


def walk(session: Session, campaign_id: int, limit: int, **filters: str) -> list[int]:
    seen: list[int] = []
    cursor = None
    for _ in range(1000):
        page = fan_list.page(session, campaign_id, after=cursor, limit=limit, **filters)
        seen += [r.fan_id for r in page.rows]
        cursor = page.next_cursor
        if cursor is None:
            return seen
    raise AssertionError("paging never ended")


def check_paging(session: Session) -> None:
    campaign = make_campaign(session)
    base = utcnow().replace(microsecond=0)
    fans = []
    for n in range(23):  # groups of up to 5 fans share one joined time
        fans.append(add_fan(session, campaign.id, joined=base - timedelta(seconds=n // 5)))
    saved = [add_fan(session, campaign.id, presave="saved", joined=base) for _ in range(7)]
    session.commit()
    everyone = walk(session, campaign.id, limit=4)
    assert sorted(everyone) == sorted(fans + saved)
    assert len(everyone) == len(set(everyone))
    assert sorted(walk(session, campaign.id, limit=3, status="saved")) == sorted(saved)
    assert sorted(walk(session, campaign.id, limit=2, channel="sms")) == sorted(fans + saved)


def test_keyset_paging_visits_every_fan_once_with_ties(db: Session) -> None:
    check_paging(db)


@pytest.fixture
def pg_session(pg_url: str) -> Iterator[Session]:
    migrate.upgrade(pg_url)
    engine = create_engine(pg_url)
    session = Session(bind=engine, expire_on_commit=False)
    yield session
    session.close()
    engine.dispose()


@pytest.mark.postgres
def test_keyset_paging_on_postgres(pg_session: Session) -> None:
    check_paging(pg_session)


@pytest.mark.postgres
def test_statuses_on_postgres(pg_session: Session) -> None:
    campaign = make_campaign(pg_session)
    expected = {}
    for consent, presave, grant, status in CASES:
        expected[
            add_fan(pg_session, campaign.id, consent=consent, presave=presave, grant=grant)
        ] = status
    pg_session.commit()
    rows = fan_list.page(pg_session, campaign.id, limit=50).rows
    assert {r.fan_id: r.status for r in rows} == expected
    for status in fan_list.FAN_STATUSES:
        found = {r.fan_id for r in fan_list.page(pg_session, campaign.id, status=status).rows}
        assert found == {f for f, s in expected.items() if s == status}


@pytest.mark.parametrize(
    "cursor",
    ["", "nonsense!", "bm90LWEtY3Vyc29y", "MjAyNi0xMi0wNVQwMDowMDowMHwtMQ", "x" * 200,
     fan_list.encode_cursor(utcnow(), 1).replace("A", "%")],
)  # fmt: skip
def test_a_bad_cursor_names_after(db: Session, cursor: str) -> None:
    campaign = make_campaign(db)
    with pytest.raises(ValidationError) as refused:
        fan_list.page(db, campaign.id, after=cursor)
    assert refused.value.field == "after"
    assert isinstance(refused.value, ValueError)


def test_a_naive_time_in_a_cursor_is_refused(db: Session) -> None:
    import base64

    naive = base64.urlsafe_b64encode(b"2026-12-05T00:00:00|3").decode().rstrip("=")
    with pytest.raises(ValidationError, match=r"^after: "):
        fan_list.decode_cursor(naive)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [("status", {"status": "vip"}), ("channel", {"channel": "email"}),
     ("limit", {"limit": 0}), ("limit", {"limit": 10_000})],
)  # fmt: skip
def test_bad_filters_name_their_field(db: Session, field: str, kwargs: dict[str, object]) -> None:
    campaign = make_campaign(db)
    with pytest.raises(ValidationError) as refused:
        fan_list.page(db, campaign.id, **kwargs)  # type: ignore[arg-type]
    assert refused.value.field == field


def offsets_used(session: Session) -> list[object]:
    """Every OFFSET value the fan list sends to the database (SQLite's dialect writes
    `OFFSET ?` with 0 after any LIMIT; PostgreSQL's writes none unless one is set)."""
    campaign = make_campaign(session)
    for _ in range(5):
        add_fan(session, campaign.id, presave="saved")
    session.commit()
    offsets: list[object] = []
    statements: list[str] = []

    def capture(
        conn: object, cursor: object, statement: str, parameters: object, *_: object
    ) -> None:
        statements.append(statement)
        parts = statement.split("OFFSET ")
        for n in range(1, len(parts)):
            if isinstance(parameters, dict):
                name = parts[n].split(")", 1)[0].removeprefix("%(")
                offsets.append(parameters[name])
            else:
                assert isinstance(parameters, tuple | list)
                offsets.append(parameters["".join(parts[:n]).count("?")])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        first = fan_list.page(session, campaign.id, limit=2)
        fan_list.page(session, campaign.id, limit=2, after=first.next_cursor)
        for status in fan_list.FAN_STATUSES:
            fan_list.page(session, campaign.id, limit=2, status=status, after=first.next_cursor)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert any("LIMIT" in s.upper() for s in statements), "the listener saw no paged SQL"
    return offsets


def test_the_fan_list_never_skips_rows_with_offset(db: Session) -> None:
    assert set(offsets_used(db)) <= {0}


@pytest.mark.postgres
def test_the_fan_list_sends_no_offset_on_postgres(pg_session: Session) -> None:
    assert offsets_used(pg_session) == []
