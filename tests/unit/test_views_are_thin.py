"""Views only parse and render: no database, no provider, no business rule in web/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
FORBIDDEN_IMPORTS = ("sqlalchemy", "core.models", "twilio.rest", "spotipy", "requests")
FORBIDDEN_CALLS = {"add", "delete", "execute", "scalar", "scalars", "flush", "commit", "query"}
MAX_VIEW_STATEMENTS = 15


def modules() -> list[Path]:
    """Every Python file under web/, packages included (web/artist/...)."""
    return sorted(p for p in WEB.rglob("*.py") if p != WEB / "__init__.py")


def name(path: Path) -> str:
    return str(path.relative_to(WEB))


def views(tree: ast.Module) -> list[ast.FunctionDef]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr in {
                    "get", "post", "route", "put", "patch", "delete"
                }:  # fmt: skip
                    found.append(node)
    return found


@pytest.mark.parametrize("path", modules(), ids=name)
def test_web_modules_do_not_touch_the_database_or_providers(path: Path) -> None:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module == "sqlalchemy.orm" and names == {"Session"}:
                continue  # a type annotation for the session the view passes to a service
            assert not node.module.startswith(FORBIDDEN_IMPORTS), (path.name, node.module)
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith(FORBIDDEN_IMPORTS), (path.name, alias.name)


@pytest.mark.parametrize("path", modules(), ids=name)
def test_view_functions_are_short_and_call_no_session_methods(path: Path) -> None:
    for view in views(ast.parse(path.read_text())):
        statements = sum(isinstance(n, ast.stmt) for n in ast.walk(view)) - 1
        assert statements <= MAX_VIEW_STATEMENTS, (path.name, view.name, statements)
        for node in ast.walk(view):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert node.func.attr not in FORBIDDEN_CALLS, (path.name, view.name, node.func.attr)


def test_modules_in_subpackages_are_checked() -> None:
    """The artist app lives in web/artist/: its views are held to the same rules."""
    assert {"artist/auth.py", "artist/campaigns.py"} <= {name(p) for p in modules()}


def test_the_checker_sees_a_fat_view() -> None:
    """The check above can fail: a view that queries the session is caught."""
    fat = ast.parse("@bp.post('/x')\ndef v():\n    session.add(Fan())\n    session.commit()\n")
    calls = [
        n.func.attr
        for v in views(fat)
        for n in ast.walk(v)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    ]
    assert set(calls) & FORBIDDEN_CALLS == {"add", "commit"}
