"""The register as handlers use it: the repository for truth, the search index kept in step."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from knowledge.register import Entry, Kind, NewEntry, Query
from knowledge.search import SearchIndex
from knowledge.storage import RegisterRepository


class KnowledgeBase:
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

    async def change(self, kind: Kind, number: int, by: str, at: datetime, action: str, **values: Any) -> Entry:
        entry = await self.repository.change(kind, number, by, at, action, **values)
        self.index.upsert(entry)
        return entry

    async def list(self, query: Query, limit: int, offset: int) -> tuple[list[Entry], int]:
        return await self.repository.list(query, limit, offset)

    async def search(self, text: str, scopes: frozenset[str] | None, limit: int, offset: int) -> tuple[list[Entry], int]:
        ids = self.index.search(text, scopes)
        return await self.repository.get_many(ids[offset:offset + limit]), len(ids)

    async def by_source(self, source_event_id: str) -> list[Entry]:
        return await self.repository.by_source(source_event_id)
