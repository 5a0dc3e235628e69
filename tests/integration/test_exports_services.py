"""The CSV exports' services: who is in the fans file, what each cell says, the formula guard,
`since`, and keyset chunks (each in its own short session, never OFFSET)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from types import GeneratorType

import pytest
from sqlalchemy import create_engine, event, select
from sqlalchemy.orm import Session

from cli import migrate
from core.models import Event, Fan, OptOut, PreSave
from core.services import event_export, fan_export
from core.services.csv_export import FORMULA_START, Reader, guard, utc
from core.timeutil import utcnow
from core.validation import ValidationError
from tests.factories import make_campaign
from tests.integration.dashboard_helpers import add_fan


def reader_of(session: Session, opened: list[int] | None = None) -> Reader:
    """A reader handing out the test's session, counting how often a chunk opened one."""

    @contextmanager
    def open_one() -> Iterator[Session]:
        if opened is not None:
            opened.append(1)
        yield session

    return open_one


def table(pieces: Iterator[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(pieces))))


def fan_rows(
    session: Session, campaign_id: int, full: bool = True, chunk: int = 1000
) -> list[dict[str, str]]:
    rows = table(fan_export.csv_chunks(reader_of(session), campaign_id, full_phones=full,
                                       chunk=chunk))  # fmt: skip
    assert rows[0] == list(fan_export.HEADER)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def test_only_standing_opt_ins_one_row_per_fan_and_channel(db: Session) -> None:
    campaign, other = make_campaign(db, "BLOOM"), make_campaign(db, "OTHER")
    joined = utcnow() - timedelta(days=2)
    kept = add_fan(db, campaign.id, joined=joined)
    stopped = add_fan(db, campaign.id, consent="opted_out")
    told_stop = add_fan(db, campaign.id)  # a STOP to the sender, the consent row not updated
    db.add(OptOut(fan_id=told_stop, channel="sms", sender="+15005550006", reason="stop"))
    spotify_only = add_fan(db, campaign.id, consent=None, presave="cancelled")
    both = add_fan(db, campaign.id, presave="saved")
    add_fan(db, campaign.id, channel="discord", fan_id=both)
    half = add_fan(db, campaign.id)
    add_fan(db, campaign.id, channel="discord", consent="opted_out", fan_id=half)
    elsewhere = add_fan(db, other.id)
    db.commit()

    rows = fan_rows(db, campaign.id)
    listed = [(int(r["fan_id"]), r["channel"]) for r in rows]
    assert listed == [(kept, "sms"), (both, "sms"), (both, "discord"), (half, "sms")]
    assert not {stopped, told_stop, spotify_only, elsewhere} & {f for f, _ in listed}
    first = rows[0]
    assert first["status"] == "opted_in" and first["source"] == "sms"
    assert first["opted_in_at_utc"] == joined.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert first["authorized_at_utc"] == first["saved_at_utc"] == ""
    assert rows[3]["opted_out_other_channel_at_utc"].endswith("Z"), "Discord stopped, SMS stands"
    assert rows[0]["opted_out_other_channel_at_utc"] == ""


def test_cells_phone_discord_status_times_and_place(db: Session) -> None:
    campaign = make_campaign(db)
    phone_fan = add_fan(db, campaign.id, presave="saved", market="GB")
    discord_fan = add_fan(db, campaign.id, channel="discord", presave="pending")
    saved_at = datetime(2026, 12, 4, 5, 0, 7, tzinfo=UTC)
    presave = db.scalars(select(PreSave).where(PreSave.fan_id == phone_fan)).one()
    presave.saved_at = saved_at
    db.get(Fan, phone_fan).region = "England"  # type: ignore[union-attr]
    db.commit()
    phone = db.get(Fan, phone_fan).phone_e164  # type: ignore[union-attr]
    discord_id = db.get(Fan, discord_fan).discord_user_id  # type: ignore[union-attr]

    owner, member = fan_rows(db, campaign.id, full=True), fan_rows(db, campaign.id, full=False)
    assert owner[0]["phone"] == phone and owner[0]["discord_user_id"] == ""
    assert member[0]["phone"] != phone and "*" in member[0]["phone"]
    assert member[0]["phone"][-2:] == phone[-2:]
    assert owner[0]["status"] == "saved" and owner[0]["saved_at_utc"] == "2026-12-04T05:00:07Z"
    assert owner[0]["authorized_at_utc"].endswith("Z")
    assert owner[0]["country"] == "GB" and owner[0]["region"] == "England"
    for rows in (owner, member):
        assert rows[1]["discord_user_id"] == discord_id and rows[1]["phone"] == ""
        assert rows[1]["status"] == "authorized"


@pytest.mark.parametrize("start", FORMULA_START)
def test_the_guard_makes_formula_cells_text(start: str) -> None:
    assert guard(start + "HYPERLINK(1)") == "'" + start + "HYPERLINK(1)"


def test_the_guard_leaves_plain_cells() -> None:
    assert guard("tiktok") == "tiktok" and guard(None) == "" and guard("a=b") == "a=b"


def test_times_are_utc_to_the_second_and_naive_ones_refused() -> None:
    paris = datetime(2026, 12, 4, 6, 0, 7, 999_999, tzinfo=timezone(timedelta(hours=1)))
    assert utc(paris) == "2026-12-04T05:00:07Z" and utc(None) == ""
    assert utc(datetime(2026, 12, 4, 5, 0, tzinfo=UTC)) == "2026-12-04T05:00:00Z"
    with pytest.raises(ValueError, match="naive"):
        utc(datetime(2026, 12, 4, 5, 0))  # noqa: DTZ001 (the naive time refused)


def test_fan_typed_cells_are_guarded_in_both_files(db: Session) -> None:
    campaign = make_campaign(db)
    fan_id = add_fan(db, campaign.id)
    fan = db.get(Fan, fan_id)
    assert fan is not None
    fan.region, fan.country = "@SUM(A1)", "-1"
    consent = fan.consents[0]
    consent.source = '=HYPERLINK("http://evil.example","x")'
    db.add(Event(kind="page_view", campaign_id=campaign.id, fan_id=fan_id, source="+cmd",
                 region="\tTab", country="=1"))  # fmt: skip
    db.commit()

    row = fan_rows(db, campaign.id)[0]
    assert row["source"] == "'" + consent.source and row["region"] == "'@SUM(A1)"
    assert row["country"] == "'-1" and row["phone"].startswith("+1415"), "our E.164 as it is"
    events = table(event_export.csv_chunks(reader_of(db), campaign.id))
    assert events[1][5:] == ["'+cmd", "'=1", "'\tTab"]


def test_chunks_give_the_same_file_whatever_their_size(db: Session) -> None:
    check_chunks(db)


@pytest.mark.postgres
def test_chunks_and_ties_on_postgres(pg_url: str) -> None:
    migrate.upgrade(pg_url)
    engine = create_engine(pg_url)
    with Session(bind=engine, expire_on_commit=False) as session:
        check_chunks(session)
        check_events(session)
    engine.dispose()


def check_chunks(db: Session) -> None:
    """Fans on two channels fall across chunk edges; every row comes once, in order."""
    campaign = make_campaign(db)
    for n in range(7):
        fan_id = add_fan(db, campaign.id)
        if n % 2 == 0:
            add_fan(db, campaign.id, channel="discord", fan_id=fan_id)
    db.commit()
    whole = fan_rows(db, campaign.id)
    assert len(whole) == 11
    for chunk in (1, 2, 3, 5):
        opened: list[int] = []
        stream = fan_export.csv_chunks(reader_of(db, opened), campaign.id, full_phones=True,
                                       chunk=chunk)  # fmt: skip
        assert isinstance(stream, GeneratorType) and opened == [], "nothing read before asked"
        pieces = list(stream)
        assert table(iter(pieces))[1:] == [list(r.values()) for r in whole], chunk
        assert len(pieces) == len(opened) == 11 // chunk + 1, "one short session per chunk"
        assert all(p.count("\r\n") <= chunk + 1 for p in pieces)


def events_at(db: Session, campaign_id: int, times: list[datetime]) -> list[int]:
    made = [Event(kind="link_click", campaign_id=campaign_id, at=at) for at in times]
    db.add_all(made)
    db.flush()
    return [e.id for e in made]


def test_events_in_time_order_since_a_time_and_across_ties(db: Session) -> None:
    check_events(db)


def check_events(db: Session) -> None:
    campaign, other = make_campaign(db, "BLOOM"), make_campaign(db, "OTHER")
    t0 = datetime(2026, 12, 1, tzinfo=UTC)
    late = events_at(db, campaign.id, [t0 + timedelta(hours=1)])
    early = events_at(db, campaign.id, [t0 - timedelta(hours=2), t0 - timedelta(seconds=1)])
    ties = events_at(db, campaign.id, [t0] * 5)
    events_at(db, other.id, [t0])
    db.commit()

    def ids(since: datetime | None, chunk: int) -> list[int]:
        pieces = event_export.csv_chunks(reader_of(db), campaign.id, since=since, chunk=chunk)
        rows = table(pieces)
        assert rows[0] == list(event_export.HEADER)
        return [int(r[0]) for r in rows[1:]]

    for chunk in (1, 2, 1000):
        assert ids(None, chunk) == early + ties + late, chunk
        assert ids(t0, chunk) == ties + late, chunk
    assert ids(t0 + timedelta(days=1), 2) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("2026-12-01T00:00:00Z", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01T01:30:00+01:00", datetime(2026, 12, 1, 0, 30, tzinfo=UTC)),
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
    ],
)
def test_since_accepts_zoned_times_and_dates(raw: str | None, expected: datetime | None) -> None:
    assert event_export.parse_since(raw) == expected


@pytest.mark.parametrize(
    "raw", ["yesterday", "2026-12-01T00:00:00", "2026-13-01", "2026-12-01T00:00:00Z" + " " * 40]
)
def test_since_refuses_naming_the_parameter(raw: str) -> None:
    with pytest.raises(ValidationError) as refused:
        event_export.parse_since(raw)
    assert refused.value.field == "since" and "zone" in refused.value.accepted


def test_no_read_skips_rows_with_offset(db: Session) -> None:
    """Every chunk of both files is a LIMIT after a key (SQLite writes `OFFSET ?` as 0)."""
    campaign = make_campaign(db)
    for _ in range(5):
        fan_id = add_fan(db, campaign.id)
        events_at(db, campaign.id, [utcnow()])
    db.commit()
    seen: list[tuple[str, object]] = []

    def capture(_c: object, _k: object, statement: str, parameters: object, *_: object) -> None:
        seen.append((statement, parameters))

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        "".join(fan_export.csv_chunks(reader_of(db), campaign.id, full_phones=True, chunk=2))
        "".join(event_export.csv_chunks(reader_of(db), campaign.id, chunk=2))
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(seen) == 6 and fan_id
    for statement, parameters in seen:
        assert "LIMIT" in statement
        if "OFFSET" in statement:
            assert isinstance(parameters, tuple) and parameters[-1] == 0, statement
