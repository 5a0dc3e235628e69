"""Imports point inward (DESIGN.md): core imports none of web, bot, workers; web and bot
import nothing of workers but its public job entry points (workers.entry); workers imports
none of web, bot, cli; messages imports nothing of ours."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "core": {"web", "bot", "workers", "cli", "sandbox", "bench"},
    "web": {"workers", "cli", "sandbox", "bench"},
    "bot": {"web", "workers", "cli", "sandbox", "bench"},
    "workers": {"web", "bot", "cli", "sandbox", "bench"},
    "messages": {"core", "web", "bot", "workers", "cli", "sandbox", "bench"},
}


# web and bot queue jobs by naming them: workers.entry, and nothing else of workers.
ALLOWED = {"workers.entry"}
# Left to move: the inbound-replay job answers kept texts through bot.sms_backlog until
# that use case moves into core (issue 17, thin edges). Remove the line with the import.
NOT_YET_MOVED = {"workers/jobs.py imports bot"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
            names.add(node.module)
    return names


def _imported_packages(path: Path) -> set[str]:
    """Top-level packages imported, leaving out the allowed entry points."""
    modules = _imported_modules(path)
    allowed = {m for m in modules if m in ALLOWED}
    # `from workers import entry` names "workers" and "workers.entry": only the latter counts.
    parents = {".".join(m.split(".")[:-1]) for m in allowed}
    return {m.split(".")[0] for m in modules - allowed - parents if not _under(m, allowed)}


def _under(module: str, allowed: set[str]) -> bool:
    return any(module.startswith(a + ".") for a in allowed)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_inward(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in _imported_packages(path) & FORBIDDEN[package]
    }
    assert not wrong - NOT_YET_MOVED, sorted(wrong - NOT_YET_MOVED)


def test_only_the_entry_points_are_allowed(tmp_path: Path) -> None:
    ok = tmp_path / "ok.py"
    ok.write_text("from workers import entry\nimport workers.entry\n")
    assert _imported_packages(ok) == set()
    wrong = tmp_path / "wrong.py"
    wrong.write_text("from workers import entry, send_jobs\n")
    assert _imported_packages(wrong) == {"workers"}
    deep = tmp_path / "deep.py"
    deep.write_text("from workers.enqueue import enqueue\n")
    assert _imported_packages(deep) == {"workers"}
