"""Meetings, reminders, action items and minutes — and when each of them is due.

Every moment something must be posted is a *firing* with a stable key (item, occurrence,
offset). A firing is delivered at most once (the deliveries table) and at least once (a
firing missed while Lotse was down is found again at start and delivered late).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from knowledge.dates import localize, occurrences
from knowledge.values import Destination, FiringKind, Scope

DEFAULT_REMINDERS = (timedelta(days=1), timedelta(hours=1))


@dataclass(frozen=True)
class Meeting:
    id: int
    number: int
    scope: Scope
    title: str
    start: datetime  # first occurrence, aware
    timezone: str
    duration: timedelta
    rrule: str | None = None
    exdates: tuple[datetime, ...] = ()
    location: str | None = None
    video_link: str | None = None
    reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    agenda_call: timedelta | None = None
    organiser: str | None = None
    room_id: str | None = None
    cancelled: bool = False
    external_id: str | None = None
    public: bool = False

    @property
    def short_id(self) -> str:
        return f"M-{self.number}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def occurrences(self, after: datetime, before: datetime, limit: int = 500) -> list[datetime]:
        if self.cancelled:
            return []
        return occurrences(self.start, self.rrule, self.zone, after, before, frozenset(self.exdates), limit)

    def next_after(self, moment: datetime) -> datetime | None:
        found = self.occurrences(moment, moment + timedelta(days=800), limit=1)
        return found[0] if found else None


class ReminderTarget(enum.StrEnum):
    DIRECT = "dm"  # the person who set it, by direct message
    ROOM = "room"  # the room it was set in


@dataclass(frozen=True)
class Reminder:
    id: int
    number: int
    target: ReminderTarget
    room_id: str
    text: str
    start: datetime
    timezone: str
    created_by: str
    rrule: str | None = None
    mention_room: bool = False
    cancelled: bool = False

    @property
    def short_id(self) -> str:
        return f"E-{self.number}"

    def occurrences(self, after: datetime, before: datetime, limit: int = 500) -> list[datetime]:
        if self.cancelled:
            return []
        return occurrences(self.start, self.rrule, ZoneInfo(self.timezone), after, before, frozenset(), limit)


@dataclass(frozen=True)
class ActionItem:
    id: int
    number: int
    scope: Scope
    room_id: str | None
    text: str
    owner: str
    created_by: str
    created_at: datetime
    due: date | None = None
    done: bool = False
    done_at: datetime | None = None
    session_id: int | None = None

    @property
    def short_id(self) -> str:
        return f"A-{self.number}"

    def overdue(self, today: date) -> bool:
        return not self.done and self.due is not None and self.due < today


@dataclass(frozen=True)
class AgendaItem:
    id: int
    meeting_id: int
    occurrence: datetime
    text: str
    added_by: str


class MinutesItemKind(enum.StrEnum):
    """What a line of the minutes is: what the register recorded, an action item, an info."""

    DECISION = "decision"
    AGREEMENT = "agreement"
    LINK = "link"
    NOTE = "note"
    ACTION = "action"
    INFO = "info"


class SessionStatus(enum.StrEnum):
    RUNNING = "running"
    DRAFT = "draft"  # ended; minutes wait for the chair's approval
    PUBLISHED = "published"


@dataclass(frozen=True)
class SessionItem:
    id: int
    kind: MinutesItemKind
    ref: str | None  # short id in the register or of the action item
    text: str
    by: str
    at: datetime
    undone: bool = False


@dataclass(frozen=True)
class Session:
    """A meeting in progress or its minutes."""

    id: int
    number: int
    room_id: str
    scope: Scope
    title: str
    chair: str
    started_at: datetime
    ended_at: datetime | None = None
    meeting_id: int | None = None
    speakers: tuple[str, ...] = ()
    status: SessionStatus = SessionStatus.RUNNING
    items: tuple[SessionItem, ...] = field(default=(), compare=False)

    @property
    def short_id(self) -> str:
        return f"P-{self.number}"


@dataclass(frozen=True)
class Firing:
    """One scheduled post. `key` (stored in the deliveries table) makes it happen once."""

    at: datetime
    key: str
    kind: FiringKind
    item_id: int
    occurrence: datetime | None = None
    offset: timedelta | None = None
    # Digests: the room of a scope (that scope's digest), the coordination room (the network
    # roll-up) or a person (their personal digest, in `lang`).
    target: Destination | None = None
    lang: str | None = None


def _minutes(offset: timedelta) -> int:
    return int(offset.total_seconds() // 60)


def meeting_firings(meeting: Meeting, after: datetime, before: datetime) -> list[Firing]:
    offsets = list(meeting.reminders) + ([meeting.agenda_call] if meeting.agenda_call else [])
    if not offsets:
        return []
    widest = max(offsets)
    out = []
    for occurrence in meeting.occurrences(after, before + widest):
        for offset in meeting.reminders:
            at = occurrence - offset
            if after < at <= before:
                out.append(Firing(at, f"meeting:{meeting.id}:{occurrence.isoformat()}:{_minutes(offset)}",
                                  FiringKind.MEETING_REMINDER, meeting.id, occurrence, offset))
        if meeting.agenda_call:
            at = occurrence - meeting.agenda_call
            if after < at <= before:
                out.append(Firing(at, f"agenda:{meeting.id}:{occurrence.isoformat()}", FiringKind.AGENDA_CALL, meeting.id,
                                  occurrence, meeting.agenda_call))
    return out


def reminder_firings(reminder: Reminder, after: datetime, before: datetime) -> list[Firing]:
    return [Firing(o, f"reminder:{reminder.id}:{o.isoformat()}", FiringKind.REMINDER, reminder.id, o)
            for o in reminder.occurrences(after, before)]


def action_firings(item: ActionItem, zone: ZoneInfo, after: datetime, before: datetime) -> list[Firing]:
    """The owner hears about an open action item on the morning of the day before it is due."""
    if item.done or item.due is None:
        return []
    at = localize(datetime.combine(item.due - timedelta(days=1), time(9, 0)), zone)
    return [Firing(at, f"action:{item.id}:{item.due.isoformat()}", FiringKind.ACTION_DUE, item.id)] if after < at <= before else []
