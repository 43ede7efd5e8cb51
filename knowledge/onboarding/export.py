"""The directory and the decisions as .xlsx and .csv, in the columns the importers read back.

Headers in the reader's language (German: "Funktion", "Träger", …); lists joined with "; ";
dates as ISO dates; CSV in UTF-8 with BOM (Excel opens it with umlauts intact), ";"-separated
for German and ","-separated for English, every cell neutralised against formula injection;
XLSX with every value a text cell, so nothing in it is ever evaluated.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from knowledge.directory.model import RoleEntry
from knowledge.onboarding import decisions, directory
from knowledge.onboarding.cells import neutralise
from knowledge.onboarding.tables import Column
from knowledge.register.model import Entry
from knowledge.values import Scope

YES_NO = {"de": ("ja", "nein"), "en": ("yes", "no")}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def directory_rows(entries: Iterable[RoleEntry], lang: str) -> Iterable[list[str]]:
    for e in entries:
        row = []
        for column in directory.EXPORTED:
            value: object = getattr(e, column.field)
            if column.field == "status":
                value = directory.STATUS_LABELS[lang][e.status]
            elif column.field == "visibility":
                value = directory.VISIBILITY_LABELS[lang][e.visibility]
            row.append(_text(value))
        yield row


def _scope_text(scope: Scope) -> str:
    if scope.is_network:
        return "alle"
    return scope.hf_id or scope.serialise()  # another room's scope as stored: room:<id>


def decision_rows(entries: Sequence[Entry], lang: str, zone: ZoneInfo) -> Iterable[list[str]]:
    keys = {e.short_id: e.external_id or e.short_id for e in entries}
    yes, no = YES_NO[lang]
    for e in entries:
        values = {
            "id": e.external_id or e.short_id, "kind": decisions.KIND_LABELS[lang][e.kind],
            "date": e.created_at.astimezone(zone).date().isoformat(), "handlungsfeld": _scope_text(e.scope),
            "title": e.title, "text": e.text, "url": e.url,
            "status": decisions.STATUS_LABELS[lang][e.status] if e.status else "",
            "owner": e.owner, "due": e.due, "lik": e.lik, "tags": e.tags, "public": yes if e.public else no,
            "supersedes": keys.get(e.supersedes or "", e.supersedes),
            "superseded_by": keys.get(e.superseded_by or "", e.superseded_by),
        }
        yield [_text(values[c.field]) for c in DECISION_EXPORTED]


DECISION_EXPORTED = [c for c in decisions.COLUMNS if c.field != "url"]


def to_csv(columns: Sequence[Column], rows: Iterable[list[str]], lang: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if lang == "de" else ",", lineterminator="\r\n")
    writer.writerow([neutralise(c.label(lang)) for c in columns])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(columns: Sequence[Column], rows: Iterable[list[str]], lang: str, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 40 if column.field in ("text", "notes", "role") else 18
    bold = Font(bold=True)

    def cell(text: str, header: bool = False) -> WriteOnlyCell:
        c = WriteOnlyCell(sheet, value=text)
        c.data_type = "s"  # text, never a formula, whatever it starts with
        if header:
            c.font = bold
        return c

    sheet.append([cell(c.label(lang), header=True) for c in columns])
    for row in rows:
        sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_directory(entries: Iterable[RoleEntry], fmt: str, lang: str) -> bytes:
    rows = directory_rows(entries, lang)
    if fmt == "xlsx":
        return to_xlsx(directory.EXPORTED, rows, lang, "Verzeichnis" if lang == "de" else "Directory")
    return to_csv(directory.EXPORTED, rows, lang)


def export_decisions(entries: Sequence[Entry], fmt: str, lang: str, zone: ZoneInfo) -> bytes:
    rows = decision_rows(entries, lang, zone)
    if fmt == "xlsx":
        return to_xlsx(DECISION_EXPORTED, rows, lang, "Beschlüsse" if lang == "de" else "Decisions")
    return to_csv(DECISION_EXPORTED, rows, lang)
