"""The knowledge register: decisions, agreements, links and notes that outlive staff turnover.

An entry has a short, stable id (B-12, V-3, L-7, N-3), belongs to a `Scope` (a
Handlungsfeld, the whole network, or one other room), and keeps its full history: nothing is overwritten without a revision that says who, when,
before and after.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from knowledge.values import Scope

MAX_TEXT = 2000
MAX_TITLE = 200
MAX_URL = 2000
MAX_TAGS = 10


class Kind(str, enum.Enum):
    DECISION = "decision"
    AGREEMENT = "agreement"
    LINK = "link"
    NOTE = "note"

    @property
    def prefix(self) -> str:
        return {"decision": "B", "agreement": "V", "link": "L", "note": "N"}[self.value]

    @property
    def has_status(self) -> bool:
        return self in (Kind.DECISION, Kind.AGREEMENT)


KIND_BY_PREFIX = {k.prefix: k for k in Kind}


class Status(str, enum.Enum):
    DECIDED = "decided"
    IN_PROGRESS = "in_progress"
    IMPLEMENTED = "implemented"
    POSTPONED = "postponed"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"


# Words people type for a status, German and English, normalised (lower case, no spaces/hyphens).
STATUS_WORDS: dict[str, Status] = {
    "beschlossen": Status.DECIDED, "decided": Status.DECIDED, "agreed": Status.DECIDED,
    "inumsetzung": Status.IN_PROGRESS, "umsetzung": Status.IN_PROGRESS, "inprogress": Status.IN_PROGRESS,
    "umgesetzt": Status.IMPLEMENTED, "erledigt": Status.IMPLEMENTED, "implemented": Status.IMPLEMENTED, "done": Status.IMPLEMENTED,
    "vertagt": Status.POSTPONED, "postponed": Status.POSTPONED,
    "abgelehnt": Status.REJECTED, "rejected": Status.REJECTED,
    "ersetzt": Status.SUPERSEDED, "superseded": Status.SUPERSEDED,
}


def parse_status(word: str) -> Status | None:
    return STATUS_WORDS.get(re.sub(r"[\s_\-]", "", word.casefold()))


SHORT_ID = re.compile(r"^([BVLNbvln])-?(\d{1,9})$")


def parse_short_id(text: str) -> tuple[Kind, int] | None:
    match = SHORT_ID.match(text.strip())
    if not match:
        return None
    return KIND_BY_PREFIX[match.group(1).upper()], int(match.group(2))


class RevisionAction(enum.StrEnum):
    """What a revision in an entry's history did (stored as its value)."""

    CREATED = "created"
    EDITED = "edited"
    STATUS = "status"
    RETRACTED = "retracted"
    SUPERSEDED = "superseded"
    VISIBILITY = "visibility"
    SOURCE_CHANGED = "source_changed"
    SOURCE_REDACTED = "source_redacted"
    IMPORTED = "imported"  # changed by an import (knowledge/onboarding), with the fields before and after


@dataclass(frozen=True)
class Revision:
    at: datetime
    by: str
    action: RevisionAction
    before: dict[str, object]
    after: dict[str, object]


@dataclass(frozen=True)
class Entry:
    id: int
    kind: Kind
    number: int
    scope: Scope
    text: str
    author: str  # who recorded it (or the original author when recorded from a reply)
    recorded_by: str
    created_at: datetime
    updated_at: datetime
    title: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    lik: tuple[str, ...] = ()
    status: Status | None = None
    owner: str | None = None
    due: date | None = None
    public: bool = False
    retracted: bool = False
    room_id: str | None = None
    source_event_id: str | None = None
    permalink: str | None = None
    source_changed: bool = False
    supersedes: str | None = None  # short id
    superseded_by: str | None = None  # short id
    external_id: str | None = None
    history: tuple[Revision, ...] = field(default=(), compare=False)

    @property
    def short_id(self) -> str:
        return f"{self.kind.prefix}-{self.number}"

    @property
    def headline(self) -> str:
        return self.title or self.text


@dataclass(frozen=True)
class NewEntry:
    """What a command or an import hands the repository to record."""

    kind: Kind
    scope: Scope
    text: str
    author: str
    recorded_by: str
    origin: str  # idempotency key: the command's event id, or "import:<external id>"
    title: str | None = None
    url: str | None = None
    tags: tuple[str, ...] = ()
    lik: tuple[str, ...] = ()
    status: Status | None = None
    owner: str | None = None
    due: date | None = None
    public: bool = False
    room_id: str | None = None
    source_event_id: str | None = None
    permalink: str | None = None
    external_id: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class Query:
    """A filter for listing entries, or (with `search`) a full-text search. The last one of a
    person in a room is kept, so that `!mehr` can page on; `scopes` is not kept: it is what
    the caller may see, worked out anew each time."""

    kinds: tuple[Kind, ...]
    scopes: frozenset[Scope] | None  # None: every scope (coordination room)
    scope: Scope | None = None  # only this scope (e.g. a Handlungsfeld)
    tag: str | None = None
    since: datetime | None = None
    status: Status | None = None
    include_retracted: bool = False
    search: str | None = None


class RegisterError(Exception):
    """Base of the register's domain errors; handlers translate them."""


class EntryNotFound(RegisterError):
    pass


class AlreadySuperseded(RegisterError):
    pass
