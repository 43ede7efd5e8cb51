"""The directory ("Wer macht was?"): roles held at organisations, optionally by a person.

Role-first: when a person leaves, the role stays, is marked vacant and points to its
deputy. Only work data is kept (functional contacts, office hours, languages spoken);
never private contact data, photos, birthdays, origin, religion, health or residence
status, and nothing about clients.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any


class RoleStatus(str, enum.Enum):
    ACTIVE = "active"
    UNCONFIRMED = "unconfirmed"  # re-confirmation unanswered: shown as "ungeprüft"
    VACANT = "vacant"  # nobody holds the role: answers point to the deputy
    LEFT = "left"  # the holder has left or is leaving; successor not yet named


class Visibility(str, enum.Enum):
    PUBLIC = "public"  # may appear in public reports
    NETWORK = "network"  # everyone in the network
    ROOM = "room"  # only in the rooms of the entry's Handlungsfelder


# Fields a coordinator may set in chat, with the words people use for them.
EDITABLE_FIELDS: dict[str, str] = {
    "person": "person", "name": "person",
    "rolle": "role", "role": "role",
    "organisation": "organisation", "organization": "organisation", "träger": "organisation",
    "email": "email", "e-mail": "email", "mail": "email",
    "telefon": "phone", "phone": "phone",
    "matrix": "matrix_id",
    "sprechzeiten": "office_hours", "office-hours": "office_hours",
    "sprachen": "languages", "languages": "languages",
    "themen": "topics", "topics": "topics",
    "vertretung": "deputy", "deputy": "deputy",
    "gefördert-bis": "funded_until", "gefoerdert-bis": "funded_until", "funded-until": "funded_until",
    "status": "status",
    "sichtbarkeit": "visibility", "visibility": "visibility",
    "zielgruppen": "target_groups", "target-groups": "target_groups",
    "ort": "location", "location": "location",
    "hinweis": "notes", "notes": "notes",
}
LIST_FIELDS = {"office_hours", "languages", "topics", "target_groups", "handlungsfelder", "lik"}


@dataclass(frozen=True)
class RoleEntry:
    id: str  # stable short id: imported ids (p01) or R-<n> for roles added in chat
    role: str
    organisation: str
    person: str | None = None
    topics: tuple[str, ...] = ()
    handlungsfelder: tuple[str, ...] = ()
    lik: tuple[str, ...] = ()
    email: str | None = None
    phone: str | None = None
    matrix_id: str | None = None
    languages: tuple[str, ...] = ()
    office_hours: tuple[str, ...] = ()
    target_groups: tuple[str, ...] = ()
    location: str | None = None
    notes: str | None = None
    deputy: str | None = None
    successor: str | None = None
    funded_until: date | None = None
    last_confirmed: date | None = None
    confirmed_by: str | None = None
    status: RoleStatus = RoleStatus.ACTIVE
    visibility: Visibility = Visibility.NETWORK
    funding_reminded: bool = False
    confirmation_requested: date | None = None

    def with_changes(self, **values: Any) -> RoleEntry:
        return replace(self, **values)

    def needs_confirmation(self, today: date, every_days: int) -> bool:
        return self.last_confirmed is None or today - self.last_confirmed >= timedelta(days=every_days)


@dataclass(frozen=True)
class Match:
    """One role in an answer, with the topic that led to it."""

    entry: RoleEntry
    topic: str | None
    score: float


@dataclass(frozen=True)
class LookupResult:
    kind: str  # "answer" | "ambiguous" | "none" | "empty"
    matches: tuple[Match, ...] = ()
    topics: tuple[str, ...] = ()  # the topic(s) understood; for "none": the nearest topics
    language: str | None = None  # language filter understood from the question
    handlungsfeld: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class DirectoryError(Exception):
    pass


class RoleNotFound(DirectoryError):
    pass
