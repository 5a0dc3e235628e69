"""Jobs and bot fronts only wire: the database work and the decisions live in core.

A job loads settings, takes its Redis connection, builds what is the worker's side (the
provider's clients, the shared rate limiter), calls one core function and queues what it
says. A bot front parses what came in, calls core, and answers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IMPORTS = ("sqlalchemy", "core.models")
FORBIDDEN_CALLS = {"add", "delete", "execute", "scalar", "scalars", "flush", "commit", "query"}
MAX_JOB_STATEMENTS = 15
# The modules RQ runs job functions from (workers.runner.JOB_MODULES).
JOB_MODULES = (
    "fanout", "release_jobs", "jobs", "schedule_jobs", "send_jobs", "discord_jobs", "reconcile"
)  # fmt: skip
# Nothing is exempt from the import check any more.
PENDING_WORKERS: set[str] = set()
PENDING_BOT: set[str] = set()
# The sending loops still longer than a job should be (the worker's side of a send: slots
# of the shared limiter, threads, the provider's answers mapped to outcomes). Each may not
# grow past its size here; moving their decisions into core is the work left.
LONG_SEND_LOOPS = {
    ("send_jobs", "_record"): 19,
    ("send_jobs", "send_deliveries"): 39,
    ("discord_jobs", "_grant_outcome"): 21,
    ("discord_jobs", "grant_roles"): 38,
    ("discord_jobs", "post_announcements"): 29,
    ("discord_jobs", "_post_failed"): 20,
    ("reconcile", "_settle_kind"): 22,
}


def sources(folder: str, pending: set[str]) -> list[Path]:
    return sorted(
        p for p in (ROOT / folder).glob("*.py") if p.stem != "__init__" and p.stem not in pending
    )


def job_modules() -> list[Path]:
    return [ROOT / "workers" / f"{name}.py" for name in JOB_MODULES if name not in PENDING_WORKERS]


def forbidden_imports(tree: ast.Module) -> list[str]:
    """Imports of the database layer; a `Session` type annotation is allowed."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = {alias.name for alias in node.names}
            if node.module == "sqlalchemy.orm" and names == {"Session"}:
                continue  # the type of a session a front passes on to a service
            if node.module.startswith(FORBIDDEN_IMPORTS):
                found.append(node.module)
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith(FORBIDDEN_IMPORTS)]
    return found


def fat_functions(tree: ast.Module, module: str = "") -> list[tuple[str, str]]:
    """(function, why) for each function that is long or calls the session itself."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        statements = sum(isinstance(n, ast.stmt) for n in ast.walk(node)) - 1
        if statements > LONG_SEND_LOOPS.get((module, node.name), MAX_JOB_STATEMENTS):
            found.append((node.name, f"{statements} statements"))
        methods = [
            n.func.attr
            for n in ast.walk(node)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
        ]
        found += [(node.name, f".{m}()") for m in methods if m in FORBIDDEN_CALLS]
    return found


@pytest.mark.parametrize("path", sources("workers", PENDING_WORKERS), ids=lambda p: p.name)
def test_workers_do_not_import_the_database_layer(path: Path) -> None:
    assert forbidden_imports(ast.parse(path.read_text())) == [], path.name


@pytest.mark.parametrize("path", job_modules(), ids=lambda p: p.name)
def test_job_functions_are_short_and_call_no_session_methods(path: Path) -> None:
    assert fat_functions(ast.parse(path.read_text()), path.stem) == [], path.name


@pytest.mark.parametrize("path", sources("bot", PENDING_BOT), ids=lambda p: p.name)
def test_bot_fronts_do_not_import_the_database_layer(path: Path) -> None:
    assert forbidden_imports(ast.parse(path.read_text())) == [], path.name


def test_the_pending_modules_exist() -> None:
    """A pending name that no longer exists is stale: take it out of the set."""
    for name in PENDING_WORKERS:
        assert (ROOT / "workers" / f"{name}.py").exists(), name
    for name in PENDING_BOT:
        assert (ROOT / "bot" / f"{name}.py").exists(), name


def test_the_checker_sees_a_fat_job() -> None:
    """The checks above can fail: a job that queries the session itself is caught."""
    fat = ast.parse(
        "from sqlalchemy import select\n"
        "def job(ids):\n"
        "    with transaction(url) as session:\n"
        "        rows = session.scalars(select(Fan))\n"
        "        session.add(Fan())\n" + "    x = 1\n" * MAX_JOB_STATEMENTS
    )
    assert forbidden_imports(fat) == ["sqlalchemy"]
    why = {reason for _, reason in fat_functions(fat)}
    assert why == {".scalars()", ".add()", f"{MAX_JOB_STATEMENTS + 3} statements"}
