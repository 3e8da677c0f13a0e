"""The risk domain has one door: other domains reach it through ``risk/service.py`` only."""

from __future__ import annotations

import ast
from pathlib import Path

import onewindow
from onewindow.risk import service

SOURCE = Path(onewindow.__file__).parent
RISK = SOURCE / "risk"
# What the rest of the application may name besides the door: the tables (for Alembic), the
# learned model, the routes, the pages and the command group.
OPEN = {"service", "models", "model", "api", "pages", "cli", "schemas"}


def _risk_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("onewindow.risk."):
                found.add(node.module.split(".")[2])
            elif node.module == "onewindow.risk":
                found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {
                alias.name.split(".")[2]
                for alias in node.names
                if alias.name.startswith("onewindow.risk.")
            }
    return found


def test_no_other_domain_imports_the_rooms_behind_the_door() -> None:
    offenders = {
        str(path.relative_to(SOURCE)): sorted(_risk_imports(path) - OPEN)
        for path in SOURCE.rglob("*.py")
        if RISK not in path.parents
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_door_exports_what_it_names() -> None:
    assert all(hasattr(service, name) for name in service.__all__)
    assert len(set(service.__all__)) == len(service.__all__)
