"""Shared pieces: a local Synapse, a measuring client, process helpers."""
from __future__ import annotations

import asyncio
import statistics
import time
import traceback
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, MegolmEvent, RoomMessageNotice

from devtools.clients import encryption_housekeeping

RESULTS = Path(__file__).resolve().parent.parent / "bench-results"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median": statistics.median(values), "p95": percentile(values, 0.95),
            "min": min(values), "max": max(values)}


class Prober:
    """A measuring client: sends a message, notes when the reply to it arrives (long-poll sync)."""

    def __init__(self, homeserver: str, user_id: str, password: str, store: Path | None = None):
        """With `store` (a directory for its crypto store) the prober takes part in encrypted rooms."""
        self.encrypted = store is not None
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
        self.client = AsyncClient(homeserver, user_id, store_path=str(store or ""),
                                  config=AsyncClientConfig(encryption_enabled=self.encrypted))
        self.password = password
        self.waiting: dict[str, asyncio.Future] = {}
        self.seen: dict[str, float] = {}  # replies that arrived before anyone waited for them
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        await self.client.login(self.password)
        await self.client.sync(timeout=0)
        await self._crypto_housekeeping()
        self.task = asyncio.create_task(self._loop())

    async def _crypto_housekeeping(self) -> None:
        if self.encrypted:
            await encryption_housekeeping(self.client)

    async def _loop(self) -> None:
        while True:
            try:
                await self._once()
            except Exception:  # a measuring client must not die silently
                traceback.print_exc()
                await asyncio.sleep(0.5)

    async def _once(self) -> None:
        resp = await self.client.sync(timeout=30000)
        now = time.perf_counter()
        for info in resp.rooms.join.values() if hasattr(resp, "rooms") else []:
            for event in info.timeline.events:
                if isinstance(event, MegolmEvent):
                    print(f"prober: could not decrypt {event.event_id} from {event.sender}")
                if isinstance(event, RoomMessageNotice):
                    target = (event.source["content"].get("m.relates_to") or {}).get("m.in_reply_to", {}).get("event_id")
                    future = self.waiting.pop(target, None)
                    if future and not future.done():
                        future.set_result(now)
                    elif target:
                        self.seen[target] = now
        try:
            await self._crypto_housekeeping()
        except Exception as exc:  # keep measuring; the next sync retries
            print(f"prober: key housekeeping failed: {exc!r}")

    async def round_trip(self, room_id: str, body: str) -> float:
        """Seconds from sending to seeing the reply."""
        start = time.perf_counter()
        resp = await self.client.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body},
                                           ignore_unverified_devices=True)
        if resp.event_id in self.seen:
            return self.seen.pop(resp.event_id) - start
        future = self.waiting.setdefault(resp.event_id, asyncio.get_running_loop().create_future())
        arrived = await asyncio.wait_for(future, 30)
        return arrived - start

    async def close(self) -> None:
        if self.task:
            self.task.cancel()
        await self.client.close()
