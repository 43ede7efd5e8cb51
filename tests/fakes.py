"""Fakes for the fast tiers: a clock you can move and a Matrix client that records what it sends."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.matrix import MatrixError


class FakeClock:
    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)

    def ms(self) -> int:
        return int(self.now.timestamp() * 1000)


@dataclass
class Sent:
    room_id: str
    content: dict[str, Any]
    txn_id: str
    event_type: str


class _FakeNio:
    def __init__(self) -> None:
        self.rooms: dict[str, Any] = {}


@dataclass
class FakeMatrixClient:
    """Stands in for bot.matrix.MatrixClient: records sends, joins and leaves.

    Like the homeserver, it deduplicates by transaction id: a resend with a known txn id
    returns the first event id and is not delivered twice.
    """

    user_id: str = "@lotse:example.org"
    sent: list[Sent] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    fail_next_send: Exception | None = None
    nio: _FakeNio = field(default_factory=_FakeNio)
    events: dict[str, tuple[str, dict]] = field(default_factory=dict)  # event id -> (sender, content)

    history: list = field(default_factory=list)  # older events, newest first, for messages_before

    async def messages_before(self, room_id: str, token: str, limit: int = 100) -> tuple[list, str | None]:
        start = int(token.removeprefix("page")) if token.startswith("page") else 0
        page = self.history[start:start + 2]
        return page, f"page{start + 2}" if start + 2 < len(self.history) else None

    redacted: list = field(default_factory=list)

    async def redact(self, room_id: str, event_id: str, reason: str, txn_id: str) -> None:
        self.redacted.append((room_id, event_id))

    async def get_event(self, room_id: str, event_id: str) -> tuple[str, dict] | None:
        return self.events.get(event_id)

    async def send(self, room_id: str, content: dict, txn_id: str, event_type: str = "m.room.message") -> str:
        if self.fail_next_send is not None:
            exc, self.fail_next_send = self.fail_next_send, None
            raise exc
        for item in self.sent:
            if item.txn_id == txn_id:
                return f"$dup-{txn_id}"
        self.sent.append(Sent(room_id, content, txn_id, event_type))
        return f"$sent{len(self.sent)}"

    async def react(self, room_id: str, event_id: str, key: str, txn_id: str) -> None:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        await self.send(room_id, content, txn_id, event_type="m.reaction")

    async def join(self, room: str) -> str:
        self.joined.append(room)
        return room

    async def leave(self, room_id: str) -> None:
        self.left.append(room_id)

    def notices(self) -> list[Sent]:
        return [s for s in self.sent if s.event_type == "m.room.message"]


def server_error() -> MatrixError:
    return MatrixError("send", "M_UNKNOWN", "internal error", 502)
