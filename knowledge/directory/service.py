"""The directory as handlers and jobs use it: storage for truth, the lookup engine kept in step."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from babel import Locale

from knowledge.directory.files import DirectoryImportError
from knowledge.directory.lookup import LookupEngine
from knowledge.directory.model import LookupResult, RoleEntry, RoleNotFound, RoleStatus
from knowledge.directory.synonyms import SynonymTable
from knowledge.storage import DirectoryRepository


class DirectoryService:
    def __init__(self, repository: DirectoryRepository, table: SynonymTable, hf_topics: dict[str, tuple[str, ...]] | None = None):
        self.repository = repository
        self.table = table
        self.engine = LookupEngine(table, hf_topics)

    async def load(self) -> None:
        self.engine.load(await self.repository.all())

    def lookup(self, text: str, visible: set[str] | None = None) -> LookupResult:
        return self.engine.lookup(text, visible)

    def get(self, entry_id: str) -> RoleEntry:
        entry = self.engine.get(entry_id)
        if entry is None:
            raise RoleNotFound(entry_id)
        return entry

    def all(self) -> list[RoleEntry]:
        return self.engine.entries()

    def held_by(self, user_id: str) -> list[RoleEntry]:
        return [e for e in self.all() if e.matrix_id == user_id]

    async def save(self, entry: RoleEntry, by: str, at: datetime, action: str) -> RoleEntry:
        await self.repository.save(entry, by, at, action)
        self.engine.upsert(entry)
        return entry

    async def update(self, entry_id: str, by: str, at: datetime, action: str, **values: Any) -> RoleEntry:
        return await self.save(self.get(entry_id).with_changes(**values), by, at, action)

    async def import_entries(self, entries: list[RoleEntry], by: str, at: datetime) -> int:
        """All or nothing: references must resolve against the directory after the import."""
        known = {e.id for e in self.all()} | {e.id for e in entries}
        problems = [
            f"entry {e.id}, field '{name}': refers to '{ref}', which is not in the directory"
            for e in entries for name, ref in (("deputy", e.deputy), ("successor", e.successor)) if ref and ref not in known
        ]
        if problems:
            raise DirectoryImportError(problems)
        changed = await self.repository.save_many(entries, by, at, "imported")
        await self.load()
        return changed

    async def create(self, role: str, organisation: str, topics: tuple[str, ...], handlungsfelder: tuple[str, ...],
                     by: str, at: datetime) -> RoleEntry:
        """A new role added in chat (id R-<n>), confirmed by whoever added it."""
        entry = RoleEntry(id=await self.repository.next_id(), role=role, organisation=organisation, topics=topics,
                          handlungsfelder=handlungsfelder, last_confirmed=at.date(), confirmed_by=by)
        return await self.save(entry, by, at, "created")

    async def note_question(self, text: str, at: datetime, handlungsfeld: str | None) -> None:
        """A question nobody could be found for, kept without who asked it."""
        await self.repository.log_question(text, at, handlungsfeld)

    async def open_questions(self, since: datetime, limit: int = 20) -> tuple[list[tuple[datetime, str, str | None]], int]:
        return await self.repository.open_questions(since, limit)

    async def prune_questions(self, before: datetime) -> int:
        return await self.repository.prune_questions(before)

    async def left_since(self, entry_id: str) -> datetime | None:
        """When the role was first marked as left (its history says), or None."""
        marks = [at for at, _by, _action, _before, after in await self.repository.history(entry_id)
                 if after.get("status") == RoleStatus.LEFT.value]
        return min(marks) if marks else None

    async def pseudonymise_history(self, values: set[str], replacement: str) -> None:
        await self.repository.pseudonymise_history(values, replacement)

    def topic_name(self, topic: str, lang: str) -> str:
        found = self.table.topics.get(topic)
        return found.name(lang) if found else topic

    def language_name(self, code: str, lang: str) -> str:
        """'Ukrainisch' / 'Ukrainian': Babel's locale data, then the synonym table, then the code."""
        name: str | None = Locale.parse(lang).languages.get(code)
        if name:
            return name[:1].upper() + name[1:]
        labels = self.table.language_labels.get(code)
        return labels[lang] if labels else code
