"""Storage of the knowledge register. Every change is one transaction with its revision."""
from __future__ import annotations

import builtins
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.register.model import (
    KIND_BY_PREFIX,
    AlreadySuperseded,
    Entry,
    EntryNotFound,
    Kind,
    NewEntry,
    Query,
    Revision,
    RevisionAction,
    Status,
)
from knowledge.register.search import IndexRow
from knowledge.storage._orm import Counter, EntryRow, PagerRow, RevisionRow
from knowledge.storage.botstate import _insert
from knowledge.storage.db import Database, json_list_contains
from knowledge.values import Scope


def _scopes(scopes: frozenset[Scope] | list[Scope]) -> list[str]:
    return sorted(s.serialise() for s in scopes)


def _to_entry(row: EntryRow, history: list[RevisionRow] | None = None) -> Entry:
    return Entry(
        id=row.id,
        kind=Kind(row.kind),
        number=row.number,
        scope=Scope.parse(row.scope),
        text=row.text,
        author=row.author,
        recorded_by=row.recorded_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        title=row.title,
        url=row.url,
        tags=tuple(row.tags or ()),
        lik=tuple(row.lik or ()),
        status=Status(row.status) if row.status else None,
        owner=row.owner,
        due=row.due,
        public=row.public,
        retracted=row.retracted,
        room_id=row.room_id,
        source_event_id=row.source_event_id,
        permalink=row.permalink,
        source_changed=row.source_changed,
        supersedes=row.supersedes,
        superseded_by=row.superseded_by,
        external_id=row.external_id,
        history=tuple(Revision(r.at, r.by, RevisionAction(r.action), r.before or {}, r.after or {}) for r in history or ()),
    )


def _snapshot(row: EntryRow, fields: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in fields:
        value = getattr(row, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _pager_dict(query: Query) -> dict[str, Any]:
    """A query as the pagers table keeps it (the format it has always had)."""
    if query.search is not None:
        return {"type": "search", "text": query.search}
    out: dict[str, Any] = {"type": "list", "kinds": [k.value for k in query.kinds]}
    if query.tag:
        out["tag"] = query.tag
    if query.since:
        out["since"] = query.since.date().isoformat()
    if query.scope:
        out["scope"] = query.scope.serialise()
    if query.status:
        out["status"] = query.status.value
    return out


def _pager_query(stored: dict[str, Any]) -> Query:
    if stored.get("type") == "search":
        return Query(kinds=(), scopes=None, search=stored["text"])
    since = stored.get("since")
    return Query(
        kinds=tuple(Kind(k) for k in stored["kinds"]),
        scopes=None,
        scope=Scope.parse(stored["scope"]) if stored.get("scope") else None,
        tag=stored.get("tag"),
        since=datetime.combine(date.fromisoformat(since), time.min, tzinfo=timezone.utc) if since else None,
        status=Status(stored["status"]) if stored.get("status") else None,
    )


class RegisterRepository:
    def __init__(self, db: Database):
        self._db = db

    async def _next_number(self, s: AsyncSession, kind: Kind) -> int:
        await s.execute(
            _insert(self._db, Counter).values(name=kind.value, value=0).on_conflict_do_nothing(index_elements=[Counter.name])
        )
        result = await s.execute(
            update(Counter).where(Counter.name == kind.value).values(value=Counter.value + 1).returning(Counter.value)
        )
        return result.scalar_one()

    async def _row(self, s: AsyncSession, kind: Kind, number: int, lock: bool = False) -> EntryRow:
        stmt = select(EntryRow).where(EntryRow.kind == kind.value, EntryRow.number == number)
        if lock and self._db.backend == "postgresql":
            stmt = stmt.with_for_update()
        row = await s.scalar(stmt)
        if row is None:
            raise EntryNotFound(f"{kind.prefix}-{number}")
        return row

    @staticmethod
    def _revise(s: AsyncSession, row: EntryRow, at: datetime, by: str, action: RevisionAction, before: dict[str, Any],
                after: dict[str, Any]) -> None:
        s.add(RevisionRow(entry_id=row.id, at=at, by=by, action=action.value, before=before, after=after))

    async def _create(self, s: AsyncSession, new: NewEntry, at: datetime, supersedes: str | None = None) -> EntryRow:
        row = EntryRow(
            kind=new.kind.value,
            number=await self._next_number(s, new.kind),
            scope=new.scope.serialise(),
            text=new.text,
            title=new.title,
            url=new.url,
            tags=list(new.tags),
            lik=list(new.lik),
            status=(new.status or Status.DECIDED).value if new.kind.has_status else None,
            owner=new.owner,
            due=new.due,
            public=new.public,
            retracted=False,
            room_id=new.room_id,
            source_event_id=new.source_event_id,
            permalink=new.permalink,
            source_changed=False,
            supersedes=supersedes,
            external_id=new.external_id,
            origin=new.origin,
            author=new.author,
            recorded_by=new.recorded_by,
            created_at=new.created_at or at,
            updated_at=at,
        )
        s.add(row)
        await s.flush()
        self._revise(s, row, at, new.recorded_by, RevisionAction.CREATED, {}, {"text": new.text})
        return row

    async def bulk_add(self, entries: list[NewEntry], at: datetime, batch: int = 5000) -> int:
        """Record many new entries quickly (large imports, benchmarks): numbers are reserved in
        one step, rows and their 'created' revisions inserted in batches. Origins must be new."""
        by_kind: dict[Kind, list[NewEntry]] = {}
        for new in entries:
            by_kind.setdefault(new.kind, []).append(new)
        async with self._db.session() as s:
            for kind, group in by_kind.items():
                await s.execute(
                    _insert(self._db, Counter).values(name=kind.value, value=0).on_conflict_do_nothing(index_elements=[Counter.name])
                )
                last = (await s.execute(
                    update(Counter).where(Counter.name == kind.value).values(value=Counter.value + len(group)).returning(Counter.value)
                )).scalar_one()
                first = last - len(group) + 1
                for start in range(0, len(group), batch):
                    rows = [
                        dict(kind=kind.value, number=first + start + i, scope=n.scope.serialise(), text=n.text, title=n.title, url=n.url,
                             tags=list(n.tags), lik=list(n.lik), status=(n.status or Status.DECIDED).value if kind.has_status else None,
                             owner=n.owner, due=n.due, public=n.public, retracted=False, room_id=n.room_id,
                             source_event_id=n.source_event_id, permalink=n.permalink, source_changed=False,
                             external_id=n.external_id, origin=n.origin, author=n.author, recorded_by=n.recorded_by,
                             created_at=n.created_at or at, updated_at=at)
                        for i, n in enumerate(group[start:start + batch])
                    ]
                    ids = (await s.execute(insert(EntryRow).returning(EntryRow.id, sort_by_parameter_order=True), rows)).scalars().all()
                    await s.execute(insert(RevisionRow), [
                        dict(entry_id=i, at=at, by=n.recorded_by, action=RevisionAction.CREATED.value, before={}, after={"text": n.text})
                        for i, n in zip(ids, group[start:start + batch])
                    ])
        return len(entries)

    async def by_origin(self, origin: str) -> Entry | None:
        async with self._db.session() as s:
            row = await s.scalar(select(EntryRow).where(EntryRow.origin == origin))
            return _to_entry(row) if row else None

    async def add(self, new: NewEntry, at: datetime) -> tuple[Entry, bool]:
        """Record an entry. The same origin (command event) twice gives the first entry back."""
        existing = await self.by_origin(new.origin)
        if existing:
            return existing, False
        async with self._db.session() as s:
            row = await self._create(s, new, at)
            return _to_entry(row), True

    async def supersede(self, old: tuple[Kind, int], new: NewEntry, at: datetime) -> tuple[Entry, Entry, bool]:
        """Record `new` as the successor of `old`, and mark `old` as replaced; both linked, one transaction."""
        existing = await self.by_origin(new.origin)
        if existing:
            return existing, await self.get(*old), False
        async with self._db.session() as s:
            old_row = await self._row(s, *old, lock=True)
            if old_row.superseded_by or old_row.retracted:
                raise AlreadySuperseded(old_row.superseded_by or "retracted")
            old_short = f"{old[0].prefix}-{old[1]}"
            row = await self._create(s, new, at, supersedes=old_short)
            new_short = f"{new.kind.prefix}-{row.number}"
            before = _snapshot(old_row, ("status", "superseded_by"))
            if old_row.status is not None:
                old_row.status = Status.SUPERSEDED.value
            old_row.superseded_by = new_short
            old_row.updated_at = at
            self._revise(s, old_row, at, new.recorded_by, RevisionAction.SUPERSEDED, before,
                         _snapshot(old_row, ("status", "superseded_by")))
            await s.flush()
            return _to_entry(row), _to_entry(old_row), True

    async def get(self, kind: Kind, number: int, history: bool = False) -> Entry:
        async with self._db.session() as s:
            row = await self._row(s, kind, number)
            revisions = None
            if history:
                revisions = list(
                    await s.scalars(select(RevisionRow).where(RevisionRow.entry_id == row.id).order_by(RevisionRow.id))
                )
            return _to_entry(row, revisions)

    async def get_many(self, ids: list[int]) -> list[Entry]:
        if not ids:
            return []
        async with self._db.session() as s:
            rows = {r.id: r for r in await s.scalars(select(EntryRow).where(EntryRow.id.in_(ids)))}
            return [_to_entry(rows[i]) for i in ids if i in rows]

    async def change(self, kind: Kind, number: int, by: str, at: datetime, action: RevisionAction,
                     values: dict[str, Any]) -> Entry:
        """Change fields of an entry and record before/after in its history (the register
        service names the changes; this is their one way into the table)."""
        async with self._db.session() as s:
            row = await self._row(s, kind, number, lock=True)
            fields = tuple(values)
            before = _snapshot(row, fields)
            for name, value in values.items():
                setattr(row, name, value.value if isinstance(value, Status) else value)
            row.updated_at = at
            self._revise(s, row, at, by, action, before, _snapshot(row, fields))
            await s.flush()
            return _to_entry(row)

    async def by_source(self, source_event_id: str) -> list[Entry]:
        async with self._db.session() as s:
            rows = await s.scalars(select(EntryRow).where(EntryRow.source_event_id == source_event_id))
            return [_to_entry(r) for r in rows]

    async def list(self, query: Query, limit: int, offset: int) -> tuple[builtins.list[Entry], int]:
        conditions: builtins.list[ColumnElement[bool]] = [EntryRow.kind.in_([k.value for k in query.kinds])]
        if query.scopes is not None:
            conditions.append(EntryRow.scope.in_(_scopes(query.scopes)))
        if query.scope:
            conditions.append(EntryRow.scope == query.scope.serialise())
        if query.status:
            conditions.append(EntryRow.status == query.status.value)
        if query.since:
            conditions.append(EntryRow.created_at >= query.since)
        if not query.include_retracted:
            conditions.append(EntryRow.retracted.is_(False))
        if query.tag:
            conditions.append(json_list_contains(self._db.backend, EntryRow.tags, query.tag))
        async with self._db.session() as s:
            total = await s.scalar(select(func.count(EntryRow.id)).where(*conditions)) or 0
            page = await s.scalars(select(EntryRow).where(*conditions)
                                   .order_by(EntryRow.created_at.desc(), EntryRow.id.desc()).offset(offset).limit(limit))
            return [_to_entry(r) for r in page], total

    async def index_rows(self) -> builtins.list[IndexRow]:
        """The search index's view of every entry, read column by column (fast at start-up)."""
        stmt = select(
            EntryRow.id, EntryRow.kind, EntryRow.number, EntryRow.scope, EntryRow.retracted, EntryRow.created_at,
            EntryRow.title, EntryRow.text, EntryRow.url, EntryRow.tags,
        )
        async with self._db.session() as s:
            result = await s.execute(stmt)
            return [
                IndexRow(
                    id_, Scope.parse(scope), retracted, created.timestamp(),
                    " ".join(filter(None, [f"{Kind(kind).prefix}-{number}", title, text, url, " ".join(tags or ())])),
                )
                for id_, kind, number, scope, retracted, created, title, text, url, tags in result
            ]

    async def created_between(self, scopes: frozenset[Scope] | None, start: datetime, end: datetime,
                              public_only: bool = False) -> builtins.list[Entry]:
        conditions = [EntryRow.created_at > start, EntryRow.created_at <= end, EntryRow.retracted.is_(False)]  # (start, end]
        if scopes is not None:
            conditions.append(EntryRow.scope.in_(_scopes(scopes)))
        if public_only:
            conditions.append(EntryRow.public.is_(True))
        async with self._db.session() as s:
            rows = await s.scalars(select(EntryRow).where(*conditions).order_by(EntryRow.created_at, EntryRow.id))
            return [_to_entry(r) for r in rows]

    async def weeks(self, wanted: builtins.list[Scope], start: datetime, end: datetime, limit: int) -> dict[Scope, dict[str, Any]]:
        """Everything digests need from the register for (start, end], for many scopes at once, in a
        constant number of queries: per scope the newest `limit` decisions/agreements and links
        (a window function), totals per kind, and status changes."""
        decided = [Kind.DECISION.value, Kind.AGREEMENT.value]
        scopes = _scopes(wanted)
        base = [EntryRow.created_at > start, EntryRow.created_at <= end, EntryRow.retracted.is_(False), EntryRow.scope.in_(scopes)]
        group = case((EntryRow.kind.in_(decided), "decisions"), (EntryRow.kind == Kind.LINK.value, "links"), else_="other")
        ranked = (select(EntryRow.id.label("id"), group.label("grp"),
                         func.row_number().over(partition_by=(EntryRow.scope, group),
                                                order_by=(EntryRow.created_at.desc(), EntryRow.id.desc())).label("rn"))
                  .where(*base).subquery())
        newest = (select(EntryRow, ranked.c.grp).join(ranked, ranked.c.id == EntryRow.id)
                  .where(ranked.c.rn <= limit, ranked.c.grp != "other").order_by(EntryRow.created_at.desc(), EntryRow.id.desc()))
        changes = (select(EntryRow, RevisionRow).join(RevisionRow, RevisionRow.entry_id == EntryRow.id)
                   .where(RevisionRow.action == RevisionAction.STATUS.value, RevisionRow.at > start, RevisionRow.at <= end,
                          EntryRow.retracted.is_(False), EntryRow.scope.in_(scopes))
                   .order_by(RevisionRow.at))
        out: dict[str, dict[str, Any]] = {
            scope: {"decisions": [], "links": [], "decisions_total": 0, "links_total": 0, "status_changes": []} for scope in scopes
        }
        async with self._db.session() as s:
            for scope, kind, count in (await s.execute(select(EntryRow.scope, EntryRow.kind, func.count(EntryRow.id))
                                                        .where(*base).group_by(EntryRow.scope, EntryRow.kind))).all():
                if kind in decided:
                    out[scope]["decisions_total"] += count
                elif kind == Kind.LINK.value:
                    out[scope]["links_total"] += count
            for row, grp in (await s.execute(newest)).all():
                out[row.scope][grp].append(_to_entry(row))
            for e, r in (await s.execute(changes)).all():
                if r.before.get("status") != r.after.get("status"):
                    out[e.scope]["status_changes"].append((_to_entry(e), r.before.get("status"), r.after.get("status")))
        return {Scope.parse(scope): week for scope, week in out.items()}

    async def entries_in(self, scopes: frozenset[Scope] | None, kinds: tuple[Kind, ...], public_only: bool = False) -> builtins.list[Entry]:
        conditions = [EntryRow.kind.in_([k.value for k in kinds]), EntryRow.retracted.is_(False)]
        if scopes is not None:
            conditions.append(EntryRow.scope.in_(_scopes(scopes)))
        if public_only:
            conditions.append(EntryRow.public.is_(True))
        async with self._db.session() as s:
            rows = await s.scalars(select(EntryRow).where(*conditions).order_by(EntryRow.created_at, EntryRow.id))
            return [_to_entry(r) for r in rows]

    async def by_person(self, user_id: str) -> builtins.list[Entry]:
        async with self._db.session() as s:
            rows = await s.scalars(select(EntryRow).where(or_(EntryRow.author == user_id, EntryRow.recorded_by == user_id)).order_by(EntryRow.id))
            return [_to_entry(r) for r in rows]

    async def pseudonymise(self, user_id: str, replacement: str) -> int:
        """Authorship and history entries of a person become `replacement` (their role)."""
        async with self._db.session() as s:
            changed = 0
            for column in (EntryRow.author, EntryRow.recorded_by, EntryRow.owner):
                result = await s.execute(update(EntryRow).where(column == user_id).values({column.key: replacement}).returning(EntryRow.id))
                changed += len(result.all())
            await s.execute(update(RevisionRow).where(RevisionRow.by == user_id).values(by=replacement))
            await s.execute(delete(PagerRow).where(PagerRow.user_id == user_id))
            return changed

    async def count(self) -> int:
        async with self._db.session() as s:
            return await s.scalar(select(func.count(EntryRow.id))) or 0

    async def external_ids(self) -> dict[str, str]:
        """external id -> short id, for imports that link entries to each other."""
        async with self._db.session() as s:
            rows = await s.execute(select(EntryRow.external_id, EntryRow.kind, EntryRow.number).where(EntryRow.external_id.is_not(None)))
            return {ext: f"{Kind(kind).prefix}-{number}" for ext, kind, number in rows if ext is not None}

    async def save_pager(self, user_id: str, room_id: str, query: Query, offset: int) -> None:
        stored = _pager_dict(query)
        stmt = _insert(self._db, PagerRow).values(user_id=user_id, room_id=room_id, query=stored, offset=offset)
        stmt = stmt.on_conflict_do_update(
            index_elements=[PagerRow.user_id, PagerRow.room_id], set_={"query": stored, "offset": offset}
        )
        async with self._db.session() as s:
            await s.execute(stmt)

    async def load_pager(self, user_id: str, room_id: str) -> tuple[Query, int] | None:
        async with self._db.session() as s:
            row = await s.get(PagerRow, (user_id, room_id))
            return (_pager_query(row.query), row.offset) if row else None

    async def link_import(self, short_id: str, *, supersedes: str | None, superseded_by: str | None) -> None:
        kind_prefix, number = short_id.split("-")
        values = {k: v for k, v in (("supersedes", supersedes), ("superseded_by", superseded_by)) if v}
        if not values:
            return
        async with self._db.session() as s:
            await s.execute(
                update(EntryRow)
                .where(EntryRow.kind == KIND_BY_PREFIX[kind_prefix].value, EntryRow.number == int(number))
                .where(or_(*(getattr(EntryRow, k).is_(None) for k in values)))
                .values(**values)
            )
