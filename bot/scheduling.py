"""Scheduled posts: derived from the database, delivered once, never lost.

    start ──► missed = firings in (watermark, now]  ──► deliver each not yet delivered,
                                                        marked late past the grace period
          └─► plan: firings in (now, now + window] ──► one APScheduler DateTrigger job each
    every window/2, and after any change ──► plan again (jobs are replaced, not added twice)
    a job runs ──► already in deliveries? skip : send (txn id from the firing key) ──► record

The watermark is the moment up to which every firing has been either delivered or planned;
it is stored with each plan. Firings are computed on local wall-clock time (knowledge.dates),
so no cron expression is involved and the APScheduler CronTrigger DST issue cannot occur.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from knowledge.dates import next_local_time
from knowledge.meetings.model import Firing, action_firings, meeting_firings, reminder_firings
from knowledge.storage import BotStateRepository, MeetingRepository

log = logging.getLogger(__name__)

WATERMARK_KEY = "schedule_watermark"
JOB_PREFIX = "firing:"


class Planner:
    def __init__(
        self,
        repository: MeetingRepository,
        state: BotStateRepository,
        scheduler: AsyncIOScheduler,
        fire: Callable[[Firing, bool], Awaitable[None]],
        clock: Callable[[], datetime],
        zone: ZoneInfo,
        window: timedelta = timedelta(hours=6),
        grace: timedelta = timedelta(minutes=5),
        lookback: timedelta = timedelta(days=7),
        extra: Callable[[datetime, datetime], Awaitable[list[Firing]]] | None = None,
    ):
        self.repository = repository
        self.state = state
        self.scheduler = scheduler
        self.fire = fire
        self.clock = clock
        self.zone = zone
        self.window = window
        self.grace = grace
        self.lookback = lookback
        self.extra = extra  # further sources of firings, e.g. weekly digests
        self._lock = asyncio.Lock()
        self._delivering = asyncio.Lock()
        self.planned = 0

    async def firings(self, after: datetime, before: datetime) -> list[Firing]:
        found: list[Firing] = []
        for meeting in await self.repository.meetings():
            found += meeting_firings(meeting, after, before)
        for reminder in await self.repository.reminders():
            found += reminder_firings(reminder, after, before)
        for item in await self.repository.actions():
            found += action_firings(item, self.zone, after, before)
        if self.extra:
            found += await self.extra(after, before)
        found.sort(key=lambda f: (f.at, f.key))
        return found

    async def start(self) -> int:
        """Deliver what fell due while Lotse was down (once, marked late), then plan ahead."""
        self.scheduler.add_job(self.plan, "interval", seconds=self.window.total_seconds() / 2, id="planner",
                               replace_existing=True, coalesce=True, misfire_grace_time=None)
        return await self.plan()

    async def plan(self) -> int:
        """Catch up on (watermark, now], then (re)derive the jobs of the coming window.

        Catching up first means a job that was due just as the plan replaced it is not lost.
        Returns how many posts were delivered while catching up.
        """
        async with self._lock:
            now = self.clock()
            stored = await self.state.get(WATERMARK_KEY)
            watermark = max(datetime.fromisoformat(stored) if stored else now, now - self.lookback)
            delivered = 0
            first_failure: datetime | None = None
            # One pass over (watermark, now + window]: what is due now, and what is planned.
            everything = await self.firings(watermark, now + self.window)
            missed = [f for f in everything if f.at <= now]
            upcoming = [f for f in everything if f.at > now]
            for firing in missed:
                try:
                    delivered += await self.run(firing)
                except Exception:
                    # Not delivered: keep the watermark before it, so the next plan tries again.
                    log.exception("could not deliver scheduled post %s; will retry", firing.key)
                    first_failure = first_failure or firing.at
            if delivered:
                log.info("delivered %d scheduled posts that were due (of %d checked)", delivered, len(missed))
            for job in self.scheduler.get_jobs():
                if job.id.startswith(JOB_PREFIX):
                    job.remove()
            real_now = datetime.now(timezone.utc)
            for firing in upcoming:
                run_at = real_now + (firing.at - now)  # the clock may be a test clock
                self.scheduler.add_job(self._job, "date", run_date=run_at, args=[firing], id=JOB_PREFIX + firing.key,
                                       replace_existing=True, misfire_grace_time=None, coalesce=True)
            self.planned = len(upcoming)
            mark = first_failure - timedelta(microseconds=1) if first_failure else now
            await self.state.set(WATERMARK_KEY, mark.isoformat())
            if first_failure:
                self.retry_soon()
            return delivered

    async def _job(self, firing: Firing) -> None:
        try:
            await self.run(firing)
        except Exception:
            log.exception("could not deliver scheduled post %s; will retry", firing.key)
            self.retry_soon()

    def retry_soon(self) -> None:
        run_at = datetime.now(timezone.utc) + timedelta(seconds=60)
        self.scheduler.add_job(self.plan, "date", run_date=run_at, id="planner-retry", replace_existing=True)

    async def run(self, firing: Firing) -> bool:
        """Deliver one firing unless it was delivered before. True if it was sent now."""
        async with self._delivering:
            if await self.repository.delivered(firing.key):
                return False
            late = self.clock() - firing.at > self.grace
            await self.fire(firing, late)
            return await self.repository.record_delivery(firing.key, self.clock(), late)


def schedule_daily(scheduler: AsyncIOScheduler, job_id: str, at: str, zone: ZoneInfo, clock: Callable[[], datetime],
                   job: Callable[[], Awaitable[None]]) -> None:
    """Run `job` every day at "HH:MM" local wall-clock time. The next run is computed anew
    after each one (knowledge.dates), so clock changes never shift it and no CronTrigger is
    involved; a run missed by up to six hours still happens."""
    hour, minute = (int(x) for x in at.split(":"))

    async def run_and_reschedule() -> None:
        try:
            await job()
        finally:
            plan()

    def plan() -> None:
        now = clock()
        run_at = datetime.now(timezone.utc) + (next_local_time(now, hour, minute, zone) - now)  # the clock may be a test clock
        scheduler.add_job(run_and_reschedule, "date", run_date=run_at, id=job_id, replace_existing=True,
                          misfire_grace_time=6 * 3600)

    plan()
