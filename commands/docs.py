"""The README's command table, generated from the command declarations.

    python -m commands.docs            print the table
    python -m commands.docs --write    replace it in README.md (between the markers)
"""
from __future__ import annotations

import sys
from pathlib import Path

from commands import build_registry

START, END = "<!-- commands:start -->", "<!-- commands:end -->"
ROLE = {"MEMBER": "everyone", "COORDINATOR": "coordinators", "ADMIN": "admins"}


def markdown_table(prefix: str = "!") -> str:
    rows = ["| German | English | what it does | who |", "|---|---|---|---|"]
    for command in build_registry().commands:
        de = f"`{command.usage('de', prefix)}`"
        en = f"`{command.usage('en', prefix)}`"
        rows.append(f"| {de} | {en} | {command.help['en']} | {ROLE[command.permission.name]} |")
    return "\n".join(rows)


def replace_in(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{markdown_table()}\n{END}{tail}"


if __name__ == "__main__":
    readme = Path(__file__).resolve().parent.parent / "README.md"
    if "--write" in sys.argv:
        readme.write_text(replace_in(readme.read_text()))
    else:
        print(markdown_table())
