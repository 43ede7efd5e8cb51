"""Storage of the directory. Each change is one transaction with its revision."""
from __future__ import annotations

from dataclasses import asdict, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from knowledge.directory.model import Asker, LearnedPhrase, OpenQuestion, RoleEntry, RoleNotFound, RoleStatus, Visibility
from knowledge.storage._orm import Counter, LearnedPhraseRow, QuestionAskerRow, QuestionRow, RoleRevisionRow, RoleRow
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

    async def log_question(self, text: str, at: datetime, handlungsfeld: str | None, asker: Asker | None = None) -> int:
        """Note a question nobody could answer; the asker only so that the answer can reach them later."""
        async with self._db.session() as s:
            row = QuestionRow(asked_at=at, text=text[:500], handlungsfeld=handlungsfeld)
            s.add(row)
            await s.flush()
            if asker:
                s.add(QuestionAskerRow(question_id=row.id, user_id=asker.user_id, room_id=asker.room_id,
                                       direct=asker.direct, lang=asker.lang))
            return row.id

    async def open_questions(self, since: datetime, limit: int = 20) -> tuple[list[tuple[datetime, str, str | None]], int]:
        found, total = await self.open_question_list(since, limit)
        return [(q.asked_at, q.text, q.handlungsfeld) for q in found], total

    async def open_question_list(self, since: datetime, limit: int = 20) -> tuple[list[OpenQuestion], int]:
        """Unresolved questions since `since`, newest first, and how many there are."""
        async with self._db.session() as s:
            where = (QuestionRow.asked_at >= since, QuestionRow.resolved_at.is_(None))
            total = await s.scalar(select(func.count(QuestionRow.id)).where(*where)) or 0
            rows = await s.scalars(select(QuestionRow).where(*where).order_by(QuestionRow.asked_at.desc()).limit(limit))
            return [OpenQuestion(r.id, r.asked_at, r.text, r.handlungsfeld) for r in rows], total

    async def question(self, number: int) -> OpenQuestion | None:
        async with self._db.session() as s:
            row = await s.get(QuestionRow, number)
            if row is None:
                return None
            return OpenQuestion(row.id, row.asked_at, row.text, row.handlungsfeld, row.resolved_at, row.resolved_to)

    async def resolve_question(self, number: int, phrase: str, kind: str, target: str, by: str, at: datetime) -> Asker | None:
        """In one transaction: store the phrase as network vocabulary, mark the question resolved,
        and hand back (and forget) who asked it, so the answer can be sent once."""
        async with self._db.session() as s:
            row = await s.get(QuestionRow, number)
            if row is None or row.resolved_at is not None:
                raise LookupError(number)
            s.add(LearnedPhraseRow(phrase=phrase[:300], kind=kind, target=target, created_by=by, created_at=at, question_id=number))
            row.resolved_at, row.resolved_to = at, f"{kind}:{target}"
            asker_row = await s.get(QuestionAskerRow, number)
            asker = None
            if asker_row:
                asker = Asker(asker_row.user_id, asker_row.room_id, asker_row.direct, asker_row.lang)
                await s.delete(asker_row)
            return asker

    async def learn(self, phrase: str, kind: str, target: str, by: str, at: datetime) -> None:
        async with self._db.session() as s:
            s.add(LearnedPhraseRow(phrase=phrase[:300], kind=kind, target=target, created_by=by, created_at=at))

    async def learned(self) -> list[LearnedPhrase]:
        async with self._db.session() as s:
            rows = await s.scalars(select(LearnedPhraseRow).order_by(LearnedPhraseRow.id))
            return [LearnedPhrase(r.id, r.phrase, r.kind, r.target, r.created_by, r.created_at) for r in rows]

    async def questions_asked_by(self, user_id: str) -> list[OpenQuestion]:
        """For `!meine-daten`: the open questions whose answer Lotse still has to send this person."""
        async with self._db.session() as s:
            rows = await s.execute(select(QuestionRow).join(QuestionAskerRow, QuestionAskerRow.question_id == QuestionRow.id)
                                   .where(QuestionAskerRow.user_id == user_id))
            return [OpenQuestion(r.id, r.asked_at, r.text, r.handlungsfeld) for (r,) in rows]

    async def forget_asker(self, user_id: str) -> int:
        async with self._db.session() as s:
            result = await s.execute(delete(QuestionAskerRow).where(QuestionAskerRow.user_id == user_id).returning(QuestionAskerRow.question_id))
            return len(result.all())

    async def pseudonymise_learned(self, user_id: str, replacement: str) -> int:
        async with self._db.session() as s:
            result = await s.execute(update(LearnedPhraseRow).where(LearnedPhraseRow.created_by == user_id)
                                     .values(created_by=replacement).returning(LearnedPhraseRow.id))
            return len(result.all())

    async def prune_questions(self, before: datetime) -> int:
        async with self._db.session() as s:
            old = select(QuestionRow.id).where(QuestionRow.asked_at < before)
            await s.execute(delete(QuestionAskerRow).where(QuestionAskerRow.question_id.in_(old)))
            result = await s.execute(delete(QuestionRow).where(QuestionRow.asked_at < before).returning(QuestionRow.id))
            return len(result.all())
