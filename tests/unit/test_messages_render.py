"""Tests for messages.render."""

import pytest
from jinja2.exceptions import SecurityError, TemplateNotFound, UndefinedError

from messages import MessageTemplateError, render, render_string, template_names

COUNTDOWN = {
    "artist": "Nova",
    "title": "Glass & Steel",
    "time_left": "2 hours",
    "link": "https://x.test/d",
}


def test_render_fills_context() -> None:
    """The example template renders on one line with every value in place."""
    text = render("example_countdown", **COUNTDOWN)
    assert text == 'Nova - "Glass & Steel" drops in 2 hours. https://x.test/d'


def test_missing_variable_names_template_and_variable() -> None:
    """A missing context variable raises an error naming it."""
    context = {k: v for k, v in COUNTDOWN.items() if k != "link"}
    with pytest.raises(MessageTemplateError) as info:
        render("example_countdown", **context)
    assert info.value.name == "example_countdown"
    assert "'link'" in info.value.reason
    assert "example_countdown" in str(info.value)
    assert isinstance(info.value.__cause__, UndefinedError)


def test_missing_template() -> None:
    """An unknown template name raises an error naming the template."""
    with pytest.raises(MessageTemplateError) as info:
        render("no_such_message")
    assert info.value.name == "no_such_message"
    assert "not found" in info.value.reason
    assert isinstance(info.value.__cause__, TemplateNotFound)


def test_path_traversal_is_not_found() -> None:
    """A name climbing out of the templates folder is refused."""
    with pytest.raises(MessageTemplateError):
        render("../templates/example_countdown", **COUNTDOWN)


def test_sandbox_blocks_dunder_attributes() -> None:
    """Underscore attribute access raises a wrapped SecurityError."""
    with pytest.raises(MessageTemplateError) as info:
        render_string("{{ ''.__class__.__mro__ }}")
    assert info.value.name == "<string>"
    assert isinstance(info.value.__cause__, SecurityError)


def test_syntax_error_is_wrapped() -> None:
    """A malformed artist template raises MessageTemplateError."""
    with pytest.raises(MessageTemplateError):
        render_string("Hi {{ name ")


def test_render_string_missing_variable() -> None:
    """Artist templates are strict about undefined variables too."""
    with pytest.raises(MessageTemplateError) as info:
        render_string("Hi {{ fan_name }}")
    assert "'fan_name'" in info.value.reason


def test_no_autoescape() -> None:
    """Plain text output keeps HTML-special characters as written."""
    assert render_string("{{ s }}", s='<b> & "q"') == '<b> & "q"'


def test_whitespace_is_tidied() -> None:
    """Output is stripped and runs of 3+ newlines collapse to 2."""
    source = "  \nHi {{ n }}\n\n\n\nBye\n \n\t\nEnd\n\nLast\n\n"
    assert render_string(source, n="x") == "Hi x\n\nBye\n\nEnd\n\nLast"


def test_block_tags_leave_no_blank_lines() -> None:
    """trim_blocks and lstrip_blocks remove block tag lines entirely."""
    source = "Start\n  {% if vip %}\nVIP early access\n  {% endif %}\nEnd\n"
    assert render_string(source, vip=True) == "Start\nVIP early access\nEnd"
    assert render_string(source, vip=False) == "Start\nEnd"


def test_template_names_lists_txt_files_only() -> None:
    """template_names has example_countdown, sorted, without README."""
    names = template_names()
    assert "example_countdown" in names
    assert names == sorted(names)
    assert all(not name.endswith((".txt", ".md")) for name in names)


def test_render_string_compiles_a_source_once() -> None:
    """A broadcast renders one source per fan: it is compiled on the first fan only."""
    from messages.render import _compiled

    source = "Hi {{ n }}, compiled once?"
    before = _compiled.cache_info()
    assert [render_string(source, n=n) for n in ("a", "b", "c")] == [
        "Hi a, compiled once?",
        "Hi b, compiled once?",
        "Hi c, compiled once?",
    ]
    after = _compiled.cache_info()
    assert after.misses - before.misses == 1
    assert after.hits - before.hits == 2


def test_a_source_that_fails_to_compile_fails_every_time() -> None:
    """A syntax error is not cached as a success: the second try raises too."""
    for _ in range(2):
        with pytest.raises(MessageTemplateError):
            render_string("Hi {{ name ")
