"""The sync lifecycle.

    start ──► first sync (full state: power levels and members known at once)
                 │  no stored token: history is recorded, never acted on
                 ▼
            handle batch ──► store token ──► long-poll sync ──► handle batch ──► …
                 │ failure: homeserver down, 5xx, rate limit, a send that failed
                 ▼
            wait (retry_after_ms, or capped exponential backoff with jitter), retry the same
            token: events already handled are skipped, replies are deduplicated by txn id.

A failed sync never ends the loop; only `stop` does.
"""
from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from nio import SyncResponse

from bot.matrix import HomeserverUnavailable, MatrixClient, MatrixError
from knowledge.storage import BotStateRepository

log = logging.getLogger(__name__)

SYNC_TOKEN_KEY = "sync_token"
BACKOFF_START = 1.0
BACKOFF_CAP = 60.0
MAX_BATCH_RETRIES = 3


def backoff_delay(failures: int) -> float:
    """Capped exponential backoff with jitter: ~1, 2, 4 … 60 seconds."""
    base = min(BACKOFF_CAP, BACKOFF_START * 2 ** max(0, failures - 1))
    return base * random.uniform(0.8, 1.0)


class SyncLoop:
    def __init__(
        self,
        client: MatrixClient,
        state: BotStateRepository,
        on_sync: Callable[[SyncResponse, bool], Awaitable[None]],
        clock: Callable[[], datetime],
        long_poll_ms: int = 30_000,
        heartbeat: Path | None = None,
    ):
        self.client = client
        self.state = state
        self.on_sync = on_sync
        self.clock = clock
        self.long_poll_ms = long_poll_ms
        self.heartbeat = heartbeat
        self.last_sync: datetime | None = None
        self.synced = asyncio.Event()  # set after every handled batch (tests and health wait on it)
        self.ready = asyncio.Event()  # set once the first (full-state) sync is handled: rooms are known

    async def run(self, stop: asyncio.Event) -> None:
        token = await self.state.get(SYNC_TOKEN_KEY)
        first_start = token is None
        full_state = True
        failures = 0
        while not stop.is_set():
            response = None
            try:
                response = await self._interruptible(
                    self.client.sync(token, 0 if full_state else self.long_poll_ms, full_state), stop
                )
                if response is None:
                    break
                await self.on_sync(response, first_start)
                await self.client.after_sync()
                await self.state.set(SYNC_TOKEN_KEY, response.next_batch)
            except asyncio.CancelledError:
                raise
            except (HomeserverUnavailable, MatrixError) as exc:
                failures += 1
                delay = backoff_delay(failures)
                if isinstance(exc, MatrixError) and exc.errcode == "M_LIMIT_EXCEEDED":
                    delay = max(delay, 5.0)
                if isinstance(exc, MatrixError) and not exc.transient and exc.errcode == "M_UNKNOWN_TOKEN":
                    log.error("the homeserver no longer accepts Lotse's access token; stopping")
                    raise
                log.warning("sync failed (%s); retrying in %.1f s", exc, delay)
                await self._sleep(delay, stop)
                continue
            except Exception:
                # A bug while handling a batch must not kill the loop: the batch is retried a few
                # times (events already handled are skipped), then passed over so one poisoned
                # event cannot stall every room.
                failures += 1
                if failures <= MAX_BATCH_RETRIES or response is None:
                    delay = backoff_delay(failures)
                    log.exception("error while handling a sync batch; retrying in %.1f s", delay)
                    await self._sleep(delay, stop)
                    continue
                log.exception("error while handling a sync batch; giving up on this batch")
            token = response.next_batch
            first_start = False
            full_state = False
            failures = 0
            self.last_sync = self.clock()
            self.ready.set()
            if self.heartbeat:
                self.heartbeat.touch()
            self.synced.set()
            self.synced.clear()

    @staticmethod
    async def _interruptible(coro, stop: asyncio.Event):
        """Await `coro` unless `stop` is set first (a long poll must not delay shutdown)."""
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass
        return None

    @staticmethod
    async def _sleep(seconds: float, stop: asyncio.Event) -> None:
        try:
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        except TimeoutError:
            pass
