"""Rows from the files people have: .xlsx, .csv and YAML lists, streamed one row at a time.

CSV: the delimiter is sniffed (`;` as German Excel writes it, `,`, tab, `|`); the encoding is
UTF-8 (with or without BOM), else Windows-1252 as Excel on Windows saves "CSV (Trennzeichen-
getrennt)". XLSX: the first worksheet, cached values of formulas, read-only (streaming).

Headers are matched to fields by a folded spelling (case, umlauts, spaces, hyphens, dots and
gender forms do not matter), from each field's German and English names; a map file (YAML,
"header as written: field") adds or overrides names. A column no field claims is reported
as a notice and left out.
"""
from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.onboarding.cells import plain, restore
from knowledge.onboarding.problems import Problem
from knowledge.text import fold

SAMPLE_BYTES = 64 * 1024
DELIMITERS = ";,\t|"
IGNORE = "-"  # a map file's way to say "leave this column out"
csv.field_size_limit(1 << 24)


class TableError(Exception):
    """The file cannot be read as a table at all; `problem` says why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.key)
        self.problem = problem


def header_key(text: str) -> str:
    """One spelling of a column header: "E-Mail-Adresse" and "e mail adresse" are one key."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


@dataclass(frozen=True)
class Column:
    """A field an importer understands, the headers people write for it, and the headers exports write."""

    field: str
    names: tuple[str, ...]
    label_de: str
    label_en: str

    def label(self, lang: str) -> str:
        return self.label_de if lang == "de" else self.label_en


@dataclass(frozen=True)
class Row:
    number: int  # as the spreadsheet shows it
    values: Mapping[str, str]  # field -> cell text ("" for empty)
    headers: Mapping[str, str]  # field -> the header as written in this file

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def has(self, name: str) -> bool:
        return name in self.values


@dataclass
class Table:
    file: str
    fields: dict[int, str]  # column index -> field
    headers: dict[str, str]  # field -> header as written
    notices: list[Problem]
    rows: Iterator[Row] = field(repr=False)


def load_map(path: Path) -> dict[str, str]:
    """A map file: {"header as written": "field or any known header", ...}; "-" leaves a column out."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise TableError(Problem(str(path), "map_unreadable")) from None
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, (str, type(None))) for k, v in data.items()):
        raise TableError(Problem(str(path), "map_unreadable"))
    return {header_key(k): (v if v is not None else IGNORE) for k, v in data.items()}


def header_fields(headers: list[str], columns: list[Column], overrides: Mapping[str, str] | None = None) -> set[str]:
    """The fields these headers name."""
    known = _resolve(columns, overrides or {})
    return {known[k] for k in map(header_key, headers) if k in known}


def _resolve(columns: list[Column], overrides: Mapping[str, str]) -> dict[str, str]:
    """Folded header -> field, overrides last."""
    known: dict[str, str] = {}
    for column in columns:
        for name in (column.field, column.label_de, column.label_en, *column.names):
            known.setdefault(header_key(name), column.field)
    for key, target in overrides.items():
        known[key] = IGNORE if target == IGNORE else known.get(header_key(target), target)
    return known


Columns = list[Column] | Callable[[list[str]], list[Column]]


def _map_headers(file: str, raw: Sequence[object], columns: Columns, overrides: Mapping[str, str]) -> tuple[dict[int, str], dict[str, str], list[Problem]]:
    if callable(columns):
        columns = columns([plain(cell) for cell in raw])
    known = _resolve(columns, overrides)
    valid = {c.field for c in columns}
    fields: dict[int, str] = {}
    headers: dict[str, str] = {}
    notices: list[Problem] = []
    for index, cell in enumerate(raw):
        header = plain(cell)
        if not header:
            continue
        target = known.get(header_key(header))
        if target == IGNORE:
            continue
        if target is None or target not in valid:
            notices.append(Problem(file, "column_ignored", {"column": header}))
            continue
        if target in headers:
            raise TableError(Problem(file, "column_twice", {"column": header, "other": headers[target]}))
        fields[index] = target
        headers[target] = header
    return fields, headers, notices


def _rows(file: str, records: Iterator[tuple[int, Sequence[object]]], fields: dict[int, str], headers: dict[str, str],
          unescape: bool) -> Iterator[Row]:
    for number, record in records:
        values = {}
        for index, name in fields.items():
            text = plain(record[index]) if index < len(record) else ""
            values[name] = restore(text) if unescape else text
        if any(values.values()):
            yield Row(number, values, headers)


def _encoding(path: Path) -> str:
    """utf-8-sig if the whole file decodes as UTF-8 (read in chunks, not kept), else cp1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "cp1252"


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first.count)


def _csv(path: Path, columns: Columns, overrides: Mapping[str, str]) -> Table:
    file = str(path)
    encoding = _encoding(path)
    try:
        fh = path.open("r", encoding=encoding, newline="")
        sample = fh.read(SAMPLE_BYTES)
        fh.seek(0)
    except UnicodeDecodeError:
        raise TableError(Problem(file, "encoding")) from None
    first_line = sample.split("\n", 1)[0].strip()
    skip = 0
    if first_line.lower().startswith("sep=") and len(first_line) == 5:  # Excel's hint line: "sep=;"
        delimiter, skip = first_line[4], 1
        fh.readline()
    else:
        delimiter = _delimiter(sample)
    reader = csv.reader(fh, delimiter=delimiter)
    numbered = ((i + skip, list(r)) for i, r in enumerate(reader, start=1))
    try:
        for _number, header in numbered:
            if any(c.strip() for c in header):
                break
        else:
            fh.close()
            raise TableError(Problem(file, "empty"))
    except (csv.Error, UnicodeDecodeError):
        fh.close()
        raise TableError(Problem(file, "not_a_table")) from None
    fields, headers, notices = _map_headers(file, header, columns, overrides)

    def rows() -> Iterator[Row]:
        try:
            yield from _rows(file, numbered, fields, headers, unescape=True)
        except csv.Error:
            raise TableError(Problem(file, "not_a_table")) from None
        finally:
            fh.close()

    return Table(file, fields, headers, notices, rows())


def _xlsx(path: Path, columns: Columns, overrides: Mapping[str, str]) -> Table:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    file = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError):
        raise TableError(Problem(file, "not_a_table")) from None
    sheet = book.worksheets[0]
    numbered = ((i, list(r)) for i, r in enumerate(sheet.iter_rows(values_only=True), start=1))
    for _number, header in numbered:
        if any(plain(c) for c in header):
            break
    else:
        book.close()
        raise TableError(Problem(file, "empty"))
    fields, headers, notices = _map_headers(file, header, columns, overrides)

    def rows() -> Iterator[Row]:
        try:
            yield from _rows(file, numbered, fields, headers, unescape=False)
        finally:
            book.close()

    return Table(file, fields, headers, notices, rows())


def open_table(path: Path, columns: Columns, overrides: Mapping[str, str] | None = None) -> Table:
    """The table in `path` (.xlsx/.xlsm or .csv/.txt/.tsv), rows streamed; TableError if it cannot be read.

    `columns` may be a function of the header row (as written) that chooses the columns: the file is
    read once even when its headers decide what it holds."""
    if not path.is_file():
        raise TableError(Problem(str(path), "missing"))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx(path, columns, overrides or {})
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv(path, columns, overrides or {})
    raise TableError(Problem(str(path), "unknown_format", {"suffix": path.suffix or "?"}))

