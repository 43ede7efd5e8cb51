"""The register as handlers use it: the repository for truth, the search index kept in step.

Every change is named for what it does (`set_status`, `retract`, …); each writes the entry
and its revision in one transaction and then updates the search index.
"""
from __future__ import annotations

import builtins
from datetime import date, datetime
from typing import Any

from knowledge.register.model import Entry, Kind, NewEntry, Query, RevisionAction, Status
from knowledge.register.search import SearchIndex
from knowledge.storage import RegisterRepository
from knowledge.values import Scope


class RegisterService:
    def __init__(self, repository: RegisterRepository):
        self.repository = repository
        self.index = SearchIndex()

    async def load(self) -> None:
        """(Re)build the search index from the database."""
        self.index.rebuild(await self.repository.index_rows())

    async def record(self, new: NewEntry, at: datetime) -> tuple[Entry, bool]:
        entry, created = await self.repository.add(new, at)
        if created:
            self.index.upsert(entry)
        return entry, created

    async def supersede(self, old: tuple[Kind, int], new: NewEntry, at: datetime) -> tuple[Entry, Entry, bool]:
        entry, replaced, created = await self.repository.supersede(old, new, at)
        if created:
            self.index.upsert(entry)
            self.index.upsert(replaced)
        return entry, replaced, created

    async def get(self, kind: Kind, number: int, history: bool = False) -> Entry:
        return await self.repository.get(kind, number, history)

    async def _change(self, ref: tuple[Kind, int], by: str, at: datetime, action: RevisionAction,
                      values: dict[str, Any]) -> Entry:
        entry = await self.repository.change(*ref, by, at, action, values)
        self.index.upsert(entry)
        return entry

    async def set_status(self, ref: tuple[Kind, int], by: str, at: datetime, status: Status,
                         owner: str | None = None, due: date | None = None) -> Entry:
        """A new status; owner and due date change only when given."""
        values: dict[str, Any] = {"status": status.value}
        if owner:
            values["owner"] = owner
        if due:
            values["due"] = due
        return await self._change(ref, by, at, RevisionAction.STATUS, values)

    async def edit(self, ref: tuple[Kind, int], by: str, at: datetime, text: str,
                   tags: tuple[str, ...] = (), lik: tuple[str, ...] = ()) -> Entry:
        """New text (a link's title); tags and LIK ids change only when given."""
        values: dict[str, Any] = {"title": text} if ref[0] is Kind.LINK else {"text": text}
        if tags:
            values["tags"] = list(tags)
        if lik:
            values["lik"] = list(lik)
        return await self._change(ref, by, at, RevisionAction.EDITED, values)

    async def retract(self, ref: tuple[Kind, int], by: str, at: datetime) -> Entry:
        return await self._change(ref, by, at, RevisionAction.RETRACTED, {"retracted": True})

    async def set_public(self, ref: tuple[Kind, int], by: str, at: datetime, public: bool) -> Entry:
        return await self._change(ref, by, at, RevisionAction.VISIBILITY, {"public": public})

    async def source_changed(self, ref: tuple[Kind, int], by: str, at: datetime) -> Entry:
        """The message an entry was recorded from was edited: the entry keeps its text."""
        return await self._change(ref, by, at, RevisionAction.SOURCE_CHANGED, {"source_changed": True})

    async def source_redacted(self, ref: tuple[Kind, int], by: str, at: datetime) -> Entry:
        """The message an entry was recorded from was deleted: the link to it goes."""
        return await self._change(ref, by, at, RevisionAction.SOURCE_REDACTED, {"permalink": None})

    async def list(self, query: Query, limit: int, offset: int) -> tuple[builtins.list[Entry], int]:
        return await self.repository.list(query, limit, offset)

    async def search(self, text: str, scopes: frozenset[Scope] | None, limit: int, offset: int) -> tuple[builtins.list[Entry], int]:
        ids = self.index.search(text, scopes)
        return await self.repository.get_many(ids[offset:offset + limit]), len(ids)

    async def remember_listing(self, user_id: str, room_id: str, query: Query, offset: int) -> None:
        """Where a person's last list or search in a room stopped, for `!mehr`."""
        await self.repository.save_pager(user_id, room_id, query, offset)

    async def last_listing(self, user_id: str, room_id: str) -> tuple[Query, int] | None:
        return await self.repository.load_pager(user_id, room_id)

    # Reads for digests and reports, over many scopes at once.

    async def weeks(self, scopes: builtins.list[Scope], start: datetime, end: datetime, limit: int) -> dict[Scope, dict[str, Any]]:
        return await self.repository.weeks(scopes, start, end, limit)

    async def created_between(self, scopes: frozenset[Scope] | None, start: datetime, end: datetime,
                              public_only: bool = False) -> builtins.list[Entry]:
        return await self.repository.created_between(scopes, start, end, public_only)

    async def entries_in(self, scopes: frozenset[Scope] | None, kinds: tuple[Kind, ...], public_only: bool = False) -> builtins.list[Entry]:
        return await self.repository.entries_in(scopes, kinds, public_only)

    async def by_source(self, source_event_id: str) -> builtins.list[Entry]:
        return await self.repository.by_source(source_event_id)
