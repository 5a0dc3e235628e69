"""The command line against hostile input: template escapes and bombs, out-of-range ids,
undecodable arguments, invisible or reordering characters, past release times and empty
lists. Each is one `error:` line and exit 2, with nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Campaign, ScheduledMessage
from core.settings import Settings
from core.timeutil import utcnow
from tests.factories import make_campaign
from tests.integration.cli_helpers import env, run

__all__ = ["env"]  # a fixture: imported for pytest to find

LATER = (utcnow() + timedelta(days=30)).replace(microsecond=0).isoformat()
CREATE = ["campaign", "create", "--keyword", "bloom", "--release-at", LATER]


def rows(db: Session, table: type[Campaign] | type[ScheduledMessage]) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(table)) or 0)


def one_error(code: int, out: str, err: str, field: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr naming `field`."""
    assert code == 2, (code, out, err)
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"error: {field}: "), err
    assert "Traceback" not in err


ESCAPES = [
    pytest.param("{{ ''.__class__ }}", id="dunder-class"),
    pytest.param("{{ title.__class__.__mro__ }}", id="dunder-mro"),
    pytest.param("{{ title.format_map }}{{ '{0.__class__}'.format(title) }}", id="str-format"),
    pytest.param("{{ range(10**9)|list|length }}", id="huge-range"),
    pytest.param("{{ 'x' * 5000 }}", id="long-output"),
    pytest.param("{{ title|center(100000) }}", id="huge-filter-argument"),
    pytest.param("{{ 1 / 0 }}", id="division-by-zero"),
    pytest.param("{{ 2 ** 100000000 }}", id="huge-power"),
    pytest.param("{{ '%s' % title }}", id="percent-format"),
]


@pytest.mark.parametrize("text", ESCAPES)
def test_a_template_that_escapes_or_explodes_is_one_error_line(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    campaign = make_campaign(db)
    code, out, err = run(
        capsys, "schedule", "add", campaign.slug, "--template", "countdown-1d", "--text", text
    )
    one_error(code, out, err, "text")
    assert rows(db, ScheduledMessage) == 0
    code, out, err = run(
        capsys, "templates", "preview", "countdown-1d", "--campaign", campaign.slug, "--text", text
    )
    one_error(code, out, err, "text")


HANGS = [
    pytest.param(
        "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
        id="nested-ranges",
    ),
    pytest.param(
        "{% for a in title %}{% for b in title %}{% for c in title %}{% for d in title %}"
        "{% for e in title %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}",
        id="nested-loops-over-text",
    ),
    pytest.param(
        "{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", id="recursive-macro"
    ),
]


@pytest.mark.parametrize("text", HANGS)
def test_a_template_that_would_run_for_ever_is_stopped(
    env: Settings, db: Session, text: str
) -> None:
    """Run as a shell would (a hang fails on the timeout instead of blocking the suite)."""
    campaign = make_campaign(db, title="A" * 200)
    script = Path(sys.executable).with_name("presave")
    argv = [str(script), "schedule", "add", campaign.slug, "--template", "countdown-1d"]
    result = subprocess.run(
        [*argv, "--text", text],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=30,
        check=False,
    )
    one_error(result.returncode, result.stdout, result.stderr, "text")
    assert rows(db, ScheduledMessage) == 0


@pytest.mark.parametrize("bad", ["99999999999999999999", "9223372036854775808", "-1", "²", "1e3"])
def test_schedule_cancel_out_of_range_id(
    env: Settings, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    one_error(*run(capsys, "schedule", "cancel", bad), "id")


def test_an_argument_that_is_not_utf8_is_one_error_line(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    undecodable = b"Mira \xff\xfe Vale".decode("utf-8", "surrogateescape")  # as Python gives argv
    argv = [*CREATE, "--artist", undecodable, "--title", "Night Bloom"]
    one_error(*run(capsys, *argv), "--artist")
    one_error(*run(capsys, "campaign", "show", undecodable), "slug")
    assert rows(db, Campaign) == 0


def test_an_undecodable_argument_through_the_console_script(env: Settings, db: Session) -> None:
    script = Path(sys.executable).with_name("presave")
    argv = [str(script).encode(), *(a.encode() for a in CREATE)]
    argv += [b"--artist", b"Mira Vale", b"--title", b"Night \xff Bloom"]
    result = subprocess.run(
        argv, capture_output=True, env=dict(os.environ), timeout=60, check=False
    )
    one_error(result.returncode, result.stdout.decode(), result.stderr.decode(), "--title")
    assert rows(db, Campaign) == 0


NAMES = [
    pytest.param("Mira\x07Vale", id="bell"),
    pytest.param("Mira\x1b[31mVale", id="escape-sequence"),
    pytest.param("Mira\x00Vale", id="nul"),
    pytest.param("Mira\u202eelaV", id="right-to-left-override"),
    pytest.param("\u2066Mira\u2069", id="bidi-isolate"),
    pytest.param("\u200b\u200b", id="zero-width-only"),
    pytest.param("\u2063\ufeff\u3164", id="invisible-only"),
    pytest.param("Mira\u2028Vale", id="line-separator"),
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("flag", ["--artist", "--title"])
def test_artist_and_title_refuse_control_bidi_and_invisible_text(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str], flag: str, name: str
) -> None:
    values = {"--artist": "Mira Vale", "--title": "Night Bloom", flag: name}
    argv = [*CREATE, "--artist", values["--artist"], "--title", values["--title"]]
    one_error(*run(capsys, *argv), flag)
    assert rows(db, Campaign) == 0


def test_names_in_other_scripts_and_emoji_are_kept(
    env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    title = "خوشحالم \u200c 👩\u200d🎤"  # Persian with a ZWNJ, an emoji sequence with a ZWJ
    code, out, err = run(capsys, *CREATE, "--artist", "Björk", "--title", title, "--json")
    assert code == 0, err
    assert json.loads(out)["title"] == title


def test_a_release_time_in_the_past_needs_force(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    past = (utcnow() - timedelta(days=2)).replace(microsecond=0).isoformat()
    argv = ["campaign", "create", "--artist", "A", "--title", "T", "--keyword", "bloom"]
    code, out, err = run(capsys, *argv, "--release-at", past)
    one_error(code, out, err, "release-at")
    assert "--force" in err
    assert rows(db, Campaign) == 0
    code, out, err = run(capsys, *argv, "--release-at", past, "--force", "--json")
    assert code == 0, err
    assert json.loads(out)["release_at"] == past


def test_empty_channels_is_an_error(
    env: Settings, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    campaign = make_campaign(db)
    for empty in ("", " ", ","):
        code, out, err = run(
            capsys, "schedule", "add", campaign.slug, "--template", "countdown-1d",
            "--channels", empty,
        )  # fmt: skip
        one_error(code, out, err, "--channels")
    assert rows(db, ScheduledMessage) == 0
