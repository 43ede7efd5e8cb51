"""Meetings, agenda items, reminders and action items as handlers use them.

Every write goes to storage and then tells the planner (`on_change`, given by the bot
package), so that scheduled posts are derived anew from the database; handlers neither
see the repository nor have to remember to re-plan.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from knowledge.meetings.model import ActionItem, AgendaItem, Meeting, Reminder, ReminderTarget, Session
from knowledge.storage import MeetingRepository
from knowledge.values import Scope

Changed = Callable[[], Awaitable[None]]


async def _nothing() -> None:
    return None


@dataclass(frozen=True)
class MeetingChanges:
    """What `!termin ändern` may change; None leaves a field as it is."""

    title: str | None = None
    start: datetime | None = None
    rrule: str | None = None
    duration: timedelta | None = None
    location: str | None = None
    video_link: str | None = None
    public: bool | None = None
    reminders: tuple[timedelta, ...] | None = None

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}


class MeetingService:
    def __init__(self, repository: MeetingRepository, on_change: Changed = _nothing):
        self.repository = repository
        self.on_change = on_change

    # ----- meetings ---------------------------------------------------------------------

    async def add_meeting(self, **details: Any) -> tuple[Meeting, bool]:
        """A new meeting (the details of `MeetingRepository.add_meeting`); once per origin."""
        found = await self.repository.add_meeting(**details)
        await self.on_change()
        return found

    async def meeting(self, number: int) -> Meeting | None:
        return await self.repository.meeting(number)

    async def meeting_by_id(self, meeting_id: int) -> Meeting | None:
        return await self.repository.meeting_by_id(meeting_id)

    async def meetings(self, scopes: frozenset[Scope] | None = None) -> list[Meeting]:
        return await self.repository.meetings(scopes=scopes)

    async def skip_occurrence(self, meeting: Meeting, occurrence: datetime) -> Meeting:
        changed = await self.repository.change_meeting(meeting.number, exdates=(*meeting.exdates, occurrence))
        await self.on_change()
        return changed

    async def cancel(self, meeting: Meeting) -> Meeting:
        changed = await self.repository.change_meeting(meeting.number, cancelled=True)
        await self.on_change()
        return changed

    async def edit(self, meeting: Meeting, changes: MeetingChanges) -> Meeting:
        changed = await self.repository.change_meeting(meeting.number, **changes.values())
        await self.on_change()
        return changed

    async def add_agenda(self, meeting: Meeting, occurrence: datetime, text: str, by: str, origin: str) -> AgendaItem:
        return await self.repository.add_agenda(meeting.id, occurrence, text, by, origin)

    async def agenda(self, meeting: Meeting, occurrence: datetime) -> list[AgendaItem]:
        return await self.repository.agenda(meeting.id, occurrence)

    async def sessions_in(self, scopes: frozenset[Scope] | None, since: datetime | None = None) -> list[Session]:
        """Meetings held (their minutes), for reports."""
        return await self.repository.sessions_in(scopes, since)

    # ----- reminders --------------------------------------------------------------------

    async def add_reminder(self, *, origin: str, target: ReminderTarget, room_id: str, text: str, start: datetime,
                           timezone: str, rrule: str | None, created_by: str, mention_room: bool,
                           at: datetime) -> tuple[Reminder, bool]:
        found = await self.repository.add_reminder(origin=origin, target=target, room_id=room_id, text=text, start=start,
                                                   timezone=timezone, rrule=rrule, created_by=created_by,
                                                   mention_room=mention_room, at=at)
        await self.on_change()
        return found

    async def reminder(self, number: int) -> Reminder | None:
        return await self.repository.reminder(number)

    async def reminder_by_id(self, reminder_id: int) -> Reminder | None:
        return await self.repository.reminder_by_id(reminder_id)

    async def reminders(self, created_by: str | None = None, room_id: str | None = None) -> list[Reminder]:
        return await self.repository.reminders(created_by=created_by, room_id=room_id)

    async def cancel_reminder(self, reminder: Reminder) -> None:
        await self.repository.cancel_reminder(reminder.number)
        await self.on_change()

    # ----- action items -----------------------------------------------------------------

    async def add_action(self, *, origin: str, scope: Scope, room_id: str | None, text: str, owner: str,
                         due: date | None, created_by: str, at: datetime, session_id: int | None) -> tuple[ActionItem, bool]:
        found = await self.repository.add_action(origin=origin, scope=scope, room_id=room_id, text=text, owner=owner,
                                                 due=due, created_by=created_by, at=at, session_id=session_id)
        await self.on_change()
        return found

    async def action(self, number: int) -> ActionItem | None:
        return await self.repository.action(number)

    async def action_by_id(self, action_id: int) -> ActionItem | None:
        return await self.repository.action_by_id(action_id)

    async def actions(self, *, open_only: bool = True, owner: str | None = None,
                      scopes: frozenset[Scope] | None = None) -> list[ActionItem]:
        return await self.repository.actions(open_only=open_only, owner=owner, scopes=scopes)

    async def mark_done(self, item: ActionItem, at: datetime) -> ActionItem:
        done = await self.repository.set_action_done(item.number, True, at)
        await self.on_change()
        return done
