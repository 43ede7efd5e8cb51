"""The daily directory round in the composition root: one message that cannot be delivered
neither stops the others nor gets lost, and nothing arrives twice."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

import bot.app
from bot.app import Lotse
from bot.config import parse_config
from knowledge.directory.model import RoleEntry
from tests.fakes import FakeClock, FakeMatrixClient

PEOPLE = ["@anna:example.org", "@ben:example.org", "@cem:example.org"]


class DirectMessages(FakeMatrixClient):
    """Creates one direct room per person; sends into Ben's fail the first `failures` times,
    with the error nio raises for a room its sync does not know yet."""

    def __init__(self, failures: int):
        super().__init__()
        self.failures = failures
        self.created: list[str] = []

    async def create_direct_room(self, user_id: str) -> str:
        room_id = f"!dm-{user_id[1:].split(':')[0]}:example.org"
        self.created.append(room_id)
        self.nio.rooms[room_id] = object()
        return room_id

    async def send(self, room_id: str, content: dict, txn_id: str, event_type: str = "m.room.message") -> str:
        if room_id == "!dm-ben:example.org" and self.failures > 0:
            self.failures -= 1
            raise RuntimeError(f"No such room with id {room_id} found.")
        return await super().send(room_id, content, txn_id, event_type)

    def requests_to(self, room_id: str) -> int:
        return len([s for s in self.notices() if s.room_id == room_id])


@pytest.fixture
async def app(tmp_path, monkeypatch):
    monkeypatch.setattr(bot.app, "DIRECTORY_RETRY_SECONDS", (0.0, 0.0))
    config = parse_config({
        "matrix": {"homeserver": "http://127.0.0.1:9", "user_id": "@lotse:example.org"},
        "storage": {"data_dir": str(tmp_path)},
        "network": {"name": "Testnetz", "coordination_room": "#koordination:example.org"},
    })
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    lotse = Lotse(config, clock)
    await lotse.db.open()
    await lotse.directory.load()
    for n, person in enumerate(PEOPLE):
        await lotse.directory.save(
            RoleEntry(id=f"t{n}", role=f"Beratung {n}", organisation="Testverein", person=person[1:4].title(),
                      topics=("beratung",), matrix_id=person, last_confirmed=date(2025, 1, 1)),
            "test", clock(), "created")
    real_client = lotse.client  # the tests put a fake in its place
    yield lotse
    await real_client.close()
    await lotse.db.close()


async def test_a_direct_message_that_fails_twice_is_retried_within_the_round(app):
    app.client = app.delivery.client = client = DirectMessages(failures=2)
    assert await app.keep_directory() == 0
    for room_id in ("!dm-anna:example.org", "!dm-ben:example.org", "!dm-cem:example.org"):
        assert client.requests_to(room_id) == 1
    assert await app.keep_directory() == 0  # the next round asks nobody twice
    assert len(client.notices()) == 3


async def test_a_direct_message_that_keeps_failing_does_not_stop_the_others_and_comes_later(app):
    app.client = app.delivery.client = client = DirectMessages(failures=1000)
    assert await app.keep_directory() == 1
    assert client.requests_to("!dm-anna:example.org") == 1 and client.requests_to("!dm-cem:example.org") == 1
    assert client.requests_to("!dm-ben:example.org") == 0
    client.failures = 0  # the homeserver is fine again: the next round delivers what is missing, once
    assert await app.keep_directory() == 0
    assert client.requests_to("!dm-ben:example.org") == 1
    assert await app.keep_directory() == 0
    assert len(client.notices()) == 3
