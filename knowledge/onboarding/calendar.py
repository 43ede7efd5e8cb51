"""Meetings from calendar files (.ics, as Outlook and Thunderbird export them) and network YAML.

Each VEVENT becomes one meeting series, keyed by its UID: DTSTART with its time zone (a TZID,
Outlook's Windows names included, else UTC or floating times in the network's zone), DTEND or
DURATION, RRULE (UNTIL turned into local time, as Lotse keeps rules on wall-clock time),
EXDATE, LOCATION, and a video link from URL or a https link in LOCATION. STATUS:CANCELLED
cancels the series. A changed single occurrence (RECURRENCE-ID) cannot be kept apart from its
series; it is reported as a notice and left out. All-day events are not meetings: a problem.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from knowledge.dates import DateError, localize
from knowledge.meetings.model import DEFAULT_REMINDERS, Meeting
from knowledge.onboarding.problems import Problem
from knowledge.values import Scope

MAX_TITLE = 300
WINDOWS_ZONES = {  # the Windows names Outlook writes as TZID for the zones Lotse's networks live in
    "W. Europe Standard Time": "Europe/Berlin", "Central Europe Standard Time": "Europe/Budapest",
    "Romance Standard Time": "Europe/Paris", "Central European Standard Time": "Europe/Warsaw",
    "GMT Standard Time": "Europe/London", "UTC": "UTC", "Coordinated Universal Time": "UTC",
}


@dataclass(frozen=True)
class MeetingDraft:
    row: int  # the event's position in the file (1-based)
    key: str
    meeting: Meeting  # id and number 0: not stored yet


def event_key(uid: str) -> str:
    return uid if 0 < len(uid) <= 100 else "ics-" + hashlib.sha1(uid.encode()).hexdigest()[:24]


def _zone_of(value: datetime, tzid: str | None, default: ZoneInfo) -> ZoneInfo:
    key = getattr(value.tzinfo, "key", None)
    for name in (key, tzid, WINDOWS_ZONES.get(tzid or "")):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return default


def _local_rule(rrule: Any, zone: ZoneInfo) -> str:
    """The RRULE as text, UNTIL as local wall-clock time (the series is computed on naive local times)."""
    parts = dict(rrule)
    until = parts.get("UNTIL")
    if until:
        value = until[0]
        if isinstance(value, datetime) and value.tzinfo is not None:
            parts["UNTIL"] = [value.astimezone(zone).replace(tzinfo=None)]
        elif isinstance(value, date) and not isinstance(value, datetime):
            parts["UNTIL"] = [datetime.combine(value, datetime.max.time()).replace(microsecond=0)]
    from icalendar import vRecur

    text: bytes = vRecur(parts).to_ical()  # type: ignore[no-untyped-call]
    return text.decode()


def read_ics(path: Path, scope: Scope, default_zone: ZoneInfo, by: str) -> Iterator[tuple[MeetingDraft | None, list[Problem], list[Problem]]]:
    """(draft or None, problems, notices) per event."""
    from icalendar import Calendar

    file = str(path)
    try:
        calendar = Calendar.from_ical(path.read_bytes())
    except (OSError, ValueError, IndexError, KeyError):
        yield None, [Problem(file, "not_ics")], []
        return
    for number, event in enumerate(calendar.walk("VEVENT"), start=1):
        yield _event(file, number, event, scope, default_zone)


def _event(file: str, number: int, event: Any, scope: Scope, default_zone: ZoneInfo) -> tuple[MeetingDraft | None, list[Problem], list[Problem]]:
    problems: list[Problem] = []
    notices: list[Problem] = []

    def problem(column: str, key: str, **params: object) -> None:
        problems.append(Problem(file, key, params, number, column))

    title = str(event.get("SUMMARY") or "").strip()
    uid = str(event.get("UID") or "").strip()
    if event.get("RECURRENCE-ID") is not None:
        notices.append(Problem(file, "override_ignored", {"title": title}, number, "RECURRENCE-ID"))
        return None, [], notices
    if not uid:
        problem("UID", "required", field="UID")
    if not title:
        problem("SUMMARY", "required", field="SUMMARY")
    elif len(title) > MAX_TITLE:
        problem("SUMMARY", "too_long", limit=MAX_TITLE)
    try:
        start_prop = event.get("DTSTART")
        start = event.decoded("DTSTART")
    except (KeyError, ValueError):
        problem("DTSTART", "required", field="DTSTART")
        return None, problems, notices
    if not isinstance(start, datetime):
        problem("DTSTART", "all_day", title=title)
        return None, problems, notices
    tzid = start_prop.params.get("TZID") if hasattr(start_prop, "params") else None
    zone = _zone_of(start, tzid, default_zone)
    try:
        start = localize(start, zone) if start.tzinfo is None else start.astimezone(zone)
    except DateError:
        problem("DTSTART", "not_date", value=start.isoformat())
        return None, problems, notices
    try:
        if event.get("DTEND") is not None:
            end = event.decoded("DTEND")
            end = end if isinstance(end, datetime) else None
            duration = (end.replace(tzinfo=zone) if end and end.tzinfo is None else end) - start if end else timedelta(hours=1)
        elif event.get("DURATION") is not None:
            duration = event.decoded("DURATION")
        else:
            duration = timedelta(hours=1)
    except (ValueError, TypeError):
        duration = timedelta(hours=1)
    if duration <= timedelta(0) or duration > timedelta(days=1):
        problem("DTEND", "bad_duration", title=title)
    rule = None
    if event.get("RRULE") is not None:
        rrules = event.get("RRULE")
        rule = _local_rule(rrules[0] if isinstance(rrules, list) else rrules, zone)
    exdates: list[datetime] = []
    raw = event.get("EXDATE")
    for group in raw if isinstance(raw, list) else [raw] if raw is not None else []:
        for item in getattr(group, "dts", []):
            value = item.dt
            if isinstance(value, datetime):
                exdates.append(localize(value, zone) if value.tzinfo is None else value.astimezone(zone))
            elif isinstance(value, date):
                exdates.append(localize(datetime.combine(value, start.astimezone(zone).time().replace(tzinfo=None)), zone))
    location = str(event.get("LOCATION") or "").strip() or None
    url = str(event.get("URL") or "").strip() or None
    if url is None and location and location.startswith("https://"):
        url, location = location, None
    meeting = Meeting(
        id=0, number=0, scope=scope, title=title, start=start, timezone=zone.key, duration=duration, rrule=rule,
        exdates=tuple(sorted(set(exdates))), location=location, video_link=url, reminders=DEFAULT_REMINDERS,
        cancelled=str(event.get("STATUS") or "").upper() == "CANCELLED", external_id=event_key(uid) if uid else None,
    )
    if rule is not None and not problems:
        try:
            meeting.occurrences(start - timedelta(seconds=1), start + timedelta(days=800), limit=3)
        except (ValueError, TypeError):
            problem("RRULE", "bad_rrule", value=rule)
    if problems:
        return None, problems, notices
    return MeetingDraft(number, meeting.external_id or "", meeting), [], notices


def _iso_duration(value: object) -> timedelta:
    from icalendar import vDuration

    duration: timedelta = vDuration.from_ical(str(value))  # type: ignore[no-untyped-call]
    return duration


def read_yaml_meetings(path: Path, data: dict[str, Any], rooms: dict[str, Scope]) -> Iterator[tuple[MeetingDraft | None, list[Problem], list[Problem]]]:
    """The `meetings` section of a network file (format: config/demo-network.yaml).

    `rooms` maps a room alias to its scope (a Handlungsfeld or the network)."""
    from dateutil.rrule import rrulestr

    file = str(path)
    directory = {e.get("id"): e for e in data.get("directory") or [] if isinstance(e, dict)}
    for number, item in enumerate(data.get("meetings") or [], start=1):
        problems: list[Problem] = []

        def problem(column: str, key: str, problems: list[Problem] = problems, number: int = number, **params: object) -> None:
            problems.append(Problem(file, key, params, number, column))

        if not isinstance(item, dict):
            yield None, [Problem(file, "not_a_mapping", {}, number)], []
            continue
        for required in ("id", "title", "room", "dtstart"):
            if not item.get(required):
                problem(required, "required", field=required)
        scope = rooms.get(str(item.get("room")))
        if item.get("room") and scope is None:
            problem("room", "unknown_room", value=str(item.get("room")))
        zone_name = str(item.get("timezone") or "Europe/Berlin")
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            problem("timezone", "unknown_timezone", value=zone_name)
            yield None, problems, []
            continue
        start = None
        try:
            start = localize(datetime.fromisoformat(str(item.get("dtstart"))), zone) if item.get("dtstart") else None
        except (ValueError, DateError):
            problem("dtstart", "not_datetime", value=str(item.get("dtstart")))
        rule = item.get("rrule")
        if rule:
            try:
                rrulestr(str(rule), dtstart=datetime(2026, 1, 1))  # noqa: DTZ001 - rules run on naive wall-clock times
            except (ValueError, TypeError):
                problem("rrule", "bad_rrule", value=str(rule))
        try:
            duration = _iso_duration(item.get("duration") or "PT1H")
            reminders = tuple(_iso_duration(r) for r in item.get("reminders") or ("P1D", "PT1H"))
            agenda_call = _iso_duration(item["agenda_call"]) if item.get("agenda_call") else None
        except ValueError:
            problem("duration", "not_duration")
            yield None, problems, []
            continue
        exdates = []
        for value in item.get("exdates") or []:
            try:
                exdates.append(localize(datetime.fromisoformat(str(value)), zone))
            except (ValueError, DateError):
                problem("exdates", "not_datetime", value=str(value))
        organiser = ((directory.get(item.get("organiser")) or {}).get("contact") or {}).get("matrix")
        if problems or start is None or scope is None:
            yield None, problems, []
            continue
        key = str(item["id"])
        yield MeetingDraft(number, key, Meeting(
            id=0, number=0, scope=scope, title=str(item["title"]), start=start, timezone=zone_name, duration=duration,
            rrule=str(rule) if rule else None, exdates=tuple(exdates), location=item.get("location"),
            video_link=item.get("video_link"), reminders=reminders, agenda_call=agenda_call, organiser=organiser,
            external_id=key, public=item.get("visibility") == "public")), [], []
