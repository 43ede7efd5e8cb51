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
    """One row per command and per subcommand, with the permission each one declares."""
    rows = ["| German | English | what it does | who |", "|---|---|---|---|"]
    for command in build_registry().commands:
        parts = ([(command, None)] if command.handler is not None else []) + [(sub, command) for sub in command.subcommands]
        for part, parent in parts:
            de = f"`{part.usage('de', prefix, parent)}`"
            en = f"`{part.usage('en', prefix, parent)}`"
            rows.append(f"| {de} | {en} | {part.help['en']} | {ROLE[part.permission.name]} |")
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
