"""The message sandbox bounds a render's steps, time and size (messages/sandbox.py)."""

from __future__ import annotations

import pytest

from messages import MessageTemplateError, render_string, sandbox


def refused(source: str, **context: object) -> str:
    with pytest.raises(MessageTemplateError) as info:
        render_string(source, **context)
    return info.value.reason


def test_loops_count_every_item_and_stop_past_the_step_budget() -> None:
    nested = "{% for a in t %}{% for b in t %}{% for c in t %}{% endfor %}{% endfor %}{% endfor %}"
    assert "steps" in refused(nested, t="x" * 200)
    assert render_string(nested, t="x" * 20) == ""  # 8,000 items pass
    assert render_string(nested, t="x" * 20) == ""  # the budget is per render


def test_a_macro_that_fans_out_is_stopped() -> None:
    source = (
        "{% macro f(n) %}{% if n < 16 %}{{ f(n + 1) }}{{ f(n + 1) }}{% endif %}{% endmacro %}"
        "{{ f(0) }}"
    )
    assert "steps" in refused(source)


def test_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "TIME_LIMIT", -1.0)  # the deadline has passed at the first step
    assert "seconds" in refused("{% for c in 'abc' %}{{ c }}{% endfor %}")
    assert render_string("no step here") == "no step here"


def test_values_and_output_are_bounded() -> None:
    assert "characters" in refused("{{ 'x' * 5000 }}")
    assert "characters" in refused("{{ t }}{{ t }}", t="y" * 3000)  # each fine, together not
    assert "number argument" in refused("{{ range(100000)|length }}")
    assert "number argument" in refused("{{ t|center(100000) }}", t="x")
    assert "number argument" in refused("{{ t.ljust(100000) }}", t="x")
    assert "bits" in refused("{{ 2 ** 100000000 }}")
    assert "bits" in refused("{{ (2 ** 4000) * (2 ** 4000) }}")
    assert "characters" in refused("{{ t|replace('', t)|replace('', t) }}", t="z" * 100)
    assert (
        render_string("{{ range(3)|join(',') }} {{ 'ab' * 2 }} {{ 2 ** 10 }}") == "0,1,2 abab 1024"
    )


def test_formatting_growth_and_mutation_are_refused() -> None:
    assert "% formatting" in refused("{{ '%99999s' % 'x' }}")
    assert "str.format" in refused("{{ '{:>99999}'.format('x') }}")
    assert "namespace" in refused("{% set ns = namespace(x='a') %}{{ ns.x }}")
    assert "unsafe" in refused("{% set l = [1] %}{{ l.extend(l) }}")
    with pytest.raises(MessageTemplateError) as info:
        render_string("{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}")
    assert "recursive" in info.value.reason


def test_python_errors_in_a_template_are_message_template_errors() -> None:
    assert "ZeroDivisionError" in refused("{{ 1 / 0 }}")
