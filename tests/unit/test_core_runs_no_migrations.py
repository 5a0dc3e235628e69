"""Core defines the schema; running Alembic over it is the CLI's (cli/migrate.py).

(The lead may fold this into test_import_direction.FORBIDDEN["core"] once merged.)"""

from __future__ import annotations

from tests.unit.test_import_direction import ROOT, _imported_packages


def test_core_imports_neither_migrations_nor_alembic() -> None:
    wrong = sorted(
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / "core").rglob("*.py")
        for name in _imported_packages(path) & {"migrations", "alembic"}
    )
    assert not wrong, wrong
