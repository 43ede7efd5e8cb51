"""The sync loop keeps going through homeserver trouble and never loses its place."""
from __future__ import annotations

import asyncio

from bot.matrix import HomeserverUnavailable, MatrixError
from bot.sync import SYNC_TOKEN_KEY, SyncLoop, backoff_delay
from knowledge.storage import BotStateRepository
from tests.fakes import FakeClock


class Response:
    def __init__(self, token: str):
        self.next_batch = token


class ScriptedClient:
    """Answers sync calls from a script: a Response, or an exception to raise."""

    def __init__(self, script, stop: asyncio.Event):
        self.script = list(script)
        self.calls: list[tuple[str | None, bool]] = []
        self.stop = stop

    async def sync(self, since, timeout_ms, full_state):
        self.calls.append((since, full_state))
        if not self.script:
            self.stop.set()
            await asyncio.sleep(3600)
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    async def after_sync(self):
        pass


async def run_loop(sqlite_db, script, on_sync=None, monkeypatch=None):
    stop = asyncio.Event()
    client = ScriptedClient(script, stop)
    handled = []

    async def default_on_sync(response, first):
        handled.append((response.next_batch, first))

    loop = SyncLoop(client, BotStateRepository(sqlite_db), on_sync or default_on_sync, FakeClock())
    await asyncio.wait_for(loop.run(stop), timeout=10)
    return client, handled, loop


async def test_the_first_sync_is_full_state_and_the_token_is_kept(sqlite_db, monkeypatch):
    monkeypatch.setattr("bot.sync.backoff_delay", lambda n: 0.01)
    client, handled, loop = await run_loop(sqlite_db, [Response("a"), Response("b")])
    assert client.calls[:2] == [(None, True), ("a", False)]
    assert handled == [("a", True), ("b", False)]
    assert await BotStateRepository(sqlite_db).get(SYNC_TOKEN_KEY) == "b"
    assert loop.last_sync is not None


async def test_a_restart_continues_from_the_stored_token_with_full_state(sqlite_db):
    await BotStateRepository(sqlite_db).set(SYNC_TOKEN_KEY, "stored")
    client, handled, _ = await run_loop(sqlite_db, [Response("c")])
    assert client.calls[0] == ("stored", True)
    assert handled == [("c", False)]


async def test_homeserver_trouble_is_retried_without_ending_the_loop(sqlite_db, monkeypatch):
    monkeypatch.setattr("bot.sync.backoff_delay", lambda n: 0.01)
    script = [
        HomeserverUnavailable("sync: ClientConnectorError"),
        MatrixError("sync", "M_UNKNOWN", "bad gateway", 502),
        MatrixError("sync", "M_LIMIT_EXCEEDED", "slow down", 429),
        Response("a"),
    ]
    monkeypatch.setattr("bot.sync.SyncLoop._sleep", staticmethod(lambda s, stop: asyncio.sleep(0)))
    client, handled, _ = await run_loop(sqlite_db, script)
    assert handled == [("a", True)]
    assert len(client.calls) >= 4


async def test_a_failed_batch_is_retried_from_the_same_token(sqlite_db, monkeypatch):
    monkeypatch.setattr("bot.sync.SyncLoop._sleep", staticmethod(lambda s, stop: asyncio.sleep(0)))
    attempts = []

    async def flaky(response, first):
        attempts.append(response.next_batch)
        if len(attempts) == 1:
            raise HomeserverUnavailable("send: reply failed")

    client, _, _ = await run_loop(sqlite_db, [Response("a"), Response("a")], on_sync=flaky)
    assert attempts == ["a", "a"]
    assert client.calls[1] == (None, True)  # same place, still the first (full-state) sync


async def test_a_poisoned_batch_is_given_up_after_a_few_tries(sqlite_db, monkeypatch):
    monkeypatch.setattr("bot.sync.SyncLoop._sleep", staticmethod(lambda s, stop: asyncio.sleep(0)))
    seen = []

    async def buggy(response, first):
        seen.append(response.next_batch)
        if response.next_batch == "bad":
            raise KeyError("bug")

    script = [Response("bad")] * 4 + [Response("next")]
    await run_loop(sqlite_db, script, on_sync=buggy)
    assert seen == ["bad"] * 4 + ["next"]


def test_backoff_grows_and_is_capped():
    assert 0.8 <= backoff_delay(1) <= 1.0
    assert 3.2 <= backoff_delay(3) <= 4.0
    assert 48 <= backoff_delay(30) <= 60
