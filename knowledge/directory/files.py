"""Directory import and export, YAML (the demo network's format) and CSV.

An import is checked whole before anything is stored: every problem names the file, the
entry and the field. Lists in CSV cells are separated by "; ".
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import fields
from datetime import date
from pathlib import Path

import yaml

from knowledge.directory.model import RoleEntry, RoleStatus, Visibility

CSV_FIELDS = [f.name for f in fields(RoleEntry) if f.name not in ("funding_reminded", "confirmation_requested")]
LIST_SEPARATOR = "; "
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(_[a-z]{2,3})?$")
STATUS_ALIASES = {
    "active": RoleStatus.ACTIVE, "aktiv": RoleStatus.ACTIVE,
    "unconfirmed": RoleStatus.UNCONFIRMED, "ungeprueft": RoleStatus.UNCONFIRMED, "ungeprüft": RoleStatus.UNCONFIRMED,
    "reconfirmation_overdue": RoleStatus.UNCONFIRMED,
    "vacant": RoleStatus.VACANT, "unbesetzt": RoleStatus.VACANT, "vakant": RoleStatus.VACANT,
    "left": RoleStatus.LEFT, "left_organisation": RoleStatus.LEFT, "ausgeschieden": RoleStatus.LEFT,
}


class DirectoryImportError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _day(value) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _list(value) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in re.split(r"\s*;\s*", value) if v.strip())
    return tuple(str(v) for v in value)


def parse_entries(raw: list[dict], source: str, organisations: dict[str, str] | None = None) -> list[RoleEntry]:
    """Turn raw records (from YAML or CSV) into entries, or raise with every problem."""
    organisations = organisations or {}
    problems: list[str] = []
    entries: list[RoleEntry] = []
    ids = [str(r.get("id")) for r in raw if isinstance(r, dict) and r.get("id")]
    for i, record in enumerate(raw):
        where = f"{source}: entry {i + 1}"
        if not isinstance(record, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        where += f" ({record.get('id')})" if record.get("id") else ""

        def problem(field: str, text: str) -> None:
            problems.append(f"{where}, field '{field}': {text}")  # noqa: B023 - called within the same iteration

        entry_id = str(record.get("id") or "").strip()
        if not entry_id:
            problem("id", "is required")
        elif ids.count(entry_id) > 1:
            problem("id", "appears more than once")
        role = str(record.get("role") or "").strip()
        if not role:
            problem("role", "is required")
        org = str(record.get("organisation") or "").strip()
        if not org:
            problem("organisation", "is required")
        elif organisations and re.match(r"^o-[\w-]+$", org) and org not in organisations:
            problem("organisation", f"'{org}' is not in the organisations list")
        contact = record.get("contact") or {}
        if not isinstance(contact, dict):
            problem("contact", "must be a mapping with email, phone, matrix")
            contact = {}
        email = record.get("email") or contact.get("email")
        if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", str(email)):
            problem("email", f"'{email}' is not an e-mail address")
        matrix = record.get("matrix_id") or contact.get("matrix")
        if matrix and not re.match(r"^@[^:\s]+:[^\s]+$", str(matrix)):
            problem("matrix", f"'{matrix}' is not a Matrix id like @name:server")
        languages = _list(record.get("languages"))
        for code in languages:
            if not LANGUAGE_CODE.match(code):
                problem("languages", f"'{code}' is not a language code like de, uk or ar")
        for ref_field in ("deputy", "successor"):
            ref = record.get(ref_field)
            if ref and str(ref) not in ids:
                problem(ref_field, f"refers to '{ref}', which is not in the file")
        status_raw = str(record.get("status") or "active").strip().lower()
        status = STATUS_ALIASES.get(status_raw)
        if status is None:
            problem("status", f"'{status_raw}' is not one of active, unconfirmed, vacant, left")
        visibility_raw = str(record.get("visibility") or "network").strip().lower()
        try:
            visibility = Visibility(visibility_raw)
        except ValueError:
            problem("visibility", f"'{visibility_raw}' is not one of public, network, room")
            visibility = Visibility.NETWORK
        dates = {}
        for date_field in ("funded_until", "last_confirmed"):
            try:
                dates[date_field] = _day(record.get(date_field))
            except ValueError:
                problem(date_field, f"'{record.get(date_field)}' is not a date like 2026-12-31")
        person = record.get("person")
        if problems:
            continue
        if person in (None, "") and status is RoleStatus.ACTIVE and record.get("status") is None:
            status = RoleStatus.ACTIVE  # a functional role without a person is fine
        entries.append(
            RoleEntry(
                id=entry_id,
                role=role,
                organisation=organisations.get(org, org),
                person=str(person).strip() if person not in (None, "") else None,
                topics=_list(record.get("topics")),
                handlungsfelder=_list(record.get("handlungsfelder")),
                lik=_list(record.get("lik")),
                email=str(email) if email else None,
                phone=str(record.get("phone") or contact.get("phone") or "") or None,
                matrix_id=str(matrix) if matrix else None,
                languages=languages,
                office_hours=_list(record.get("office_hours")),
                target_groups=_list(record.get("target_groups")),
                location=record.get("location") or None,
                notes=record.get("notes") or None,
                deputy=str(record.get("deputy")) if record.get("deputy") else None,
                successor=str(record.get("successor")) if record.get("successor") else None,
                funded_until=dates.get("funded_until"),
                last_confirmed=dates.get("last_confirmed"),
                confirmed_by=record.get("confirmed_by") or None,
                status=status,
                visibility=visibility,
            )
        )
    if problems:
        raise DirectoryImportError(problems)
    return entries


def read_file(path: Path) -> list[RoleEntry]:
    """Entries from a YAML network file (its `directory` section) or a CSV export."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DirectoryImportError([f"{source}: cannot be read ({exc.strerror})"]) from None
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        missing = [c for c in ("id", "role", "organisation") if rows and c not in rows[0]]
        if missing:
            raise DirectoryImportError([f"{source}: the columns {', '.join(missing)} are missing"])
        return parse_entries(rows, source)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise DirectoryImportError([f"{source}: is not valid YAML"]) from None
    if not isinstance(data, dict) or not isinstance(data.get("directory"), list):
        raise DirectoryImportError([f"{source}: has no 'directory' list"])
    organisations = {o["id"]: o["name"] for o in data.get("organisations") or [] if isinstance(o, dict) and "id" in o}
    return parse_entries(data["directory"], source, organisations)


def _plain(entry: RoleEntry) -> dict:
    out = {}
    for name in CSV_FIELDS:
        value = getattr(entry, name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif hasattr(value, "value"):
            value = value.value
        out[name] = value
    return out


def to_yaml(entries: list[RoleEntry]) -> str:
    return yaml.safe_dump({"directory": [_plain(e) for e in entries]}, allow_unicode=True, sort_keys=False)


def to_csv(entries: list[RoleEntry]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for entry in entries:
        row = _plain(entry)
        writer.writerow({k: LIST_SEPARATOR.join(v) if isinstance(v, list) else ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue()
