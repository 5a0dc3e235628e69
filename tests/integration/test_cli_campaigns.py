"""`presave campaign`: create, list, show, and every bad input refused with nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.db import transaction
from core.models import Artist, Campaign
from core.settings import Settings
from tests.integration.cli_helpers import env, run

__all__ = ["env"]  # a fixture: imported for pytest to find

GOOD = [
    "--artist", "Mira Vale",
    "--title", "Night Bloom",
    "--keyword", "bloom",
    "--release-at", "2030-12-04T00:00:00-05:00",
    "--timezone", "America/New_York",
]  # fmt: skip


def counts(settings: Settings) -> tuple[int, int]:
    with transaction(settings.database_url) as session:
        return (
            session.scalar(select(func.count()).select_from(Artist)) or 0,
            session.scalar(select(func.count()).select_from(Campaign)) or 0,
        )


def test_create_then_show_and_list_as_json(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "campaign", "create", *GOOD, "--upc", "602445790128", "--json")
    assert code == 0, err
    created = json.loads(out)
    assert created["keyword"] == "BLOOM"
    assert created["release_at"] == "2030-12-04T05:00:00+00:00"
    assert created["link"] == f"{env.public_url}/c/{created['slug']}"
    assert created["counts"] == {
        "fans": 0, "consents": {}, "presaves": {}, "deliveries": {}, "events": {}, "sources": {},
        "quota_fans": 0,
    }  # fmt: skip
    code, out, _ = run(capsys, "campaign", "show", created["slug"], "--json")
    shown = json.loads(out)
    assert code == 0
    assert {
        k: shown[k] for k in ("id", "slug", "keyword", "title", "artist", "release_at", "link")
    } == {k: created[k] for k in ("id", "slug", "keyword", "title", "artist", "release_at", "link")}
    assert shown["release"]["upc"] == "602445790128"
    code, out, _ = run(capsys, "campaign", "list", "--json")
    listed = json.loads(out)
    assert [c["slug"] for c in listed] == [created["slug"]]


def test_human_output_names_the_campaign(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "campaign", "create", *GOOD, "--no-follow")
    assert code == 0
    assert "Night Bloom by Mira Vale" in out and "BLOOM" in out
    code, out, _ = run(capsys, "campaign", "list")
    assert "mira-vale-night-bloom" in out


def test_same_title_gets_a_distinct_slug(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "campaign", "create", *GOOD, "--json")
    args = [a if a != "bloom" else "bloom2" for a in GOOD]
    code, out, err = run(capsys, "campaign", "create", *args, "--json")
    assert code == 0, err
    assert json.loads(out)["slug"] == "mira-vale-night-bloom-2"


def replace(flag: str, value: str | None) -> list[str]:
    """GOOD with `flag` set to `value` (or removed when None)."""
    out: list[str] = []
    pairs = list(zip(GOOD[::2], GOOD[1::2], strict=True))
    for name, current in pairs:
        if name == flag:
            if value is not None:
                out += [name, value]
        else:
            out += [name, current]
    return out


BAD = [
    pytest.param(replace("--keyword", "two words"), "keyword", id="keyword-two-words"),
    pytest.param(replace("--keyword", "a"), "keyword", id="keyword-too-short"),
    pytest.param(replace("--keyword", "x" * 21), "keyword", id="keyword-too-long"),
    pytest.param(replace("--keyword", "drop!"), "keyword", id="keyword-punctuation"),
    pytest.param(replace("--keyword", "STOP"), "keyword", id="keyword-reserved-stop"),
    pytest.param(replace("--keyword", "help"), "keyword", id="keyword-reserved-help"),
    pytest.param(replace("--keyword", "Start"), "keyword", id="keyword-reserved-start"),
    pytest.param(replace("--keyword", "unsubscribe"), "keyword", id="keyword-reserved-unsub"),
    pytest.param(replace("--keyword", None), "keyword", id="keyword-missing"),
    pytest.param(replace("--release-at", "2030-12-04T00:00:00"), "release-at", id="release-naive"),
    pytest.param(replace("--release-at", "next friday"), "release-at", id="release-words"),
    pytest.param(replace("--release-at", "2030-12-04"), "release-at", id="release-date-only"),
    pytest.param(replace("--release-at", None), "release-at", id="release-missing"),
    pytest.param(replace("--timezone", "Mars/Olympus"), "timezone", id="timezone-unknown"),
    pytest.param(replace("--timezone", "../../etc/passwd"), "timezone", id="timezone-path"),
    pytest.param(replace("--artist", "   "), "--artist", id="artist-blank"),
    pytest.param(replace("--title", None), "--title", id="title-missing"),
    pytest.param([*GOOD, "--upc", "12345"], "upc", id="upc-short"),
    pytest.param([*GOOD, "--upc", "123456789012345"], "upc", id="upc-long"),
    pytest.param([*GOOD, "--upc", "60244579012a"], "upc", id="upc-letter"),
    pytest.param([*GOOD, "--isrc", "US-AB1-24"], "isrc", id="isrc-short"),
    pytest.param([*GOOD, "--isrc", "1S-AB1-24-00001"], "isrc", id="isrc-country-digit"),
    pytest.param([*GOOD, "--isrc", "US-AB1-24-0000A"], "isrc", id="isrc-letter-serial"),
    pytest.param([*GOOD, "--spotify-album-id", "abc"], "spotify-album-id", id="album-short"),
    pytest.param([*GOOD, "--spotify-album-id", "4aawyAB9vmqN3uQ7FjRGT!"], "spotify-album-id",
                 id="album-bad-char"),
    pytest.param([*GOOD, "--spotify-artist-id", "x" * 23], "spotify-artist-id", id="artist-id"),
    pytest.param([*GOOD, "--upc", "602445790128", "--isrc", "USAB12400001"], "release",
                 id="two-identifiers"),
    pytest.param([*GOOD, "--colour", "red"], "--colour", id="unknown-flag"),
    pytest.param([*GOOD, "--upc"], "--upc", id="flag-without-value"),
]  # fmt: skip


@pytest.mark.parametrize("code", ["602445790128", "0602445790128", "00602445790128"])
def test_upc_of_12_13_or_14_digits_is_kept_as_given(
    env: Settings, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    status, out, err = run(capsys, "campaign", "create", *GOOD, "--upc", code, "--json")
    assert status == 0, err
    assert json.loads(out)["release"]["upc"] == code


@pytest.mark.parametrize(("argv", "field"), BAD)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    env: Settings, capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    code, out, err = run(capsys, "campaign", "create", *argv)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"error: {field}: "), lines[0]
    assert "Traceback" not in err and "usage:" not in err
    assert counts(env) == (0, 0)


def test_keyword_taken_by_an_open_campaign_case_insensitively(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "campaign", "create", *GOOD)[0] == 0
    before = counts(env)
    code, _, err = run(capsys, "campaign", "create", *replace("--keyword", "BLOOM"))
    assert code == 2
    assert err.startswith("error: keyword: BLOOM is already used")
    assert counts(env) == before


def test_show_unknown_slug(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "campaign", "show", "nope", "--json")
    assert (code, out) == (2, "")
    assert err.startswith("error: slug: ")


def test_console_script_prints_one_line_and_no_traceback(env: Settings) -> None:
    script = Path(sys.executable).with_name("presave")
    result = subprocess.run(
        [str(script), "campaign", "create", *replace("--keyword", "stop")],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: keyword: STOP is a reserved SMS word (STOP, HELP, START, ...); pick another"
    ]
    assert counts(env) == (0, 0)
