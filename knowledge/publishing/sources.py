"""What digests, reports and the public site read: the register's and the meetings' read
methods. Both the feature services (chat) and the repositories (command line) provide them."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from knowledge.directory.model import RoleEntry
from knowledge.meetings.model import ActionItem, Meeting, Session
from knowledge.register.model import Entry, Kind
from knowledge.values import Scope


class RegisterReads(Protocol):
    async def weeks(self, scopes: list[Scope], start: datetime, end: datetime, limit: int, /) -> dict[Scope, dict[str, Any]]: ...

    async def created_between(self, scopes: frozenset[Scope] | None, start: datetime, end: datetime, /,
                              public_only: bool = False) -> list[Entry]: ...

    async def entries_in(self, scopes: frozenset[Scope] | None, kinds: tuple[Kind, ...], /,
                         public_only: bool = False) -> list[Entry]: ...


class MeetingReads(Protocol):
    async def meetings(self, *, scopes: frozenset[Scope] | None = None) -> list[Meeting]: ...

    async def actions(self, *, open_only: bool = True, owner: str | None = None,
                      scopes: frozenset[Scope] | None = None) -> list[ActionItem]: ...

    async def sessions_in(self, scopes: frozenset[Scope] | None, since: datetime | None = None, /) -> list[Session]: ...


class DirectoryReads(Protocol):
    def all(self) -> list[RoleEntry]: ...

    async def open_questions(self, since: datetime, /, limit: int = 20) -> tuple[list[tuple[datetime, str, str | None]], int]: ...
