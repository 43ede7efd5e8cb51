"""The audit log: who created, changed or deleted what, and when. No message content."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from knowledge.storage._orm import AuditRow
from knowledge.storage.db import Database, json_list_contains


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    room_id: str | None
    objects: tuple[str, ...]


class AuditRepository:
    def __init__(self, db: Database):
        self._db = db

    async def record(self, at: datetime, actor: str, action: str, room_id: str | None, objects: list[str]) -> None:
        async with self._db.session() as s:
            s.add(AuditRow(at=at, actor=actor, action=action, room_id=room_id, objects=objects))

    async def about(self, object_id: str, limit: int = 30) -> list[AuditEntry]:
        """Everything recorded about one object (B-12, p03, M-3, …), oldest first."""
        contains = json_list_contains(self._db.backend, AuditRow.objects, object_id)
        async with self._db.session() as s:
            newest = list(await s.scalars(select(AuditRow).where(contains).order_by(AuditRow.id.desc()).limit(limit)))
        return [AuditEntry(r.at, r.actor, r.action, r.room_id, tuple(r.objects)) for r in reversed(newest)]

    async def by_actor(self, actor: str) -> list[AuditEntry]:
        async with self._db.session() as s:
            rows = await s.scalars(select(AuditRow).where(AuditRow.actor == actor).order_by(AuditRow.id))
            return [AuditEntry(r.at, r.actor, r.action, r.room_id, tuple(r.objects)) for r in rows]

    async def pseudonymise(self, actor: str, replacement: str) -> int:
        async with self._db.session() as s:
            result = await s.execute(update(AuditRow).where(AuditRow.actor == actor).values(actor=replacement).returning(AuditRow.id))
            return len(result.all())

    async def prune(self, before: datetime) -> int:
        async with self._db.session() as s:
            result = await s.execute(delete(AuditRow).where(AuditRow.at < before).returning(AuditRow.id))
            return len(result.all())
