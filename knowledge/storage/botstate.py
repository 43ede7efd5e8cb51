"""What the bot must remember about Matrix to act exactly once: sync token, handled
events, the rooms it joined and when."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from knowledge.storage._orm import BotState, DigestSubscriptionRow, HandledEvent, JoinedRoom, SentMentionRow, UserPreference
from knowledge.storage.db import Database
from knowledge.types import RoomMembership


def _insert(db: Database, table: Any) -> Any:
    return (pg_insert if db.backend == "postgresql" else sqlite_insert)(table)


class BotStateRepository:
    def __init__(self, db: Database):
        self._db = db

    async def get(self, key: str) -> str | None:
        async with self._db.session() as s:
            return await s.scalar(select(BotState.value).where(BotState.key == key))

    async def set(self, key: str, value: str) -> None:
        stmt = _insert(self._db, BotState).values(key=key, value=value)
        stmt = stmt.on_conflict_do_update(index_elements=[BotState.key], set_={"value": value})
        async with self._db.session() as s:
            await s.execute(stmt)

    async def is_handled(self, event_id: str) -> bool:
        async with self._db.session() as s:
            found = await s.scalar(select(HandledEvent.event_id).where(HandledEvent.event_id == event_id))
            return found is not None

    async def mark_handled(self, event_id: str, room_id: str, at: datetime) -> bool:
        """Record the event; False if it was recorded before (someone else handled it)."""
        stmt = _insert(self._db, HandledEvent).values(event_id=event_id, room_id=room_id, handled_at=at)
        stmt = stmt.on_conflict_do_nothing(index_elements=[HandledEvent.event_id]).returning(HandledEvent.event_id)
        async with self._db.session() as s:
            return (await s.execute(stmt)).first() is not None

    async def prune_handled(self, before: datetime) -> int:
        async with self._db.session() as s:
            result = await s.execute(
                delete(HandledEvent).where(HandledEvent.handled_at < before).returning(HandledEvent.event_id)
            )
            return len(result.all())

    async def membership(self, room_id: str) -> RoomMembership | None:
        async with self._db.session() as s:
            row = await s.get(JoinedRoom, room_id)
            return RoomMembership(row.room_id, row.joined_at_ms, row.greeted) if row else None

    async def record_join(self, room_id: str, joined_at_ms: int) -> bool:
        """Remember when Lotse joined; the first record wins. True if this call created it."""
        stmt = _insert(self._db, JoinedRoom).values(room_id=room_id, joined_at_ms=joined_at_ms, greeted=False)
        stmt = stmt.on_conflict_do_nothing(index_elements=[JoinedRoom.room_id]).returning(JoinedRoom.room_id)
        async with self._db.session() as s:
            return (await s.execute(stmt)).first() is not None

    async def claim_greeting(self, room_id: str) -> bool:
        """True exactly once per room: the caller may post the join notice."""
        async with self._db.session() as s:
            result = await s.execute(
                update(JoinedRoom)
                .where(JoinedRoom.room_id == room_id, JoinedRoom.greeted.is_(False))
                .values(greeted=True)
                .returning(JoinedRoom.room_id)
            )
            return result.first() is not None

    async def record_mention(self, event_id: str, room_id: str, user_id: str, at: datetime) -> None:
        stmt = _insert(self._db, SentMentionRow).values(event_id=event_id, room_id=room_id, user_id=user_id, sent_at=at)
        async with self._db.session() as s:
            await s.execute(stmt.on_conflict_do_nothing(index_elements=[SentMentionRow.event_id]))

    async def mentions_of(self, user_id: str) -> list[tuple[str, str]]:
        """(room id, event id) of Lotse's messages that name the user."""
        async with self._db.session() as s:
            rows = await s.scalars(select(SentMentionRow).where(SentMentionRow.user_id == user_id).order_by(SentMentionRow.sent_at))
            return [(r.room_id, r.event_id) for r in rows]

    async def forget_mention(self, event_id: str) -> None:
        async with self._db.session() as s:
            await s.execute(delete(SentMentionRow).where(SentMentionRow.event_id == event_id))

    async def prune_mentions(self, before: datetime) -> int:
        async with self._db.session() as s:
            result = await s.execute(delete(SentMentionRow).where(SentMentionRow.sent_at < before).returning(SentMentionRow.event_id))
            return len(result.all())

    async def forget_room(self, room_id: str) -> None:
        async with self._db.session() as s:
            await s.execute(delete(JoinedRoom).where(JoinedRoom.room_id == room_id))

    async def rooms(self) -> list[RoomMembership]:
        async with self._db.session() as s:
            rows = (await s.scalars(select(JoinedRoom).order_by(JoinedRoom.room_id))).all()
            return [RoomMembership(r.room_id, r.joined_at_ms, r.greeted) for r in rows]


class PreferenceRepository:
    def __init__(self, db: Database):
        self._db = db

    async def language(self, user_id: str) -> str | None:
        async with self._db.session() as s:
            return await s.scalar(select(UserPreference.language).where(UserPreference.user_id == user_id))

    async def set_language(self, user_id: str, language: str) -> None:
        stmt = _insert(self._db, UserPreference).values(user_id=user_id, language=language)
        stmt = stmt.on_conflict_do_update(index_elements=[UserPreference.user_id], set_={"language": language})
        async with self._db.session() as s:
            await s.execute(stmt)

    async def subscribe_digest(self, user_id: str, language: str, at: datetime) -> bool:
        stmt = _insert(self._db, DigestSubscriptionRow).values(user_id=user_id, language=language, created_at=at)
        stmt = stmt.on_conflict_do_nothing(index_elements=[DigestSubscriptionRow.user_id]).returning(DigestSubscriptionRow.user_id)
        async with self._db.session() as s:
            return (await s.execute(stmt)).first() is not None

    async def unsubscribe_digest(self, user_id: str) -> bool:
        async with self._db.session() as s:
            result = await s.execute(delete(DigestSubscriptionRow).where(DigestSubscriptionRow.user_id == user_id)
                                     .returning(DigestSubscriptionRow.user_id))
            return result.first() is not None

    async def digest_subscribers(self) -> list[tuple[str, str]]:
        async with self._db.session() as s:
            rows = await s.scalars(select(DigestSubscriptionRow).order_by(DigestSubscriptionRow.user_id))
            return [(r.user_id, r.language) for r in rows]

    async def forget(self, user_id: str) -> None:
        async with self._db.session() as s:
            await s.execute(delete(UserPreference).where(UserPreference.user_id == user_id))
            await s.execute(delete(DigestSubscriptionRow).where(DigestSubscriptionRow.user_id == user_id))
