"""Drive a real Lotse against a real Synapse with a second, independent nio client."""
from __future__ import annotations

import asyncio
import itertools
import os
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from nio import AsyncClient, AsyncClientConfig, RoomMemberEvent, RoomMessageNotice

from bot.app import Lotse
from bot.config import LotseConfig, parse_config
from devtools.clients import encryption_housekeeping
from devtools.homeserver import LocalSynapse

_ids = itertools.count(1)
# Generous: a test waits for a condition, and on a busy machine (CI, several test runs at once)
# a reply can take many seconds. A passing test never waits this long.
TIMEOUT = 120.0


def unique(name: str) -> str:
    return f"{name}{next(_ids)}x{secrets.token_hex(2)}"


@dataclass
class BotRunner:
    """Lotse in-process: start, stop gracefully, start again with the same data dir."""

    config: LotseConfig
    password: str
    clock: object = None  # an injectable clock; default: the real one
    app: Lotse | None = None
    task: asyncio.Task | None = None
    stop_event: asyncio.Event = field(default_factory=asyncio.Event)

    running: ClassVar[set[BotRunner]] = set()  # stopped by the e2e tier's finaliser if a test did not

    def __hash__(self) -> int:
        return id(self)

    async def start(self, timeout: float = TIMEOUT) -> BotRunner:
        os.environ[self.config.matrix.password_env] = self.password
        self.stop_event = asyncio.Event()
        self.app = Lotse(self.config, self.clock) if self.clock else Lotse(self.config)
        self.task = asyncio.create_task(self._main(self.app, self.stop_event))
        BotRunner.running.add(self)
        await self.wait_synced(timeout)
        return self

    @staticmethod
    async def _main(app: Lotse, stop: asyncio.Event) -> None:
        try:
            if await app.start(stop):
                await app.run(stop)
        finally:
            await app.close()

    async def wait_synced(self, timeout: float = TIMEOUT) -> None:
        async def synced():
            while self.app.sync.last_sync is None:
                if self.task.done():
                    self.task.result()
                await asyncio.sleep(0.05)

        await asyncio.wait_for(synced(), timeout)

    async def stop(self) -> None:
        self.stop_event.set()
        try:
            await asyncio.wait_for(self.task, TIMEOUT)
        finally:
            BotRunner.running.discard(self)

    async def restart(self) -> None:
        await self.stop()
        await self.start()


class MatrixUser:
    """A person with an ordinary Matrix client, syncing in the background and keeping every event."""

    def __init__(self, hs: LocalSynapse, localpart: str, password: str = "pw-test", store: Path | None = None):
        """With `store` (a directory for its own crypto store) the client encrypts and decrypts."""
        self.user_id = hs.register(localpart, password)
        self.password = password
        self.encrypted = store is not None
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(
            hs.url, self.user_id, store_path=str(store) if store else "",
            config=AsyncClientConfig(encryption_enabled=self.encrypted, store_sync_tokens=False),
        )
        self.events: dict[str, list] = defaultdict(list)
        self.invited_rooms: set[str] = set()
        self._task: asyncio.Task | None = None
        self._changed = asyncio.Event()

    async def login(self) -> MatrixUser:
        resp = await self.client.login(self.password)
        assert hasattr(resp, "access_token"), resp
        self._record(await self.client.sync(timeout=0))
        if self.encrypted:
            await self._crypto_housekeeping()
        self._task = asyncio.create_task(self._sync_forever())
        return self

    async def _sync_forever(self) -> None:
        while True:
            try:
                resp = await self.client.sync(timeout=500)
            except Exception:  # the homeserver may be restarting in a resilience test
                await asyncio.sleep(0.5)
                continue
            if hasattr(resp, "rooms"):
                self._record(resp)
                if self.encrypted:
                    try:
                        await self._crypto_housekeeping()
                    except Exception:
                        await asyncio.sleep(0.5)
                self._changed.set()

    def _record(self, resp) -> None:
        for room_id, info in resp.rooms.join.items():
            self.events[room_id].extend(info.timeline.events)
        self.invited_rooms |= set(resp.rooms.invite)

    async def _crypto_housekeeping(self) -> None:
        await encryption_housekeeping(self.client)

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
        await self.client.close()

    async def create_room(self, invite: list[str] = (), name: str = "Test", encrypted: bool = False) -> str:
        state = [{"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]
        resp = await self.client.room_create(name=name, invite=list(invite), initial_state=state if encrypted else [])
        assert hasattr(resp, "room_id"), resp
        return resp.room_id

    async def invite(self, room_id: str, user_id: str) -> None:
        resp = await self.client.room_invite(room_id, user_id)
        assert not hasattr(resp, "status_code"), resp

    async def join(self, room_id: str) -> None:
        resp = await self.client.join(room_id)
        assert hasattr(resp, "room_id"), resp

    async def say(self, room_id: str, body: str) -> str:
        resp = await self.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body},
                                           ignore_unverified_devices=True)
        assert hasattr(resp, "event_id"), resp
        return resp.event_id

    async def wait_for(self, predicate, timeout: float = TIMEOUT, what: str = "condition"):
        async def poll():
            while True:
                result = predicate()
                if result:
                    return result
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), 1.0)
                except TimeoutError:
                    pass

        try:
            return await asyncio.wait_for(poll(), timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None

    def notices(self, room_id: str) -> list[RoomMessageNotice]:
        return [e for e in self.events[room_id] if isinstance(e, RoomMessageNotice)]

    def replies_to(self, room_id: str, event_id: str) -> list[RoomMessageNotice]:
        return [
            e for e in self.notices(room_id)
            if (e.source["content"].get("m.relates_to") or {}).get("m.in_reply_to", {}).get("event_id") == event_id
        ]

    async def ask(self, room_id: str, body: str) -> RoomMessageNotice:
        """Send a command and return Lotse's reply to it."""
        event_id = await self.say(room_id, body)
        found = await self.wait_for(lambda: self.replies_to(room_id, event_id), what=f"a reply to {body!r}")
        return found[0]

    async def barrier(self, room_id: str) -> None:
        """Everything Lotse was going to say about earlier messages has arrived: it answers in order."""
        await self.ask(room_id, "!ping")

    def membership_of(self, room_id: str, user_id: str) -> str | None:
        found = [e for e in self.events[room_id] if isinstance(e, RoomMemberEvent) and e.state_key == user_id]
        return found[-1].membership if found else None

    async def wait_joined(self, room_id: str, user_id: str) -> None:
        await self.wait_for(lambda: self.membership_of(room_id, user_id) == "join", what=f"{user_id} to join")


def bot_config(hs: LocalSynapse, data_dir: Path, localpart: str, **overrides) -> LotseConfig:
    network = overrides.pop("network", {"name": "Testnetz", "coordination_room": f"#koordination-{localpart}:{hs.server_name}"})
    data = {
        "matrix": {"homeserver": hs.url, "user_id": f"@{localpart}:{hs.server_name}", "password_env": "LOTSE_TEST_PASSWORD"},
        "storage": {"data_dir": str(data_dir)},
        "network": network,
    }
    data.update(overrides)
    return parse_config(data)


class BotProcess:
    """Lotse as its own process (`python -m bot run`), so that it can be killed with SIGKILL.
    Its command line names its directory, so the e2e tier's finaliser finds it if a test fails."""

    def __init__(self, config_data: dict, directory: Path, password: str):
        import yaml as _yaml

        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.config_file = directory / "lotse.yaml"
        self.config_file.write_text(_yaml.safe_dump(config_data))
        self.password = password
        self.process = None

    def start(self) -> None:
        import subprocess
        import sys

        env = dict(os.environ, LOTSE_TEST_PASSWORD=self.password)
        with open(self.directory / "lotse.log", "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(self.config_file)],
                                            env=env, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        import signal

        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=TIMEOUT)

    def stop(self) -> None:
        """SIGTERM (Lotse stops cleanly), SIGKILL if it has not ended after TIMEOUT seconds."""
        import signal
        import subprocess

        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class UserApi:
    """A test user's client as the small API `bot.crosssigning` needs (to cross-sign test users)."""

    def __init__(self, user: MatrixUser):
        self.client = user.client
        self.user_id = user.user_id
        self.device_id = user.client.device_id

    async def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        import json

        headers = {"Authorization": f"Bearer {self.client.access_token}", "Content-Type": "application/json"}
        resp = await self.client.send(method, path, json.dumps(body) if body is not None else None, headers)
        async with resp:
            return resp.status, await resp.json(content_type=None)
