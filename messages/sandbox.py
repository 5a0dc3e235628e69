"""The Jinja2 sandbox messages render in, bounded in steps, time and size.

Jinja2's SandboxedEnvironment stops escapes (`''.__class__`), not work: nested loops,
`range(10**9)`, `'x' * 10**9`, `9**9**9` or a macro calling itself twice run for ever or fill
the memory. A render cannot be stopped from outside safely: a thread cannot be killed,
SIGALRM works only in the main thread (workers and web requests render in others), and a
subprocess per message is far too slow for a broadcast that renders once per fan. So the
limit is cooperative and checked inside the render:

- every step a template can repeat passes a check that counts it and reads the clock: each
  item of a `for` loop (the parsed loop's iterable is wrapped), each call (macros included)
  and each filter; past MAX_STEPS steps or TIME_LIMIT seconds the render stops;
- no value a template makes may be larger than MAX_SIZE characters or items: number
  arguments of calls and filters (a width, a count, a range bound) are refused above it
  before the call, results are checked after it, `*` and `**` are checked before computing;
- `%` and str.format on text are refused (a format width allocates before any check), loops
  may not be recursive, and only `range` is a global (no namespace(), which could grow a
  value in a loop); lists and dicts cannot be changed (ImmutableSandboxedEnvironment);
- the output is collected piece by piece and stops past MAX_SIZE characters (an SMS is at
  most 10 segments, a Discord message 2,000 characters).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_STEPS = 10_000  # loop items, calls and filters in one render
TIME_LIMIT = 0.5  # seconds for one render
MAX_SIZE = 4_000  # characters or items of any value, and of the output
MAX_BITS = 4_096  # the size of an integer a template computes
_SIZED = (str, bytes, list, tuple, dict, set, frozenset, range)


class TemplateLimit(SecurityError):
    """A template went past a limit of the message sandbox."""


@dataclass
class _Budget:
    steps: int
    deadline: float


_budget: ContextVar[_Budget | None] = ContextVar("message_render_budget", default=None)


@contextmanager
def budget() -> Iterator[None]:
    """The steps and time one render may take (limits apply only inside one)."""
    token = _budget.set(_Budget(MAX_STEPS, time.monotonic() + TIME_LIMIT))
    try:
        yield
    finally:
        _budget.reset(token)


def step() -> None:
    """Count one step of the current render; TemplateLimit past its steps or its time."""
    current = _budget.get()
    if current is None:
        return
    current.steps -= 1
    if current.steps < 0:
        raise TemplateLimit(f"more than {MAX_STEPS} steps (loop items, calls, filters)")
    if time.monotonic() > current.deadline:
        raise TemplateLimit(f"took more than {TIME_LIMIT} seconds")


def sized(value: Any) -> Any:
    """The value, unless it is larger than a message may hold."""
    if isinstance(value, _SIZED) and len(value) > MAX_SIZE:
        raise TemplateLimit(f"a value of more than {MAX_SIZE} characters or items")
    if isinstance(value, int) and value.bit_length() > MAX_BITS:
        raise TemplateLimit(f"a number of more than {MAX_BITS} bits")
    return value


def _numbers(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
            raise TemplateLimit(f"a number argument above {MAX_SIZE}")


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that counts as a step, takes bounded numbers and makes a bounded value."""
    skip = 2 if getattr(fn, "jinja_pass_arg", None) is not None else 1  # the value (and env)

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        step()
        _numbers([*args[skip:], *kwargs.values()])
        return sized(fn(*args, **kwargs))

    return run


def _range(*args: int) -> range:
    """range() up to MAX_SIZE items."""
    _numbers(args)
    return sized(range(*args))  # type: ignore[no-any-return]


def _refuse_format(*_args: Any, **_kwargs: Any) -> str:
    raise TemplateLimit("str.format is not available in a message; write {{ value }}")


class MessageSandbox(ImmutableSandboxedEnvironment):
    """A sandbox whose every render is bounded (see the module's docstring)."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals = {"range": _range}
        self.filters = {name: _guarded(fn) for name, fn in self.filters.items()}

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Parse, then wrap every loop's iterable so that each item counts as a step."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            if loop.recursive:
                raise TemplateSyntaxError("recursive loops are not available", loop.lineno)
            counted = nodes.EnvironmentAttribute("counted", lineno=loop.lineno)
            loop.iter = nodes.Call(counted, [loop.iter], [], None, None, lineno=loop.lineno)
        return tree

    @staticmethod
    def counted(items: Iterable[Any]) -> Iterator[Any]:
        """The items of a loop, one step each."""
        for item in items:
            step()
            yield item

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """`*`, `**`, `%` and `+`, refused before they would make a value too large."""
        step()
        if operator == "%" and isinstance(left, str):
            raise TemplateLimit("% formatting is not available in a message; write {{ value }}")
        if operator in ("*", "**") and isinstance(left, int) and isinstance(right, int):
            bits = abs(left).bit_length()
            size = bits * right if operator == "**" else bits + abs(right).bit_length()
            if size > MAX_BITS and abs(left) > 1:
                raise TemplateLimit(f"a number of more than {MAX_BITS} bits")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (
                    isinstance(seq, _SIZED)
                    and isinstance(times, int)
                    and len(seq) * times > MAX_SIZE
                ):
                    raise TemplateLimit(f"a value of more than {MAX_SIZE} characters or items")
        return sized(super().call_binop(context, operator, left, right))

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        """A call from a template: one step, bounded numbers in, a bounded value out."""
        step()
        _numbers([*args, *kwargs.values()])
        return sized(super().call(context, obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """str.format and str.format_map are refused (a width allocates before a check)."""
        return _refuse_format if super().wrap_str_format(value) is not None else None
