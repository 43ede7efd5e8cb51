"""Storage for imports: one transaction for a whole import, bulk inserts, history rows.

Everything an import writes happens in the session of one `ImportTransaction`; it is
committed only if the importer says `keep = True` at the end (no problems, not a dry run),
otherwise rolled back — so an interrupted or refused import leaves the store as it was.
History uses the register's and the directory's own revision tables: created entries get a
"created" (register) / "imported" (directory) revision, changed ones an "imported" revision
with the fields before and after.
"""
from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, Boolean, Date, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.directory.model import RoleEntry
from knowledge.meetings.model import Meeting
from knowledge.register.model import Kind, NewEntry, RevisionAction, Status, parse_short_id
from knowledge.storage._orm import Counter, EntryRow, MeetingRow, RevisionRow, RoleRevisionRow, RoleRow, UTCDateTime
from knowledge.storage.botstate import _insert
from knowledge.storage.db import Database
from knowledge.storage.directory import _diff, _from_doc
from knowledge.storage.meetings import _meeting
from knowledge.text import fold
from knowledge.values import Scope

IMPORTED = RevisionAction.IMPORTED.value  # the register's and the directory's revision action for imports


def jsonable(value: Any) -> Any:
    if isinstance(value, Scope):
        return value.serialise()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True)
class StoredEntry:
    """What an import compares a row with: the register's fields in domain types."""

    id: int
    short_id: str
    external_id: str | None
    values: dict[str, Any]  # kind, scope, text, title, url, status, owner, due, lik, tags, public
    created_at: datetime
    supersedes: str | None
    superseded_by: str | None


_ENTRY_COLUMNS = (EntryRow.id, EntryRow.kind, EntryRow.number, EntryRow.external_id, EntryRow.scope, EntryRow.text,
                  EntryRow.title, EntryRow.url, EntryRow.status, EntryRow.owner, EntryRow.due, EntryRow.lik,
                  EntryRow.tags, EntryRow.public, EntryRow.created_at, EntryRow.supersedes, EntryRow.superseded_by)


def _stored(row: Any) -> StoredEntry:
    kind = Kind(row.kind)
    return StoredEntry(
        id=row.id, short_id=f"{kind.prefix}-{row.number}", external_id=row.external_id,
        values={"kind": kind, "scope": Scope.parse(row.scope), "text": row.text, "title": row.title, "url": row.url,
                "status": Status(row.status) if row.status else None, "owner": row.owner, "due": row.due,
                "lik": tuple(row.lik or ()), "tags": tuple(row.tags or ()), "public": bool(row.public)},
        created_at=row.created_at, supersedes=row.supersedes, superseded_by=row.superseded_by,
    )


@lru_cache(maxsize=8192)  # an import repeats its own moment and a few thousand dates
def _sqlite_datetime(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _json(value: Any) -> str:
    if type(value) is RawJSON:
        return value
    return "[]" if value == [] else "{}" if value == {} else json.dumps(value)


def _sqlite_converters(table: Any, names: list[str]) -> list[Any]:
    """Per column, how SQLAlchemy's SQLite types would store a value (UTCDateTime, Date, JSON, Boolean)."""
    out: list[Any] = []
    for name in names:
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime):
            out.append(_sqlite_datetime)
        elif isinstance(kind, Date):
            out.append(_sqlite_date)
        elif isinstance(kind, JSON):
            out.append(_json)
        elif isinstance(kind, Boolean):
            out.append(_sqlite_bool)
        else:
            out.append(None)
    return out


_ROLE_FIELDS = tuple(f.name for f in fields(RoleEntry))
_ROLE_LISTS = {"topics", "handlungsfelder", "lik", "languages", "office_hours", "target_groups"}
_ROLE_ENUMS = {"status", "visibility"}
_ROLE_DATES = {"funded_until", "last_confirmed", "confirmation_requested"}


def role_doc(entry: RoleEntry) -> dict[str, Any]:
    """The directory's stored document of an entry (what `storage.directory._to_doc` makes), without
    `dataclasses.asdict`'s deep copies: a 100,000-row import makes one per row."""
    doc = dict(zip(_ROLE_FIELDS, (getattr(entry, name) for name in _ROLE_FIELDS)))
    for name in _ROLE_LISTS:
        doc[name] = list(doc[name])
    for name in _ROLE_ENUMS:
        doc[name] = doc[name].value
    for name in _ROLE_DATES:
        if doc[name] is not None:
            doc[name] = doc[name].isoformat()
    return doc


class RawJSON(str):
    """A JSON document already serialised (one document stored twice: the row and its 'created' revision)."""


class ImportTransaction:
    def __init__(self, db: Database, session: AsyncSession, at: datetime, by: str):
        self._db = db
        self.session = session
        self.at = at
        self.by = by
        self.keep = False

    async def _bulk_insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        """Insert many rows in one driver call. On SQLite the parameters are prepared here, in one
        pass (SQLAlchemy's per-value type processing costs more than SQLite's insert); PostgreSQL
        goes through SQLAlchemy's executemany."""
        if not rows:
            return
        if self._db.backend != "sqlite":
            await self.session.execute(insert(table), rows)
            return
        names = list(rows[0])
        columns = ", ".join(f'"{n}"' for n in names)
        sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({", ".join("?" for _ in names)})'
        values = []
        for name, convert in zip(names, _sqlite_converters(table, names)):
            column = [r[name] for r in rows]
            values.append(column if convert is None else list(map(convert, column)))
        connection = await self.session.connection()
        await connection.exec_driver_sql(sql, list(zip(*values)))

    async def _reserve(self, name: str, count: int) -> int:
        """Reserve `count` running numbers of a counter; the first one."""
        s = self.session
        await s.execute(_insert(self._db, Counter).values(name=name, value=0).on_conflict_do_nothing(index_elements=[Counter.name]))
        last = (await s.execute(update(Counter).where(Counter.name == name).values(value=Counter.value + count)
                                .returning(Counter.value))).scalar_one()
        return int(last) - count + 1

    # ----- register -------------------------------------------------------------------------

    async def entries_for(self, keys: list[str]) -> dict[str, StoredEntry]:
        """Stored entries for import keys: by external id, else (B-12) by short id."""
        found: dict[str, StoredEntry] = {}
        if not keys:
            return found
        for row in await self.session.execute(select(*_ENTRY_COLUMNS).where(EntryRow.external_id.in_(keys))):
            found[row.external_id] = _stored(row)
        shorts = {k: parse_short_id(k) for k in keys if k not in found}
        wanted = {(kind.value, number): key for key, parsed in shorts.items() if parsed for kind, number in [parsed]}
        if wanted:
            numbers = sorted({n for _, n in wanted})
            rows = await self.session.execute(select(*_ENTRY_COLUMNS).where(EntryRow.number.in_(numbers)))
            for row in rows:
                key = wanted.get((row.kind, row.number))
                if key is not None:
                    found[key] = _stored(row)
        return found

    async def insert_entries(self, entries: list[NewEntry]) -> None:
        by_kind: dict[Kind, list[NewEntry]] = {}
        for new in entries:
            by_kind.setdefault(new.kind, []).append(new)
        for kind, group in by_kind.items():
            first = await self._reserve(kind.value, len(group))
            default_status = Status.DECIDED.value if kind.has_status else None
            kind_value = kind.value
            status_value = {s: s.value for s in Status}
            rows = [
                dict(kind=kind_value, number=first + i, scope=n.scope.serialise(), text=n.text, title=n.title, url=n.url,
                     tags=list(n.tags), lik=list(n.lik), status=status_value[n.status] if n.status and default_status else default_status,
                     owner=n.owner, due=n.due, public=n.public, retracted=False, room_id=None, source_event_id=None,
                     permalink=None, source_changed=False, external_id=n.external_id, origin=n.origin, author=n.author,
                     recorded_by=n.recorded_by, created_at=n.created_at or self.at, updated_at=self.at)
                for i, n in enumerate(group)
            ]
            # Plain executemany (one driver call), then the ids by the reserved numbers: RETURNING would
            # make SQLite run one statement per row.
            await self._bulk_insert(EntryRow.__table__, rows)
            ids = dict((await self.session.execute(
                select(EntryRow.number, EntryRow.id).where(EntryRow.kind == kind.value, EntryRow.number >= first,
                                                           EntryRow.number < first + len(group)))).all())
            await self._bulk_insert(RevisionRow.__table__, [
                dict(entry_id=ids[first + i], at=self.at, by=n.recorded_by, action=RevisionAction.CREATED.value, before={}, after={"text": n.text})
                for i, n in enumerate(group)
            ])

    async def change_entries(self, changes: list[tuple[int, dict[str, Any]]]) -> None:
        """Apply (entry id, {field: new value}) and record an 'imported' revision with before and after."""
        if not changes:
            return
        ids = [entry_id for entry_id, _ in changes]
        current = {r.id: r for r in await self.session.execute(select(*_ENTRY_COLUMNS).where(EntryRow.id.in_(ids)))}
        revisions = []
        for entry_id, values in changes:
            row = current[entry_id]
            before = {k: jsonable(_column_value(row, k)) for k in values}
            stored = {k: (v.serialise() if isinstance(v, Scope) else v.value if isinstance(v, enum.Enum)
                          else list(v) if isinstance(v, tuple) else v) for k, v in values.items()}
            await self.session.execute(update(EntryRow).where(EntryRow.id == entry_id).values(**stored, updated_at=self.at))
            revisions.append(dict(entry_id=entry_id, at=self.at, by=self.by, action=IMPORTED, before=before,
                                  after={k: jsonable(v) for k, v in values.items()}))
        await self.session.execute(insert(RevisionRow), revisions)

    async def short_ids(self, keys: set[str]) -> dict[str, str]:
        """Import key -> short id, for the keys that name an entry (after this import's inserts)."""
        found = await self.entries_for(sorted(keys))
        return {key: entry.short_id for key, entry in found.items()}

    # ----- directory ------------------------------------------------------------------------

    async def roles_for(self, ids: list[str]) -> dict[str, RoleEntry]:
        if not ids:
            return {}
        rows = await self.session.execute(select(RoleRow.id, RoleRow.data).where(RoleRow.id.in_(ids)))
        return {row_id: _from_doc(data) for row_id, data in rows}

    async def role_ids(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        return set(await self.session.scalars(select(RoleRow.id).where(RoleRow.id.in_(ids))))

    async def role_people(self) -> dict[str, list[str]]:
        """Folded person name -> role ids, over the stored directory (to read "Vertretung: Jonas Brettschneider")."""
        out: dict[str, list[str]] = {}
        for row_id, data in await self.session.execute(select(RoleRow.id, RoleRow.data)):
            person = (data or {}).get("person")
            if person:
                out.setdefault(fold(person), []).append(row_id)
        return out

    async def write_roles(self, created: list[RoleEntry], changed: list[tuple[RoleEntry, RoleEntry]]) -> None:
        if created:
            docs: list[tuple[RoleEntry, Any]] = [(e, role_doc(e)) for e in created]
            if self._db.backend == "sqlite":
                docs = [(e, RawJSON(json.dumps(doc))) for e, doc in docs]
            await self._bulk_insert(RoleRow.__table__, [
                dict(id=e.id, matrix_id=e.matrix_id, status=e.status.value, data=doc, updated_at=self.at) for e, doc in docs])
            await self._bulk_insert(RoleRevisionRow.__table__, [
                dict(entry_id=e.id, at=self.at, by=self.by, action=IMPORTED, before={}, after=doc) for e, doc in docs])
        revisions = []
        for old, new in changed:
            doc = role_doc(new)
            before, after = _diff(role_doc(old), doc)
            await self.session.execute(update(RoleRow).where(RoleRow.id == new.id).values(
                data=doc, matrix_id=new.matrix_id, status=new.status.value, updated_at=self.at))
            revisions.append(dict(entry_id=new.id, at=self.at, by=self.by, action=IMPORTED, before=before, after=after))
        if revisions:
            await self.session.execute(insert(RoleRevisionRow), revisions)

    # ----- meetings -------------------------------------------------------------------------

    async def meetings_for(self, external_ids: list[str], own: dict[str, int] | None = None) -> dict[str, Meeting]:
        """Stored meetings by external id (the calendar's UID); `own` maps keys of Lotse's own exported
        events (lotse-meeting-<id>@lotse) to meeting ids."""
        found: dict[str, Meeting] = {}
        if external_ids:
            rows = await self.session.scalars(select(MeetingRow).where(MeetingRow.external_id.in_(external_ids)))
            found = {r.external_id: _meeting(r) for r in rows if r.external_id}
        if own:
            by_id = {r.id: r for r in await self.session.scalars(select(MeetingRow).where(MeetingRow.id.in_(sorted(own.values()))))}
            found.update({key: _meeting(by_id[i]) for key, i in own.items() if i in by_id})
        return found

    async def add_meeting(self, meeting: Meeting, origin: str) -> None:
        number = await self._reserve("meeting", 1)
        self.session.add(MeetingRow(number=number, origin=origin, created_by=self.by, created_at=self.at,
                                    **_meeting_columns(meeting)))
        await self.session.flush()

    async def change_meeting(self, number: int, meeting: Meeting) -> None:
        await self.session.execute(update(MeetingRow).where(MeetingRow.number == number).values(**_meeting_columns(meeting)))


def _column_value(row: Any, name: str) -> Any:
    return getattr(row, name)


def _meeting_columns(m: Meeting) -> dict[str, Any]:
    return dict(
        scope=m.scope.serialise(), room_id=m.room_id, title=m.title, start=m.start, timezone=m.timezone,
        duration_minutes=int(m.duration.total_seconds() // 60), rrule=m.rrule,
        exdates=[x.isoformat() for x in m.exdates], location=m.location, video_link=m.video_link,
        reminders=[int(r.total_seconds() // 60) for r in m.reminders],
        agenda_call_minutes=int(m.agenda_call.total_seconds() // 60) if m.agenda_call else None,
        organiser=m.organiser, cancelled=m.cancelled, external_id=m.external_id, public=m.public,
    )


class _Rollback(Exception):
    pass


class StoreUnavailable(Exception):
    """The database cannot be reached or is locked; nothing was stored."""


async def open_database(url: str) -> Database:
    """Open (and migrate) the database, or raise StoreUnavailable."""
    db = Database(url)
    try:
        await db.open()
    except OperationalError:
        await db.close()
        raise StoreUnavailable from None
    return db


class OnboardingStore:
    def __init__(self, db: Database):
        self._db = db

    @asynccontextmanager
    async def transaction(self, at: datetime, by: str) -> AsyncIterator[ImportTransaction]:
        """One unit of work for a whole import: committed if the body sets `keep`, else rolled back."""
        try:
            async with self._db.session() as s:
                tx = ImportTransaction(self._db, s, at, by)
                yield tx
                if not tx.keep:
                    raise _Rollback
        except _Rollback:
            pass
        except OperationalError:
            raise StoreUnavailable from None
