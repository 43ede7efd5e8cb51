"""Import the `knowledge` section of a network file (format: config/demo-network.yaml).

Everything is checked first; any problem is reported with file, entry and field, and then
nothing is imported. Importing the same file again changes nothing (external ids are kept).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dateutil.rrule import rrulestr
from icalendar import vDuration

from knowledge.dates import localize
from knowledge.register.model import MAX_TEXT, MAX_URL, Kind, NewEntry, parse_status
from knowledge.register.service import RegisterService
from knowledge.values import Scope

IMPORTER = "import"


class ImportProblems(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    created: int
    unchanged: int


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _role_names(data: dict) -> dict[str, str]:
    """Directory id -> 'role (organisation)', to name who is responsible without personal data."""
    orgs = {o.get("id"): o.get("name") for o in data.get("organisations") or [] if isinstance(o, dict)}
    names = {}
    for entry in data.get("directory") or []:
        if isinstance(entry, dict) and entry.get("id"):
            org = orgs.get(entry.get("organisation"))
            names[entry["id"]] = f"{entry.get('role')} ({org})" if org else str(entry.get("role"))
    return names


def parse_knowledge(path: Path, handlungsfelder: set[str]) -> tuple[list[NewEntry], list[tuple[str, str | None, str | None]]]:
    """Entries to import, and (external id, supersedes, superseded_by) links; or ImportProblems."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ImportProblems([f"{path}: cannot be read as YAML ({exc.__class__.__name__})"]) from None
    section = (data or {}).get("knowledge") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise ImportProblems([f"{path}: has no 'knowledge' section"])
    roles = _role_names(data)
    problems: list[str] = []
    entries: list[NewEntry] = []
    links: list[tuple[str, str | None, str | None]] = []
    seen: set[str] = set()
    origin = f"import:{path.name}"

    def problem(where: str, field: str, text: str) -> None:
        problems.append(f"{path}: {where}, field '{field}': {text}")

    for i, item in enumerate(section.get("decisions") or []):
        where = f"knowledge.decisions[{i}] ({item.get('id', '?') if isinstance(item, dict) else '?'})"
        if not isinstance(item, dict):
            problems.append(f"{path}: {where}: must be a mapping")
            continue
        ext = item.get("id")
        if not ext:
            problem(where, "id", "is required")
        elif ext in seen:
            problem(where, "id", "appears twice")
        seen.add(ext)
        kind = {"beschluss": Kind.DECISION, "vereinbarung": Kind.AGREEMENT}.get(str(item.get("type", "")).lower())
        if kind is None:
            problem(where, "type", "must be 'beschluss' or 'vereinbarung'")
        text = str(item.get("text") or "").strip()
        if not text:
            problem(where, "text", "is required")
        elif len(text) > MAX_TEXT:
            problem(where, "text", f"is longer than {MAX_TEXT} characters")
        status = parse_status(str(item.get("status", "beschlossen")))
        if status is None:
            problem(where, "status", "is not a known status (beschlossen, in_umsetzung, umgesetzt, vertagt, abgelehnt, ersetzt)")
        hf = item.get("handlungsfeld")
        if hf not in (None, "all") and hf not in handlungsfelder:
            problem(where, "handlungsfeld", f"'{hf}' is not a Handlungsfeld in the configuration")
        when = _day(item.get("date"))
        if item.get("date") is not None and when is None:
            problem(where, "date", "must be a date like 2026-02-18")
        due = _day(item.get("due"))
        if item.get("due") is not None and due is None:
            problem(where, "due", "must be a date like 2026-02-18")
        links.append((ext, item.get("supersedes"), item.get("superseded_by")))
        if problems or kind is None:
            continue
        entries.append(
            NewEntry(
                kind=kind,
                scope=Scope.handlungsfeld(hf) if hf not in (None, "all") else Scope.network(),
                text=text,
                title=item.get("title"),
                author=IMPORTER,
                recorded_by=origin,
                origin=f"import:{ext}",
                status=status,
                owner=roles.get(item.get("responsible_role"), item.get("responsible_role")),
                due=due,
                lik=tuple(item.get("lik") or ()),
                public=item.get("visibility") == "public",
                external_id=ext,
                created_at=datetime.combine(when, time(12), tzinfo=timezone.utc) if when else None,
            )
        )
    for ext, supersedes, superseded_by in links:
        for name, ref in (("supersedes", supersedes), ("superseded_by", superseded_by)):
            if ref and ref not in seen:
                problem(f"knowledge.decisions ({ext})", name, f"refers to '{ref}', which is not in the file")

    for i, item in enumerate(section.get("links") or []):
        where = f"knowledge.links[{i}] ({item.get('id', '?') if isinstance(item, dict) else '?'})"
        if not isinstance(item, dict):
            problems.append(f"{path}: {where}: must be a mapping")
            continue
        ext, url, title = item.get("id"), str(item.get("url") or ""), str(item.get("title") or "").strip()
        if not ext:
            problem(where, "id", "is required")
        elif ext in seen:
            problem(where, "id", "appears twice")
        seen.add(ext)
        if not url.startswith(("https://", "http://")) or len(url) > MAX_URL:
            problem(where, "url", "must start with https:// or http://")
        added = _day(item.get("added"))
        if problems:
            continue
        entries.append(
            NewEntry(
                kind=Kind.LINK,
                scope=Scope.network(),
                text=title or url,
                title=title or None,
                url=url,
                tags=tuple(item.get("topics") or ()),
                author=IMPORTER,
                recorded_by=origin,
                origin=f"import:{ext}",
                public=item.get("visibility", "public") == "public",
                external_id=ext,
                created_at=datetime.combine(added, time(12), tzinfo=timezone.utc) if added else None,
            )
        )
    if problems:
        raise ImportProblems(problems)
    return entries, links


async def import_knowledge(kb: RegisterService, path: Path, handlungsfelder: set[str], now: datetime) -> ImportResult:
    entries, links = parse_knowledge(path, handlungsfelder)
    created = 0
    for new in entries:
        _, was_created = await kb.record(new, now)
        created += was_created
    short = await kb.repository.external_ids()
    for ext, supersedes, superseded_by in links:
        await kb.repository.link_import(
            short[ext],
            supersedes=short.get(supersedes) if supersedes else None,
            superseded_by=short.get(superseded_by) if superseded_by else None,
        )
    await kb.load()
    return ImportResult(created=created, unchanged=len(entries) - created)


# ----- meetings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingImport:
    external_id: str
    scope: Scope
    title: str
    start: datetime
    timezone: str
    duration: timedelta
    rrule: str | None
    exdates: tuple[datetime, ...]
    location: str | None
    video_link: str | None
    reminders: tuple[timedelta, ...]
    agenda_call: timedelta | None
    organiser: str | None
    public: bool = False


def _iso_duration(value) -> timedelta:
    return vDuration.from_ical(str(value))


def parse_meetings(path: Path, rooms: dict[str, Scope]) -> list[MeetingImport]:
    """The `meetings` section; `rooms` maps a room alias to its scope (a Handlungsfeld or the network)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    directory = {e.get("id"): e for e in data.get("directory") or [] if isinstance(e, dict)}
    problems: list[str] = []
    out: list[MeetingImport] = []
    for i, item in enumerate(data.get("meetings") or []):
        where = f"{path}: meetings[{i}] ({item.get('id', '?') if isinstance(item, dict) else '?'})"

        def problem(field: str, text: str) -> None:
            problems.append(f"{where}, field '{field}': {text}")  # noqa: B023 - called within the same iteration

        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        for required in ("id", "title", "room", "dtstart"):
            if not item.get(required):
                problem(required, "is required")
        scope = rooms.get(str(item.get("room")))
        if item.get("room") and scope is None:
            problem("room", f"'{item.get('room')}' is not a room in the configuration")
        zone_name = item.get("timezone") or "Europe/Berlin"
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            problem("timezone", f"'{zone_name}' is not a known time zone")
            continue
        try:
            start = localize(datetime.fromisoformat(str(item.get("dtstart"))), zone) if item.get("dtstart") else None
        except ValueError:
            problem("dtstart", "must be a local date-time like 2026-02-18T09:30:00")
            start = None
        rule = item.get("rrule")
        if rule:
            try:
                rrulestr(str(rule), dtstart=datetime(2026, 1, 1))  # noqa: DTZ001 - only checks that the rule parses
            except (ValueError, TypeError):
                problem("rrule", f"'{rule}' is not a valid RRULE")
        try:
            duration = _iso_duration(item.get("duration") or "PT1H")
            reminders = tuple(_iso_duration(r) for r in item.get("reminders") or ("P1D", "PT1H"))
            agenda_call = _iso_duration(item["agenda_call"]) if item.get("agenda_call") else None
        except ValueError:
            problem("duration", "durations must be ISO 8601, like PT1H30M or P1D")
            continue
        exdates = []
        for value in item.get("exdates") or []:
            try:
                exdates.append(localize(datetime.fromisoformat(str(value)), zone))
            except ValueError:
                problem("exdates", f"'{value}' is not a local date-time")
        organiser = ((directory.get(item.get("organiser")) or {}).get("contact") or {}).get("matrix")
        if problems or start is None or scope is None:
            continue
        out.append(MeetingImport(str(item["id"]), scope, str(item["title"]), start, zone_name, duration,
                                 str(rule) if rule else None, tuple(exdates), item.get("location"),
                                 item.get("video_link"), reminders, agenda_call, organiser, item.get("visibility") == "public"))
    if problems:
        raise ImportProblems(problems)
    return out


async def import_meetings(repository, path: Path, rooms: dict[str, Scope], now: datetime) -> ImportResult:
    meetings = parse_meetings(path, rooms)
    created = 0
    for m in meetings:
        _, was_created = await repository.add_meeting(
            origin=f"import:{m.external_id}", scope=m.scope, title=m.title, start=m.start, timezone=m.timezone,
            duration=m.duration, rrule=m.rrule, location=m.location, video_link=m.video_link, reminders=m.reminders,
            agenda_call=m.agenda_call, organiser=m.organiser, room_id=None, created_by=IMPORTER, at=now,
            exdates=m.exdates, external_id=m.external_id, public=m.public,
        )
        created += was_created
    return ImportResult(created=created, unchanged=len(meetings) - created)
