"""Spreadsheet cells: the one place that knows about formula injection.

A CSV cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula
by Excel and LibreOffice. Exports prefix such a cell with an apostrophe (OWASP's advice);
imports take exactly that apostrophe off again, so export → import changes nothing.
XLSX exports write every text as a string cell, which no spreadsheet evaluates.
"""
from __future__ import annotations

from datetime import date, datetime

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _dangerous(text: str) -> bool:
    return text.startswith(FORMULA_START)


def neutralise(text: str) -> str:
    """The text as it is safe to write into a CSV cell."""
    if _dangerous(text) or (text.startswith("'") and _dangerous(text.lstrip("'"))):
        return "'" + text
    return text


def restore(text: str) -> str:
    """Undo `neutralise`: the apostrophe it added comes off, nothing else changes."""
    if text.startswith("'") and _dangerous(text.lstrip("'")):
        return text[1:]
    return text


def plain(value: object) -> str:
    """A cell's value as text: whole numbers without '.0', dates as ISO dates, None as ''."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if (value.hour, value.minute, value.second) == (0, 0, 0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
