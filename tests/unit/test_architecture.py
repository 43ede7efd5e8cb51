"""The one-way flow bot → commands → knowledge, and only bot/ imports matrix-nio."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "knowledge": {"bot", "commands", "nio"},
    "commands": {"bot", "nio"},
}


def imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_imports_flow_one_way():
    violations = []
    for package, forbidden in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            bad = imported_top_levels(path) & forbidden
            if bad:
                violations.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert violations == []


def test_only_storage_imports_sqlalchemy():
    offenders = [
        str(p.relative_to(ROOT))
        for package in ("bot", "commands", "knowledge")
        for p in (ROOT / package).rglob("*.py")
        if "sqlalchemy" in imported_top_levels(p) and "storage" not in p.parts
    ]
    assert offenders == []


def test_the_guard_itself_sees_a_violation(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from bot.matrix import MatrixClient\nimport nio\n")
    assert {"bot", "nio"} <= imported_top_levels(sample)
