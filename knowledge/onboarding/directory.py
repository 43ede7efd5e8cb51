"""Directory rows -> role entries.

The stable key of a row is its ID column; a sheet without one is keyed by Funktion + Träger
(so renaming a role in such a sheet makes a new entry — export once to get the IDs). Only the
columns the file has are taken: a column that is not there leaves that field of an existing
entry as it is; an empty cell in a column that is there empties the field.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from knowledge.directory.model import RoleEntry, RoleStatus, Visibility
from knowledge.onboarding.fields import EMAIL, MATRIX_ID, CellError, Vocabulary, parse_date, split_list
from knowledge.onboarding.problems import Problem
from knowledge.onboarding.tables import Column, Row, Table, TableError
from knowledge.text import fold

C = Column
COLUMNS: list[Column] = [
    C("id", ("nr", "nummer", "kennung", "schluessel", "key", "eintrag"), "ID", "ID"),
    C("role", ("rolle", "funktion", "position", "stelle", "aufgabe", "taetigkeit", "job title", "function"), "Funktion", "Role"),
    C("organisation", ("traeger", "organisation", "organization", "einrichtung", "institution", "behoerde",
                       "dienststelle", "verein", "organisation traeger", "traeger organisation"), "Träger", "Organisation"),
    C("person", ("name", "ansprechperson", "ansprechpartner", "ansprechpartnerin", "kontaktperson", "person",
                 "vor und nachname", "vorname nachname", "full name", "contact person"), "Name", "Person"),
    C("first_name", ("vorname", "first name", "given name"), "Vorname", "First name"),
    C("last_name", ("nachname", "familienname", "last name", "surname", "family name"), "Nachname", "Last name"),
    C("topics", ("thema", "themen", "themenbereiche", "zustaendigkeit", "zustaendig fuer", "schwerpunkte",
                 "schwerpunkt", "topic"), "Themen", "Topics"),
    C("handlungsfelder", ("handlungsfeld", "hf", "ag", "arbeitsgruppe", "arbeitsgruppen", "field of action"),
      "Handlungsfelder", "Handlungsfelder"),
    C("lik", ("lik", "lik id", "lik ids"), "LIK", "LIK"),
    C("email", ("email", "e mail", "mail", "e mail adresse", "emailadresse", "email address", "funktionspostfach"),
      "E-Mail", "E-mail"),
    C("phone", ("telefon", "tel", "telefonnummer", "festnetz", "dienstnummer", "phone", "phone number", "telephone"),
      "Telefon", "Phone"),
    C("matrix_id", ("matrix", "matrix id", "matrix kennung", "matrix adresse"), "Matrix-ID", "Matrix ID"),
    C("languages", ("sprache", "sprachen", "beratungssprachen", "fremdsprachen", "language", "languages spoken"),
      "Sprachen", "Languages"),
    C("office_hours", ("sprechzeit", "sprechzeiten", "oeffnungszeiten", "erreichbarkeit", "office hours", "opening hours"),
      "Sprechzeiten", "Office hours"),
    C("target_groups", ("zielgruppe", "zielgruppen", "target group", "target groups"), "Zielgruppen", "Target groups"),
    C("location", ("ort", "adresse", "anschrift", "raum", "standort", "dienstort", "address", "location"), "Ort", "Location"),
    C("notes", ("hinweis", "hinweise", "bemerkung", "bemerkungen", "anmerkung", "anmerkungen", "notizen", "notes",
                "remarks"), "Hinweis", "Notes"),
    C("deputy", ("vertretung", "stellvertretung", "vertreter", "vertreterin", "deputy"), "Vertretung", "Deputy"),
    C("successor", ("nachfolge", "nachfolger", "nachfolgerin", "successor"), "Nachfolge", "Successor"),
    C("funded_until", ("gefoerdert bis", "foerderung bis", "befristet bis", "projektende", "funded until",
                       "funding ends"), "Gefördert bis", "Funded until"),
    C("last_confirmed", ("bestaetigt am", "zuletzt bestaetigt", "letzte bestaetigung", "last confirmed"),
      "Bestätigt am", "Last confirmed"),
    C("confirmed_by", ("bestaetigt von", "confirmed by"), "Bestätigt von", "Confirmed by"),
    C("status", ("status", "zustand"), "Status", "Status"),
    C("visibility", ("sichtbarkeit", "sichtbar fuer", "visibility"), "Sichtbarkeit", "Visibility"),
]
EXPORTED = [c for c in COLUMNS if c.field not in ("first_name", "last_name")]
TEXT_FIELDS = ("role", "organisation", "person", "email", "phone", "matrix_id", "location", "notes", "confirmed_by")
REFERENCES = ("deputy", "successor")
STATUS_WORDS = {
    "active": RoleStatus.ACTIVE, "aktiv": RoleStatus.ACTIVE, "besetzt": RoleStatus.ACTIVE,
    "unconfirmed": RoleStatus.UNCONFIRMED, "ungeprueft": RoleStatus.UNCONFIRMED, "unbestaetigt": RoleStatus.UNCONFIRMED,
    "reconfirmation_overdue": RoleStatus.UNCONFIRMED,
    "vacant": RoleStatus.VACANT, "unbesetzt": RoleStatus.VACANT, "vakant": RoleStatus.VACANT, "frei": RoleStatus.VACANT,
    "left": RoleStatus.LEFT, "left_organisation": RoleStatus.LEFT, "ausgeschieden": RoleStatus.LEFT,
}
STATUS_LABELS = {"de": {RoleStatus.ACTIVE: "aktiv", RoleStatus.UNCONFIRMED: "ungeprüft", RoleStatus.VACANT: "unbesetzt",
                        RoleStatus.LEFT: "ausgeschieden"},
                 "en": {s: s.value for s in RoleStatus}}
VISIBILITY_WORDS = {
    "public": Visibility.PUBLIC, "oeffentlich": Visibility.PUBLIC,
    "network": Visibility.NETWORK, "netzwerk": Visibility.NETWORK, "intern": Visibility.NETWORK,
    "room": Visibility.ROOM, "raum": Visibility.ROOM, "handlungsfeld": Visibility.ROOM,
}
VISIBILITY_LABELS = {"de": {Visibility.PUBLIC: "öffentlich", Visibility.NETWORK: "Netzwerk", Visibility.ROOM: "Raum"},
                     "en": {v: v.value for v in Visibility}}
LISTS_WITHOUT_COMMAS = ("office_hours", "target_groups")  # free text that may hold commas


def derived_key(organisation: str, role: str) -> str:
    """The key of a row without an ID: Funktion + Träger, folded, hashed (short and stable)."""
    digest = hashlib.sha1(f"{fold(organisation)}\x1f{fold(role)}".encode()).hexdigest()
    return f"v-{digest[:10]}"


@dataclass
class RoleDraft:
    """One row, read: the fields the file has, converted; references as written."""

    row: int
    key: str
    values: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)

    def merged(self, existing: RoleEntry | None) -> RoleEntry:
        if existing is None:
            return RoleEntry(**{"role": "", "organisation": "", **self.values, "id": self.key})
        return existing.with_changes(**self.values)


def read_row(row: Row, file: str, vocab: Vocabulary, notices: list[Problem]) -> tuple[RoleDraft | None, list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def problem(name: str, key: str, **params: object) -> None:
        problems.append(Problem(file, key, params, row.number, row.headers.get(name, name)))

    for name in TEXT_FIELDS:
        if row.has(name):
            values[name] = row.get(name) or None
    if row.has("first_name") or row.has("last_name"):
        joined = " ".join(p for p in (row.get("first_name"), row.get("last_name")) if p)
        values["person"] = " ".join(p for p in (values.get("person"), joined) if p) or None
    for name in ("role", "organisation"):
        if (row.has(name) or not row.get("id")) and not values.get(name):
            problem(name, "required", field=row.headers.get(name, name))
    if values.get("email") and not EMAIL.match(values["email"]):
        problem("email", "not_email", value=values["email"])
    if len(row.get("id")) > 64:
        problem("id", "too_long", limit=64)
    for name in ("role", "organisation", "person", "email", "phone", "matrix_id", "confirmed_by"):
        if len(values.get(name) or "") > 255:
            problem(name, "too_long", limit=255)
    if values.get("matrix_id") and not MATRIX_ID.match(values["matrix_id"]):
        problem("matrix_id", "not_matrix_id", value=values["matrix_id"])
    for name in ("topics", "lik", "target_groups", "office_hours"):
        if row.has(name):
            values[name] = split_list(row.get(name), commas=name not in LISTS_WITHOUT_COMMAS)
    if "topics" in values:
        topics = []
        for text in values["topics"]:
            topic, known = vocab.topic(text)
            if not known:
                notices.append(Problem(file, "unknown_topic", {"value": text}, None, row.headers.get("topics")))
            if topic not in topics:
                topics.append(topic)
        values["topics"] = tuple(topics)
    if row.has("languages"):
        codes = []
        for text in split_list(row.get("languages")):
            try:
                code = vocab.language(text)
            except CellError as exc:
                problem("languages", exc.key, **exc.params)
                continue
            if code not in codes:
                codes.append(code)
        values["languages"] = tuple(codes)
    if row.has("handlungsfelder"):
        hfs: list[str] = []
        for text in split_list(row.get("handlungsfelder")):
            try:
                hf = vocab.handlungsfeld(text)
            except CellError as exc:
                problem("handlungsfelder", exc.key, **exc.params)
                continue
            hf = hf or "all"
            if hf not in hfs:
                hfs.append(hf)
        values["handlungsfelder"] = tuple(hfs)
    for name in ("funded_until", "last_confirmed"):
        if row.has(name):
            try:
                values[name] = parse_date(row.get(name))
            except CellError as exc:
                problem(name, exc.key, **exc.params)
    if row.get("status"):
        status = STATUS_WORDS.get(fold(row.get("status")).replace(" ", "_"))
        if status is None:
            problem("status", "unknown_status", value=row.get("status"), known="aktiv, ungeprüft, unbesetzt, ausgeschieden")
        values["status"] = status
    if row.get("visibility"):
        visibility = VISIBILITY_WORDS.get(fold(row.get("visibility")))
        if visibility is None:
            problem("visibility", "unknown_visibility", value=row.get("visibility"), known="öffentlich, Netzwerk, Raum")
        values["visibility"] = visibility
    refs = {name: row.get(name) for name in REFERENCES if row.get(name)}
    for name in REFERENCES:
        if row.has(name) and not row.get(name):
            values[name] = None
    if problems:
        return None, problems
    key = row.get("id") or derived_key(values["organisation"], values["role"])
    return RoleDraft(row.number, key, values, refs), []


def yaml_rows(path: Path) -> Iterator[Row]:
    """The `directory` section of a network file (config/demo-network.yaml) as rows."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise TableError(Problem(str(path), "not_yaml")) from None
    if not isinstance(data, dict) or not isinstance(data.get("directory"), list):
        raise TableError(Problem(str(path), "no_section", {"section": "directory"}))
    organisations = {o["id"]: o.get("name") for o in data.get("organisations") or [] if isinstance(o, dict) and "id" in o}
    names = {f.name for f in fields(RoleEntry)}
    for index, record in enumerate(data["directory"], start=1):
        if not isinstance(record, dict):
            raise TableError(Problem(str(path), "not_a_mapping", {}, index))
        flat = dict(record)
        contact = flat.pop("contact", None) or {}
        if isinstance(contact, dict):
            flat.setdefault("email", contact.get("email"))
            flat.setdefault("phone", contact.get("phone"))
            flat.setdefault("matrix_id", contact.get("matrix"))
        org = flat.get("organisation")
        if isinstance(org, str) and org in organisations:
            flat["organisation"] = organisations[org]
        values: dict[str, str] = {}
        for key, value in flat.items():
            if key not in names or key in ("funding_reminded", "confirmation_requested"):
                continue
            if isinstance(value, (list, tuple)):
                value = "; ".join(str(v) for v in value)
            values[key] = "" if value is None else str(value)
        yield Row(index, values, {k: k for k in values})


def yaml_table(path: Path) -> Table:
    return Table(str(path), {}, {}, [], yaml_rows(path))
