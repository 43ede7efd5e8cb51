"""Small values that travel through every layer as types, never as strings.

- `Scope`: where an entry, a meeting or an action item belongs — the whole network, one
  Handlungsfeld, or one other room. Rooms map to scopes in the bot package (`RoomInfo`).
- `Destination`: where a message goes that is not a reply — a person's direct messages, the
  coordination room, one room, or the room of a scope. Only the bot package's delivery
  resolves a destination to a room.
- `FiringKind`: which kind of scheduled post a firing is.

Only storage turns them into text (`Scope.serialise` / `Scope.parse` for the `scope`
columns; the firing keys of the deliveries table keep their historic spelling). Everywhere
else they are compared, hashed and pattern-matched as values.
"""
from __future__ import annotations

import enum
import functools
from dataclasses import dataclass


class ScopeKind(enum.StrEnum):
    NETWORK = "network"
    HANDLUNGSFELD = "hf"
    ROOM = "room"


@dataclass(frozen=True, order=True)
class Scope:
    kind: ScopeKind
    key: str = ""  # the Handlungsfeld id or the room id; empty for the network

    @classmethod
    def network(cls) -> Scope:
        return cls(ScopeKind.NETWORK)

    @classmethod
    def handlungsfeld(cls, hf_id: str) -> Scope:
        return cls(ScopeKind.HANDLUNGSFELD, hf_id)

    @classmethod
    def room(cls, room_id: str) -> Scope:
        return cls(ScopeKind.ROOM, room_id)

    @property
    def hf_id(self) -> str | None:
        return self.key if self.kind is ScopeKind.HANDLUNGSFELD else None

    @property
    def is_network(self) -> bool:
        return self.kind is ScopeKind.NETWORK

    # --- storage only -------------------------------------------------------------------

    def serialise(self) -> str:
        """'network', 'hf:<id>' or 'room:<room id>': the form of the `scope` columns."""
        return "network" if self.kind is ScopeKind.NETWORK else f"{self.kind.value}:{self.key}"

    @classmethod
    def parse(cls, text: str) -> Scope:
        return _parse_scope(text)


@functools.lru_cache(maxsize=4096)
def _parse_scope(text: str) -> Scope:
    """Cached, so that a hundred thousand entries of one room share one Scope object."""
    if text == "network":
        return Scope.network()
    kind, sep, key = text.partition(":")
    if not sep or kind not in ("hf", "room") or not key:
        raise ValueError(f"not a scope: {text!r}")
    return Scope(ScopeKind(kind), key)


class DestinationKind(enum.StrEnum):
    DIRECT = "dm"  # a person's direct messages with Lotse
    COORDINATION = "coordination"  # the network's coordination room
    ROOM = "room"  # one room, by id
    SCOPE = "scope"  # the room that a scope stands for (a Handlungsfeld's, the coordination's)


@dataclass(frozen=True)
class Destination:
    kind: DestinationKind
    user_id: str | None = None
    room_id: str | None = None
    scope: Scope | None = None

    @classmethod
    def direct(cls, user_id: str) -> Destination:
        return cls(DestinationKind.DIRECT, user_id=user_id)

    @classmethod
    def coordination(cls) -> Destination:
        return cls(DestinationKind.COORDINATION)

    @classmethod
    def to_room(cls, room_id: str) -> Destination:
        return cls(DestinationKind.ROOM, room_id=room_id)

    @classmethod
    def of_scope(cls, scope: Scope) -> Destination:
        if scope.is_network:
            return cls.coordination()
        if scope.kind is ScopeKind.ROOM:
            return cls.to_room(scope.key)
        return cls(DestinationKind.SCOPE, scope=scope)

    def describe(self) -> str:
        """For log lines: the kind only, never a person's id."""
        return self.kind.value


class FiringKind(enum.StrEnum):
    MEETING_REMINDER = "meeting_reminder"
    AGENDA_CALL = "agenda_call"
    REMINDER = "reminder"
    ACTION_DUE = "action_due"
    DIGEST = "digest"
