"""Storage of the directory. Each change is one transaction with its revision."""
from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from knowledge.directory.model import RoleEntry, RoleNotFound, RoleStatus, Visibility
from knowledge.storage._orm import Counter, QuestionRow, RoleRevisionRow, RoleRow
from knowledge.storage.botstate import _insert
from knowledge.storage.db import Database

_DATES = {"funded_until", "last_confirmed", "confirmation_requested"}


def _to_doc(entry: RoleEntry) -> dict[str, Any]:
    doc = asdict(entry)
    for key, value in doc.items():
        if isinstance(value, date):
            doc[key] = value.isoformat()
        elif isinstance(value, tuple):
            doc[key] = list(value)
        elif isinstance(value, (RoleStatus, Visibility)):
            doc[key] = value.value
    return doc


def _from_doc(doc: dict[str, Any]) -> RoleEntry:
    known = {f.name for f in fields(RoleEntry)}
    values = {}
    for key, value in doc.items():
        if key not in known:
            continue
        if key in _DATES and value:
            value = date.fromisoformat(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[key] = value
    values["status"] = RoleStatus(values.get("status", "active"))
    values["visibility"] = Visibility(values.get("visibility", "network"))
    return RoleEntry(**values)


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


class DirectoryRepository:
    def __init__(self, db: Database):
        self._db = db

    async def all(self) -> list[RoleEntry]:
        async with self._db.session() as s:
            return [_from_doc(r.data) for r in await s.scalars(select(RoleRow).order_by(RoleRow.id))]

    async def get(self, entry_id: str) -> RoleEntry:
        async with self._db.session() as s:
            row = await s.get(RoleRow, entry_id)
            if row is None:
                raise RoleNotFound(entry_id)
            return _from_doc(row.data)

    async def by_matrix_id(self, user_id: str) -> list[RoleEntry]:
        async with self._db.session() as s:
            rows = await s.scalars(select(RoleRow).where(RoleRow.matrix_id == user_id).order_by(RoleRow.id))
            return [_from_doc(r.data) for r in rows]

    async def save(self, entry: RoleEntry, by: str, at: datetime, action: str) -> bool:
        """Insert or update one entry; a revision records what changed. False if nothing changed."""
        return await self.save_many([entry], by, at, action) == 1

    async def save_many(self, entries: list[RoleEntry], by: str, at: datetime, action: str) -> int:
        """Save all in one transaction (an import is all or nothing). Returns how many changed."""
        changed = 0
        async with self._db.session() as s:
            existing = {r.id: r for r in await s.scalars(select(RoleRow).where(RoleRow.id.in_([e.id for e in entries])))}
            for entry in entries:
                doc = _to_doc(entry)
                row = existing.get(entry.id)
                old, new = _diff(row.data if row else {}, doc)
                if row is not None and not new:
                    continue
                if row is None:
                    s.add(RoleRow(id=entry.id, matrix_id=entry.matrix_id, status=entry.status.value, data=doc, updated_at=at))
                else:
                    row.data, row.matrix_id, row.status, row.updated_at = doc, entry.matrix_id, entry.status.value, at
                s.add(RoleRevisionRow(entry_id=entry.id, at=at, by=by, action=action, before=old, after=new))
                changed += 1
        return changed

    async def pseudonymise_history(self, values: set[str], replacement: str) -> None:
        """Revisions keep before/after values: the person's Matrix id and name leave them too."""
        async with self._db.session() as s:
            await s.execute(update(RoleRevisionRow).where(RoleRevisionRow.by.in_(sorted(values))).values(by=replacement))
            for row in await s.scalars(select(RoleRevisionRow)):
                if any(v in values for v in (*(row.before or {}).values(), *(row.after or {}).values()) if isinstance(v, str)):
                    row.before = {k: (replacement if isinstance(v, str) and v in values else v) for k, v in (row.before or {}).items()}
                    row.after = {k: (replacement if isinstance(v, str) and v in values else v) for k, v in (row.after or {}).items()}

    async def history(self, entry_id: str) -> list[tuple[datetime, str, str, dict[str, Any], dict[str, Any]]]:
        async with self._db.session() as s:
            rows = await s.scalars(select(RoleRevisionRow).where(RoleRevisionRow.entry_id == entry_id).order_by(RoleRevisionRow.id))
            return [(r.at, r.by, r.action, r.before, r.after) for r in rows]

    async def next_id(self) -> str:
        async with self._db.session() as s:
            await s.execute(_insert(self._db, Counter).values(name="role", value=0).on_conflict_do_nothing(index_elements=[Counter.name]))
            value = (await s.execute(update(Counter).where(Counter.name == "role").values(value=Counter.value + 1).returning(Counter.value))).scalar_one()
            return f"R-{value}"

    async def log_question(self, text: str, at: datetime, handlungsfeld: str | None) -> None:
        async with self._db.session() as s:
            s.add(QuestionRow(asked_at=at, text=text[:500], handlungsfeld=handlungsfeld))

    async def open_questions(self, since: datetime, limit: int = 20) -> tuple[list[tuple[datetime, str, str | None]], int]:
        async with self._db.session() as s:
            total = await s.scalar(select(func.count(QuestionRow.id)).where(QuestionRow.asked_at >= since)) or 0
            rows = await s.scalars(
                select(QuestionRow).where(QuestionRow.asked_at >= since).order_by(QuestionRow.asked_at.desc()).limit(limit)
            )
            return [(r.asked_at, r.text, r.handlungsfeld) for r in rows], total

    async def prune_questions(self, before: datetime) -> int:
        async with self._db.session() as s:
            result = await s.execute(delete(QuestionRow).where(QuestionRow.asked_at < before).returning(QuestionRow.id))
            return len(result.all())
