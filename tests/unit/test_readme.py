"""The README stays true: its command table is the one the declarations generate,
and CI runs exactly the README's test command."""
from __future__ import annotations

from pathlib import Path

from commands.docs import END, START, markdown_table

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_command_table_matches_the_declarations():
    readme = (ROOT / "README.md").read_text()
    table = readme.split(START)[1].split(END)[0].strip()
    assert table == markdown_table(), "run: python -m commands.docs --write"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "python3 tasks.py test" in readme
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert "python3 tasks.py test" in ci
