"""Running the `presave` command line in-process, as a shell would."""

from __future__ import annotations

from pathlib import Path

import pytest

import cli
from core.settings import Settings


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """Point the CLI at the test settings through the environment, as a shell would."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESAVE_ENV", "test")
    monkeypatch.setenv("INSTANCE_PATH", str(settings.instance_path))
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PUBLIC_URL", settings.public_url)
    return settings


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `presave ARGV`."""
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err
