"""Domain types shared by the repositories. Frozen dataclasses, no SQLAlchemy."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RoomMembership:
    room_id: str
    joined_at_ms: int
    greeted: bool
