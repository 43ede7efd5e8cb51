"""Minutes of a running meeting: what the register captured, who spoke, undo.

Which rooms have a running session is derived from the database (and rebuilt at start),
so recording who spoke costs no database query for rooms without a meeting.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from knowledge.meetings.model import MinutesItemKind, Session, SessionItem, SessionStatus
from knowledge.storage import MeetingRepository
from knowledge.values import Scope


class MinutesService:
    def __init__(self, repository: MeetingRepository):
        self.repository = repository
        self._running: dict[str, int] = {}  # room id -> session id

    async def load(self) -> None:
        """Rebuild the running-session cache from the database (a meeting survives a restart)."""
        self._running = {s.room_id: s.id for s in await self.repository.running_sessions()}

    def is_running(self, room_id: str) -> bool:
        return room_id in self._running

    async def start(self, **kwargs: Any) -> tuple[Session, bool]:
        session, created = await self.repository.start_session(**kwargs)
        self._running[session.room_id] = session.id
        return session, created

    async def running(self, room_id: str) -> Session | None:
        return await self.repository.running_session(room_id) if room_id in self._running else None

    async def capture(self, room_id: str, kind: MinutesItemKind, ref: str | None, text: str, by: str, at: datetime, origin: str) -> bool:
        """Add an item to the room's running minutes, if there are any. True if captured."""
        session_id = self._running.get(room_id)
        if session_id is None:
            return False
        await self.repository.add_session_item(session_id, kind, ref, text, by, at, origin)
        return True

    async def note_speaker(self, room_id: str, user_id: str) -> None:
        session_id = self._running.get(room_id)
        if session_id is not None:
            await self.repository.add_speaker(session_id, user_id)

    async def end(self, session: Session, at: datetime, status: SessionStatus) -> Session:
        ended = await self.repository.end_session(session.id, at, status)
        self._running.pop(session.room_id, None)
        return ended

    async def undo_last_item(self, session: Session) -> SessionItem | None:
        return await self.repository.undo_last_item(session.id)

    async def session(self, number: int) -> Session | None:
        return await self.repository.session(number)

    async def last_session(self, room_id: str) -> Session | None:
        return await self.repository.last_session(room_id)

    async def sessions_in(self, scopes: frozenset[Scope] | None, since: datetime | None = None) -> list[Session]:
        return await self.repository.sessions_in(scopes, since)

    async def publish(self, session: Session) -> Session:
        """Draft minutes become the published ones."""
        await self.repository.set_session_status(session.number, SessionStatus.PUBLISHED)
        published = await self.repository.session(session.number)
        assert published is not None
        return published
