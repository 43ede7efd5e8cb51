"""Storage of meetings, agenda items, reminders, action items, sessions and deliveries."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.meetings.model import (
    ActionItem,
    AgendaItem,
    Meeting,
    MinutesItemKind,
    Reminder,
    ReminderTarget,
    Session,
    SessionItem,
    SessionStatus,
)
from knowledge.storage._orm import ActionRow, AgendaRow, Counter, DeliveryRow, MeetingRow, ReminderRow, SessionItemRow, SessionRow
from knowledge.storage.botstate import _insert
from knowledge.storage.db import Database
from knowledge.values import Scope


class AlreadyRunning(Exception):
    """A session is already running in this room."""


def _meeting(row: MeetingRow) -> Meeting:
    zone = ZoneInfo(row.timezone)
    return Meeting(
        id=row.id, number=row.number, scope=Scope.parse(row.scope), title=row.title, start=row.start.astimezone(zone),
        timezone=row.timezone, duration=timedelta(minutes=row.duration_minutes), rrule=row.rrule,
        exdates=tuple(datetime.fromisoformat(x).astimezone(zone) for x in row.exdates or ()),
        location=row.location, video_link=row.video_link,
        reminders=tuple(timedelta(minutes=m) for m in row.reminders or ()),
        agenda_call=timedelta(minutes=row.agenda_call_minutes) if row.agenda_call_minutes else None,
        organiser=row.organiser, room_id=row.room_id, cancelled=row.cancelled, external_id=row.external_id,
        public=row.public,
    )


def _reminder(row: ReminderRow) -> Reminder:
    return Reminder(id=row.id, number=row.number, target=ReminderTarget(row.target), room_id=row.room_id, text=row.text,
                    start=row.start.astimezone(ZoneInfo(row.timezone)), timezone=row.timezone, created_by=row.created_by,
                    rrule=row.rrule, mention_room=row.mention_room, cancelled=row.cancelled)


def _action(row: ActionRow) -> ActionItem:
    return ActionItem(id=row.id, number=row.number, scope=Scope.parse(row.scope), room_id=row.room_id, text=row.text, owner=row.owner,
                      created_by=row.created_by, created_at=row.created_at, due=row.due, done=row.done,
                      done_at=row.done_at, session_id=row.session_id)


def _session(row: SessionRow, items: list[SessionItemRow] | None = None) -> Session:
    return Session(
        id=row.id, number=row.number, room_id=row.room_id, scope=Scope.parse(row.scope), title=row.title, chair=row.chair,
        started_at=row.started_at, ended_at=row.ended_at, meeting_id=row.meeting_id, speakers=tuple(row.speakers or ()),
        status=SessionStatus(row.status),
        items=tuple(SessionItem(i.id, MinutesItemKind(i.kind), i.ref, i.text, i.by, i.at, i.undone) for i in items or ()),
    )


class MeetingRepository:
    def __init__(self, db: Database):
        self._db = db

    async def _next(self, s: AsyncSession, name: str) -> int:
        await s.execute(_insert(self._db, Counter).values(name=name, value=0).on_conflict_do_nothing(index_elements=[Counter.name]))
        result = await s.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + 1).returning(Counter.value))
        number: int = result.scalar_one()
        return number

    # ----- meetings -------------------------------------------------------------------------

    async def add_meeting(self, *, origin: str, scope: Scope, title: str, start: datetime, timezone: str,
                          duration: timedelta, rrule: str | None, location: str | None, video_link: str | None,
                          reminders: tuple[timedelta, ...], agenda_call: timedelta | None, organiser: str | None,
                          room_id: str | None, created_by: str, at: datetime, exdates: tuple[datetime, ...] = (),
                          external_id: str | None = None, public: bool = False) -> tuple[Meeting, bool]:
        async with self._db.session() as s:
            existing = await s.scalar(select(MeetingRow).where(MeetingRow.origin == origin))
            if existing:
                return _meeting(existing), False
            row = MeetingRow(
                number=await self._next(s, "meeting"), scope=scope.serialise(), room_id=room_id, title=title, start=start,
                timezone=timezone, duration_minutes=int(duration.total_seconds() // 60), rrule=rrule,
                exdates=[x.isoformat() for x in exdates], location=location, video_link=video_link,
                reminders=[int(r.total_seconds() // 60) for r in reminders],
                agenda_call_minutes=int(agenda_call.total_seconds() // 60) if agenda_call else None,
                organiser=organiser, cancelled=False, external_id=external_id, origin=origin, created_by=created_by,
                created_at=at, public=public,
            )
            s.add(row)
            await s.flush()
            return _meeting(row), True

    async def meeting(self, number: int) -> Meeting | None:
        async with self._db.session() as s:
            row = await s.scalar(select(MeetingRow).where(MeetingRow.number == number))
            return _meeting(row) if row else None

    async def meeting_by_id(self, meeting_id: int) -> Meeting | None:
        async with self._db.session() as s:
            row = await s.get(MeetingRow, meeting_id)
            return _meeting(row) if row else None

    async def meetings(self, include_cancelled: bool = False, scopes: frozenset[Scope] | None = None) -> list[Meeting]:
        stmt = select(MeetingRow).order_by(MeetingRow.number)
        if not include_cancelled:
            stmt = stmt.where(MeetingRow.cancelled.is_(False))
        if scopes is not None:
            stmt = stmt.where(MeetingRow.scope.in_(sorted(x.serialise() for x in scopes)))
        async with self._db.session() as s:
            return [_meeting(r) for r in await s.scalars(stmt)]

    async def change_meeting(self, number: int, **values: Any) -> Meeting:
        mapping: dict[str, Any] = {}
        for key, value in values.items():
            if key == "duration":
                mapping["duration_minutes"] = int(value.total_seconds() // 60)
            elif key == "reminders":
                mapping["reminders"] = [int(r.total_seconds() // 60) for r in value]
            elif key == "exdates":
                mapping["exdates"] = [x.isoformat() for x in value]
            else:
                mapping[key] = value
        async with self._db.session() as s:
            row = await s.scalar(select(MeetingRow).where(MeetingRow.number == number))
            if row is None:
                raise LookupError(f"M-{number}")
            for key, value in mapping.items():
                setattr(row, key, value)
            await s.flush()
            return _meeting(row)

    async def add_agenda(self, meeting_id: int, occurrence: datetime, text: str, by: str, origin: str) -> AgendaItem:
        async with self._db.session() as s:
            existing = await s.scalar(select(AgendaRow).where(AgendaRow.origin == origin))
            row = existing or AgendaRow(meeting_id=meeting_id, occurrence=occurrence, text=text, added_by=by, origin=origin)
            if not existing:
                s.add(row)
                await s.flush()
            return AgendaItem(row.id, row.meeting_id, row.occurrence, row.text, row.added_by)

    async def agenda(self, meeting_id: int, occurrence: datetime) -> list[AgendaItem]:
        async with self._db.session() as s:
            rows = await s.scalars(select(AgendaRow).where(AgendaRow.meeting_id == meeting_id, AgendaRow.occurrence == occurrence).order_by(AgendaRow.id))
            return [AgendaItem(r.id, r.meeting_id, r.occurrence, r.text, r.added_by) for r in rows]

    # ----- reminders ------------------------------------------------------------------------

    async def add_reminder(self, *, origin: str, target: ReminderTarget, room_id: str, text: str, start: datetime, timezone: str,
                           rrule: str | None, created_by: str, mention_room: bool, at: datetime) -> tuple[Reminder, bool]:
        async with self._db.session() as s:
            existing = await s.scalar(select(ReminderRow).where(ReminderRow.origin == origin))
            if existing:
                return _reminder(existing), False
            row = ReminderRow(number=await self._next(s, "reminder"), target=target.value, room_id=room_id, text=text, start=start,
                              timezone=timezone, rrule=rrule, created_by=created_by, mention_room=mention_room,
                              cancelled=False, origin=origin, created_at=at)
            s.add(row)
            await s.flush()
            return _reminder(row), True

    async def reminder(self, number: int) -> Reminder | None:
        async with self._db.session() as s:
            row = await s.scalar(select(ReminderRow).where(ReminderRow.number == number))
            return _reminder(row) if row else None

    async def reminder_by_id(self, reminder_id: int) -> Reminder | None:
        async with self._db.session() as s:
            row = await s.get(ReminderRow, reminder_id)
            return _reminder(row) if row else None

    async def reminders(self, created_by: str | None = None, room_id: str | None = None) -> list[Reminder]:
        stmt = select(ReminderRow).where(ReminderRow.cancelled.is_(False)).order_by(ReminderRow.number)
        if created_by:
            stmt = stmt.where(ReminderRow.created_by == created_by)
        if room_id:
            stmt = stmt.where(ReminderRow.room_id == room_id)
        async with self._db.session() as s:
            return [_reminder(r) for r in await s.scalars(stmt)]

    async def cancel_reminder(self, number: int) -> None:
        async with self._db.session() as s:
            await s.execute(update(ReminderRow).where(ReminderRow.number == number).values(cancelled=True))

    # ----- action items ---------------------------------------------------------------------

    async def add_action(self, *, origin: str, scope: Scope, room_id: str | None, text: str, owner: str, due: date | None,
                         created_by: str, at: datetime, session_id: int | None = None) -> tuple[ActionItem, bool]:
        async with self._db.session() as s:
            existing = await s.scalar(select(ActionRow).where(ActionRow.origin == origin))
            if existing:
                return _action(existing), False
            row = ActionRow(number=await self._next(s, "action"), scope=scope.serialise(), room_id=room_id, text=text, owner=owner,
                            due=due, done=False, session_id=session_id, created_by=created_by, created_at=at, origin=origin)
            s.add(row)
            await s.flush()
            return _action(row), True

    async def action(self, number: int) -> ActionItem | None:
        async with self._db.session() as s:
            row = await s.scalar(select(ActionRow).where(ActionRow.number == number))
            return _action(row) if row else None

    async def action_by_id(self, action_id: int) -> ActionItem | None:
        async with self._db.session() as s:
            row = await s.get(ActionRow, action_id)
            return _action(row) if row else None

    async def actions(self, *, open_only: bool = True, owner: str | None = None, scopes: frozenset[Scope] | None = None) -> list[ActionItem]:
        stmt = select(ActionRow).order_by(ActionRow.due.is_(None), ActionRow.due, ActionRow.number)
        if open_only:
            stmt = stmt.where(ActionRow.done.is_(False))
        if owner:
            stmt = stmt.where(ActionRow.owner == owner)
        if scopes is not None:
            stmt = stmt.where(ActionRow.scope.in_(sorted(x.serialise() for x in scopes)))
        async with self._db.session() as s:
            return [_action(r) for r in await s.scalars(stmt)]

    async def set_action_done(self, number: int, done: bool, at: datetime) -> ActionItem:
        async with self._db.session() as s:
            row = await s.scalar(select(ActionRow).where(ActionRow.number == number))
            if row is None:
                raise LookupError(f"A-{number}")
            row.done, row.done_at = done, at if done else None
            await s.flush()
            return _action(row)

    # ----- sessions (minutes) ---------------------------------------------------------------

    async def start_session(self, *, origin: str, room_id: str, scope: Scope, title: str, chair: str, at: datetime,
                            meeting_id: int | None) -> tuple[Session, bool]:
        async with self._db.session() as s:
            existing = await s.scalar(select(SessionRow).where(SessionRow.origin == origin))
            if existing:
                return _session(existing), False
            running = await s.scalar(select(SessionRow).where(SessionRow.room_id == room_id, SessionRow.status == SessionStatus.RUNNING.value))
            if running:
                raise AlreadyRunning(f"P-{running.number}")
            row = SessionRow(number=await self._next(s, "session"), room_id=room_id, scope=scope.serialise(), meeting_id=meeting_id,
                             title=title, chair=chair, started_at=at, speakers=[], status=SessionStatus.RUNNING.value, origin=origin)
            s.add(row)
            await s.flush()
            return _session(row), True

    async def running_session(self, room_id: str) -> Session | None:
        async with self._db.session() as s:
            row = await s.scalar(select(SessionRow).where(SessionRow.room_id == room_id, SessionRow.status == SessionStatus.RUNNING.value))
            if row is None:
                return None
            items = list(await s.scalars(select(SessionItemRow).where(SessionItemRow.session_id == row.id).order_by(SessionItemRow.id)))
            return _session(row, items)

    async def running_sessions(self) -> list[Session]:
        async with self._db.session() as s:
            return [_session(r) for r in await s.scalars(select(SessionRow).where(SessionRow.status == SessionStatus.RUNNING.value))]

    async def session(self, number: int) -> Session | None:
        async with self._db.session() as s:
            row = await s.scalar(select(SessionRow).where(SessionRow.number == number))
            if row is None:
                return None
            items = list(await s.scalars(select(SessionItemRow).where(SessionItemRow.session_id == row.id).order_by(SessionItemRow.id)))
            return _session(row, items)

    async def last_session(self, room_id: str) -> Session | None:
        async with self._db.session() as s:
            number = await s.scalar(select(SessionRow.number).where(SessionRow.room_id == room_id, SessionRow.status != SessionStatus.RUNNING.value)
                                    .order_by(SessionRow.number.desc()).limit(1))
        return await self.session(number) if number else None

    async def sessions_in(self, scopes: frozenset[Scope] | None, since: datetime | None = None) -> list[Session]:
        stmt = select(SessionRow).where(SessionRow.status != SessionStatus.RUNNING.value).order_by(SessionRow.started_at)
        if scopes is not None:
            stmt = stmt.where(SessionRow.scope.in_(sorted(x.serialise() for x in scopes)))
        if since:
            stmt = stmt.where(SessionRow.started_at >= since)
        async with self._db.session() as s:
            return [_session(r) for r in await s.scalars(stmt)]

    async def add_session_item(self, session_id: int, kind: MinutesItemKind, ref: str | None, text: str, by: str, at: datetime, origin: str) -> None:
        async with self._db.session() as s:
            if await s.scalar(select(SessionItemRow.id).where(SessionItemRow.origin == origin)):
                return
            s.add(SessionItemRow(session_id=session_id, kind=kind.value, ref=ref, text=text, by=by, at=at, undone=False, origin=origin))

    async def undo_last_item(self, session_id: int) -> SessionItem | None:
        async with self._db.session() as s:
            row = await s.scalar(select(SessionItemRow).where(SessionItemRow.session_id == session_id, SessionItemRow.undone.is_(False))
                                 .order_by(SessionItemRow.id.desc()).limit(1))
            if row is None:
                return None
            row.undone = True
            return SessionItem(row.id, MinutesItemKind(row.kind), row.ref, row.text, row.by, row.at, True)

    async def add_speaker(self, session_id: int, user_id: str) -> None:
        async with self._db.session() as s:
            row = await s.get(SessionRow, session_id)
            if row is not None and user_id not in (row.speakers or []):
                row.speakers = [*(row.speakers or []), user_id]

    async def end_session(self, session_id: int, at: datetime, status: SessionStatus) -> Session:
        async with self._db.session() as s:
            row = await s.get(SessionRow, session_id)
            if row is None:
                raise LookupError(f"session {session_id}")
            row.ended_at, row.status = at, status.value
        ended = await self.session(row.number)
        assert ended is not None
        return ended

    async def set_session_status(self, number: int, status: SessionStatus) -> None:
        async with self._db.session() as s:
            await s.execute(update(SessionRow).where(SessionRow.number == number).values(status=status.value))

    # ----- personal data ------------------------------------------------------------------

    async def personal_data(self, user_id: str) -> dict[str, Any]:
        async with self._db.session() as s:
            reminders = [(_reminder(r)) for r in await s.scalars(select(ReminderRow).where(ReminderRow.created_by == user_id))]
            actions = [_action(r) for r in await s.scalars(select(ActionRow).where(or_(ActionRow.owner == user_id, ActionRow.created_by == user_id)))]
            sessions = [r for r in await s.scalars(select(SessionRow)) if r.chair == user_id or user_id in (r.speakers or [])]
            return {
                "reminders": [{"id": r.short_id, "text": r.text, "start": r.start.isoformat(), "repeats": r.rrule} for r in reminders],
                "action_items": [{"id": a.short_id, "text": a.text, "owner": a.owner, "due": a.due.isoformat() if a.due else None,
                                  "done": a.done} for a in actions],
                "minutes": [{"id": f"P-{r.number}", "title": r.title, "chair": r.chair == user_id} for r in sessions],
            }

    async def forget(self, user_id: str, replacement: str) -> int:
        """Delete a person's reminders; their name elsewhere becomes `replacement`."""
        changed = 0
        async with self._db.session() as s:
            changed += len((await s.execute(delete(ReminderRow).where(ReminderRow.created_by == user_id).returning(ReminderRow.id))).all())
            for column in (ActionRow.owner, ActionRow.created_by):
                changed += len((await s.execute(update(ActionRow).where(column == user_id).values({column.key: replacement}).returning(ActionRow.id))).all())
            for column in (MeetingRow.organiser, MeetingRow.created_by):  # type: ignore[assignment]
                await s.execute(update(MeetingRow).where(column == user_id).values({column.key: replacement}))
            await s.execute(update(AgendaRow).where(AgendaRow.added_by == user_id).values(added_by=replacement))
            await s.execute(update(SessionItemRow).where(SessionItemRow.by == user_id).values(by=replacement))
            for row in await s.scalars(select(SessionRow)):
                if row.chair == user_id:
                    row.chair = replacement
                if user_id in (row.speakers or []):
                    row.speakers = [replacement if x == user_id else x for x in row.speakers]
                    changed += 1
        return changed

    async def prune_finished(self, before: datetime) -> int:
        """Retention: action items done, reminders cancelled or long past, and delivery records older than `before`."""
        async with self._db.session() as s:
            removed = len((await s.execute(delete(ActionRow).where(ActionRow.done.is_(True), ActionRow.done_at < before).returning(ActionRow.id))).all())
            removed += len((await s.execute(delete(ReminderRow).where(or_(ReminderRow.cancelled.is_(True), ReminderRow.rrule.is_(None)),
                                                                     ReminderRow.start < before).returning(ReminderRow.id))).all())
            removed += len((await s.execute(delete(DeliveryRow).where(DeliveryRow.delivered_at < before).returning(DeliveryRow.key))).all())
        return removed

    # ----- deliveries -----------------------------------------------------------------------

    async def delivered(self, key: str) -> bool:
        async with self._db.session() as s:
            return await s.scalar(select(DeliveryRow.key).where(DeliveryRow.key == key)) is not None

    async def record_delivery(self, key: str, at: datetime, late: bool) -> bool:
        stmt = _insert(self._db, DeliveryRow).values(key=key, delivered_at=at, late=late)
        stmt = stmt.on_conflict_do_nothing(index_elements=[DeliveryRow.key]).returning(DeliveryRow.key)
        async with self._db.session() as s:
            return (await s.execute(stmt)).first() is not None
