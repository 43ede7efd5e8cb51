"""Decision rows (and agreements, links) -> register entries.

The stable key of a row is its ID column: an external id ("b-2026-02-01") or, for entries
recorded in chat and exported, their short id ("B-12"). A sheet without IDs is keyed by
date + text, so that a re-import is a no-op; then an edited text makes a new entry.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.onboarding.fields import CellError, Vocabulary, folded, parse_date, parse_yes, split_list
from knowledge.onboarding.problems import Problem
from knowledge.onboarding.tables import Column, Row, Table, TableError
from knowledge.register.model import MAX_TEXT, MAX_TITLE, MAX_URL, Kind, Status, parse_status
from knowledge.text import fold
from knowledge.values import Scope

C = Column
COLUMNS: list[Column] = [
    C("id", ("nr", "nummer", "beschluss nr", "beschlussnummer", "kennung", "key", "number"), "ID", "ID"),
    C("kind", ("art", "typ", "type", "kind", "beschluss vereinbarung", "eintragsart"), "Art", "Kind"),
    C("date", ("datum", "beschlossen am", "sitzung vom", "sitzungsdatum", "date", "decided on", "added"), "Datum", "Date"),
    C("handlungsfeld", ("handlungsfeld", "hf", "ag", "arbeitsgruppe", "bereich", "area", "field of action"),
      "Handlungsfeld", "Handlungsfeld"),
    C("title", ("titel", "betreff", "ueberschrift", "kurztitel", "title", "subject", "heading"), "Titel", "Title"),
    C("text", ("text", "beschluss", "beschlusstext", "vereinbarung", "inhalt", "wortlaut", "beschreibung",
               "decision", "description", "content"), "Text", "Text"),
    C("url", ("url", "link", "adresse", "webseite", "address"), "Link", "URL"),
    C("status", ("status", "stand", "umsetzungsstand"), "Status", "Status"),
    C("owner", ("verantwortlich", "zustaendig", "verantwortung", "federfuehrung", "owner", "responsible"),
      "Verantwortlich", "Responsible"),
    C("due", ("frist", "faellig", "faellig am", "erledigen bis", "umsetzung bis", "due", "deadline", "due date"),
      "Frist", "Due"),
    C("lik", ("lik", "lik id", "lik ids"), "LIK", "LIK"),
    C("tags", ("schlagworte", "schlagwort", "stichworte", "tags", "themen", "topics"), "Schlagworte", "Tags"),
    C("public", ("oeffentlich", "public", "veroeffentlichen"), "Öffentlich", "Public"),
    C("supersedes", ("ersetzt", "ersetzt beschluss", "supersedes", "replaces"), "Ersetzt", "Supersedes"),
    C("superseded_by", ("ersetzt durch", "abgeloest durch", "superseded by", "replaced by"), "Ersetzt durch", "Superseded by"),
]
KIND_WORDS = {
    "beschluss": Kind.DECISION, "decision": Kind.DECISION, "b": Kind.DECISION,
    "vereinbarung": Kind.AGREEMENT, "agreement": Kind.AGREEMENT, "v": Kind.AGREEMENT,
    "link": Kind.LINK, "l": Kind.LINK,
}
KIND_LABELS = {"de": {Kind.DECISION: "Beschluss", Kind.AGREEMENT: "Vereinbarung", Kind.LINK: "Link", Kind.NOTE: "Notiz"},
               "en": {Kind.DECISION: "decision", Kind.AGREEMENT: "agreement", Kind.LINK: "link", Kind.NOTE: "note"}}
STATUS_LABELS = {
    "de": {Status.DECIDED: "beschlossen", Status.IN_PROGRESS: "in Umsetzung", Status.IMPLEMENTED: "umgesetzt",
           Status.POSTPONED: "vertagt", Status.REJECTED: "abgelehnt", Status.SUPERSEDED: "ersetzt"},
    "en": {Status.DECIDED: "decided", Status.IN_PROGRESS: "in progress", Status.IMPLEMENTED: "implemented",
           Status.POSTPONED: "postponed", Status.REJECTED: "rejected", Status.SUPERSEDED: "superseded"},
}
REFERENCES = ("supersedes", "superseded_by")
# Fields compared on re-import, in the register's column names.
COMPARED = ("kind", "scope", "text", "title", "url", "status", "owner", "due", "lik", "tags", "public")


@lru_cache(maxsize=1024)
def _status(word: str) -> Status | None:
    return parse_status(word)


def derived_key(day: str, text: str) -> str:
    digest = hashlib.sha1(f"{day}\x1f{fold(text)}".encode()).hexdigest()
    return f"d-{digest[:12]}"


@dataclass
class EntryDraft:
    """One row, read. `values` uses the register's field names; only the columns the file has."""

    row: int
    key: str
    values: dict[str, Any]
    day: date | None = None  # the date column: created_at of new entries
    has_day: bool = False
    refs: dict[str, str] = field(default_factory=dict)
    row_headers: Mapping[str, str] = field(default_factory=dict)


def read_row(row: Row, file: str, vocab: Vocabulary) -> tuple[EntryDraft | None, list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def problem(name: str, key: str, **params: object) -> None:
        problems.append(Problem(file, key, params, row.number, row.headers.get(name, name)))

    kind = Kind.DECISION
    if row.get("kind"):
        found = KIND_WORDS.get(folded(row.get("kind")))
        if found is None:
            problem("kind", "unknown_kind", value=row.get("kind"), known="Beschluss, Vereinbarung, Link")
        else:
            kind = found
    values["kind"] = kind
    text = row.get("text")
    if kind is Kind.LINK:
        url = row.get("url")
        if not url.startswith(("https://", "http://")) or len(url) > MAX_URL:
            problem("url", "not_url", value=url)
        values["url"] = url
        text = text or row.get("title") or url
    elif row.has("url"):
        values["url"] = row.get("url") or None
    if not text:
        problem("text", "required", field=row.headers.get("text", "Text"))
    elif len(text) > MAX_TEXT:
        problem("text", "too_long", limit=MAX_TEXT)
    values["text"] = text
    if row.has("title"):
        if len(row.get("title")) > MAX_TITLE:
            problem("title", "too_long", limit=MAX_TITLE)
        values["title"] = row.get("title") or None
    if row.has("handlungsfeld"):
        try:
            hf = vocab.handlungsfeld(row.get("handlungsfeld"))
            values["scope"] = Scope.handlungsfeld(hf) if hf else Scope.network()
        except CellError as exc:
            if row.get("handlungsfeld").startswith("room:"):  # another room's entries, as exports write them
                values["scope"] = Scope.room(row.get("handlungsfeld").removeprefix("room:"))
            else:
                problem("handlungsfeld", exc.key, **exc.params)
    if kind.has_status:
        if row.get("status"):
            status = _status(row.get("status"))
            if status is None:
                problem("status", "unknown_status", value=row.get("status"),
                        known="beschlossen, in Umsetzung, umgesetzt, vertagt, abgelehnt, ersetzt")
            values["status"] = status
        elif row.has("status"):
            values["status"] = Status.DECIDED
    if row.has("owner"):
        if len(row.get("owner")) > 255:
            problem("owner", "too_long", limit=255)
        values["owner"] = row.get("owner") or None
    for name in ("due",):
        if row.has(name):
            try:
                values[name] = parse_date(row.get(name))
            except CellError as exc:
                problem(name, exc.key, **exc.params)
    for name in ("lik", "tags"):
        if row.has(name):
            values[name] = split_list(row.get(name))
    if row.has("public"):
        try:
            values["public"] = parse_yes(row.get("public"))
        except CellError as exc:
            problem("public", exc.key, **exc.params)
    day = None
    if row.has("date"):
        try:
            day = parse_date(row.get("date"))
        except CellError as exc:
            problem("date", exc.key, **exc.params)
    refs = {name: row.get(name) for name in REFERENCES if row.get(name)}
    if problems:
        return None, problems
    key = row.get("id") or derived_key(day.isoformat() if day else "", text)
    if len(key) > 100:
        problems.append(Problem(file, "too_long", {"limit": 100}, row.number, row.headers.get("id", "id")))
        return None, problems
    return EntryDraft(row.number, key, values, day, row.has("date"), refs, row.headers), []


def _role_names(data: dict[str, Any]) -> dict[str, str]:
    """Directory id -> 'role (organisation)', to name who is responsible without personal data."""
    orgs = {o.get("id"): o.get("name") for o in data.get("organisations") or [] if isinstance(o, dict)}
    names = {}
    for entry in data.get("directory") or []:
        if isinstance(entry, dict) and entry.get("id"):
            org = orgs.get(entry.get("organisation"))
            names[entry["id"]] = f"{entry.get('role')} ({org})" if org else str(entry.get("role"))
    return names


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return str(value)


def yaml_rows(path: Path) -> Iterator[Row]:
    """Decisions and links of a YAML file: a network file's `knowledge` section, or top-level `decisions`/`links`."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise TableError(Problem(str(path), "not_yaml")) from None
    if not isinstance(data, dict):
        raise TableError(Problem(str(path), "no_section", {"section": "decisions"}))
    nested = data.get("knowledge")
    section: dict[str, Any] = nested if isinstance(nested, dict) else data
    if not isinstance(section.get("decisions"), list) and not isinstance(section.get("links"), list):
        raise TableError(Problem(str(path), "no_section", {"section": "decisions"}))
    roles = _role_names(data)
    number = 0
    for item in section.get("decisions") or []:
        number += 1
        if not isinstance(item, dict):
            raise TableError(Problem(str(path), "not_a_mapping", {}, number))
        values = {
            "id": _text(item.get("id")), "kind": _text(item.get("type") or item.get("kind") or "beschluss"),
            "date": _text(item.get("date")), "text": _text(item.get("text")), "status": _text(item.get("status")),
            "due": _text(item.get("due")), "lik": _text(item.get("lik")), "tags": _text(item.get("tags")),
            "public": _text(item["public"]) if "public" in item else "ja" if item.get("visibility") == "public" else "nein",
            "supersedes": _text(item.get("supersedes")), "superseded_by": _text(item.get("superseded_by")),
        }
        if "handlungsfeld" in item:
            values["handlungsfeld"] = _text(item.get("handlungsfeld"))
        if "title" in item:
            values["title"] = _text(item.get("title"))
        owner = item.get("responsible_role") or item.get("owner")
        if owner is not None:
            values["owner"] = roles.get(str(owner), str(owner))
        yield Row(number, values, {k: k for k in values})
    for item in section.get("links") or []:
        number += 1
        if not isinstance(item, dict):
            raise TableError(Problem(str(path), "not_a_mapping", {}, number))
        values = {
            "id": _text(item.get("id")), "kind": "link", "url": _text(item.get("url")),
            "title": _text(item.get("title")), "tags": _text(item.get("topics") or item.get("tags")),
            "date": _text(item.get("added") or item.get("date")),
            "public": "ja" if item.get("visibility", "public") == "public" else "nein",
        }
        yield Row(number, values, {k: k for k in values})


def yaml_table(path: Path) -> Table:
    return Table(str(path), {}, {}, [], yaml_rows(path))
