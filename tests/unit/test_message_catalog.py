"""Schedulable templates: front matter, allowed variables, offsets and the values of time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from messages import catalog
from messages.catalog import TemplateProblem


def test_the_built_ins_are_there_with_their_moments() -> None:
    found = {
        t.name: (catalog.offset_text(t.offset), t.channels) for t in catalog.builtins().values()
    }
    both = ("sms", "discord")
    assert found == {
        "announce": ("14d", both),
        "countdown-7d": ("7d", both),
        "countdown-1d": ("1d", both),
        "countdown-1h": ("1h", both),
        "drop-live": ("0", both),
    }
    assert "{{ link }}" in catalog.builtins()["countdown-1h"].body
    assert catalog.builtins()["drop-live"].allowed == catalog.VARIABLES | {"saved"}


def test_front_matter_is_checked() -> None:
    good = "---\nname: x\ndescription: d\noffset: 2h\nchannels: sms\n---\nHi {{ artist }}\n"
    parsed = catalog.parse(good, "x.txt")
    assert (parsed.offset, parsed.channels, parsed.body) == (
        timedelta(hours=2),
        ("sms",),
        "Hi {{ artist }}",
    )
    with pytest.raises(TemplateProblem, match="no front matter"):
        catalog.parse("Hi {{ artist }}", "x.txt")
    with pytest.raises(TemplateProblem, match="lacks channels"):
        catalog.parse(good.replace("channels: sms\n", ""), "x.txt")
    with pytest.raises(TemplateProblem, match="channels must be"):
        catalog.parse(good.replace("channels: sms", "channels: email"), "x.txt")
    with pytest.raises(TemplateProblem, match="unknown variable fan_name"):
        catalog.parse(good.replace("{{ artist }}", "{{ fan_name }}"), "x.txt")


def test_unknown_variables_and_broken_text_are_named() -> None:
    with pytest.raises(TemplateProblem, match="unknown variables phone, secret"):
        catalog.check("{{ phone }} {{ secret }} {{ link }}", catalog.VARIABLES)
    with pytest.raises(TemplateProblem, match="does not parse"):
        catalog.check("{{ link ", catalog.VARIABLES)
    with pytest.raises(TemplateProblem, match="empty"):
        catalog.check("   ", catalog.VARIABLES)
    with pytest.raises(TemplateProblem, match="unknown variable saved"):
        catalog.check("{% if saved %}x{% endif %}", catalog.VARIABLES)
    catalog.check("{% if saved %}in your library{% endif %}", catalog.DROP_VARIABLES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7d", timedelta(days=7)), ("1d12h", timedelta(days=1, hours=12)),
     ("45m", timedelta(minutes=45)), ("0", timedelta(0)), (" 1H ", timedelta(hours=1))],
)  # fmt: skip
def test_offsets_are_read(text: str, expected: timedelta) -> None:
    assert catalog.parse_offset(text) == expected
    if expected:
        assert catalog.parse_offset(catalog.offset_text(expected)) == expected


@pytest.mark.parametrize("text", ["", "d", "7", "1w", "-1h", "91d", "1h1d"])
def test_bad_offsets_are_refused(text: str) -> None:
    with pytest.raises(TemplateProblem):
        catalog.parse_offset(text)


@pytest.mark.parametrize(
    ("left", "said"),
    [(timedelta(days=7), "7 days"), (timedelta(days=6, hours=20), "7 days"),
     (timedelta(hours=24), "24 hours"), (timedelta(hours=2, minutes=10), "2 hours"),
     (timedelta(minutes=61), "1 hour"), (timedelta(minutes=1), "1 minute"),
     (timedelta(seconds=20), "less than a minute"), (timedelta(hours=-1), "less than a minute")],
)  # fmt: skip
def test_time_left_is_said_as_people_say_it(left: timedelta, said: str) -> None:
    assert catalog.time_left(left) == said


def test_the_release_is_shown_in_the_fans_zone() -> None:
    release = datetime(2026, 12, 18, 5, 0, tzinfo=UTC)  # midnight in New York
    assert catalog.release_local(release, "America/New_York", "UTC") == "Fri Dec 18, 12:00 AM EST"
    assert catalog.release_local(release, "America/Los_Angeles", "UTC") == "Thu Dec 17, 9:00 PM PST"
    assert catalog.release_local(release, None, "Europe/Berlin") == "Fri Dec 18, 6:00 AM CET"
    assert catalog.release_local(release, "Not/AZone", "UTC") == "Fri Dec 18, 5:00 AM UTC"
