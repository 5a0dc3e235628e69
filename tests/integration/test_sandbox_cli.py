"""`presave sandbox text|messages`: bad input and a missing sandbox are one error line."""

from __future__ import annotations

import pytest

from core.settings import Settings
from tests.integration.cli_helpers import env, run
from tests.integration.sandbox_fixtures import Running, sandbox

__all__ = ["env", "sandbox"]


def test_without_a_running_sandbox(env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "sandbox", "text", "+14155550101", "DROP")
    assert (code, err.strip()) == (
        1,
        "error: sandbox: not running: start it with `presave up` (or `make run`)",
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (("text", "4155550101", "DROP"), "error: phone: a number in E.164 form, e.g. +14155550101"),
        (("text", "+14155550101", "  "), "error: text: 1 to 1600 characters"),
        (("messages", "+1"), "error: phone: a number in E.164 form, e.g. +14155550101"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    env: Settings,
    sandbox: Running,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    line: str,
) -> None:
    monkeypatch.setenv("PRESAVE_SANDBOX_URL", sandbox.base)
    code, _out, err = run(capsys, "sandbox", *argv)
    assert (code, err.strip()) == (2, line)


def test_a_text_with_no_webhook_set_is_the_sandbox_s_reason(
    env: Settings,
    sandbox: Running,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PRESAVE_SANDBOX_URL", sandbox.base)
    code, _out, err = run(capsys, "sandbox", "text", "+14155550101", "DROP")
    assert code == 2
    assert err.strip() == "error: sandbox: url: no SMS webhook is set (the twilio_sms_url knob)"
    code, out, _err = run(capsys, "sandbox", "messages", "+14155550101")
    assert code == 0
    assert out.strip() == "no messages to or from +14155550101 yet"  # nothing half-written
