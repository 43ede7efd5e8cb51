"""Start-up with 10,000 scheduled meetings and reminders: time until all are scheduled, and RSS.

Method: a SQLite database gets 5,000 meetings (recurring weekly, every 2 weeks, monthly on
the nth weekday, and one-off; two reminder offsets and an agenda call each) and 5,000
reminders (one-off and daily), created through the repository. Then, as at Lotse's
start, the database is opened (migrations checked) and the planner derives its jobs: it
loads every meeting and reminder, computes the firings due in the planning window on
local wall-clock time, catches up on missed ones (none here) and adds one APScheduler job
per firing to a running AsyncIOScheduler. Timed from before opening the database to after
the last job is added, 5 runs, median reported. RSS (psutil) after the last run.
"""
from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bench.common import RESULTS
from bot.scheduling import JOB_PREFIX, Planner
from knowledge.meetings.model import ReminderTarget
from knowledge.storage import BotStateRepository, Database, MeetingRepository
from knowledge.values import Scope

ITEMS = 10_000
RULES = ["FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "FREQ=MONTHLY;BYDAY=+1WE", None]


async def seed(url: str, now: datetime) -> None:
    db = Database(url)
    await db.open()
    repo = MeetingRepository(db)
    rng = random.Random(3)
    for i in range(ITEMS // 2):
        start = now + timedelta(minutes=rng.randint(-60 * 24 * 60, 60 * 24 * 30))
        await repo.add_meeting(origin=f"m{i}", scope=Scope.handlungsfeld(str(i % 50)), title=f"Treffen {i}", start=start, timezone="Europe/Berlin",
                               duration=timedelta(minutes=90), rrule=RULES[i % 4], location=None, video_link=None,
                               reminders=(timedelta(days=1), timedelta(hours=1)), agenda_call=timedelta(days=7),
                               organiser=None, room_id=None, created_by="@b:x", at=now)
        await repo.add_reminder(origin=f"r{i}", target=ReminderTarget.ROOM, room_id="!r:x", text=f"Erinnerung {i}",
                                start=now + timedelta(minutes=rng.randint(1, 60 * 24 * 14)), timezone="Europe/Berlin",
                                rrule="FREQ=DAILY" if i % 3 == 0 else None, created_by="@b:x", mention_room=False, at=now)
    await db.close()


async def start_once(url: str, now: datetime) -> tuple[float, int]:
    began = time.perf_counter()
    db = Database(url)
    await db.open()
    scheduler = AsyncIOScheduler(timezone="Europe/Berlin")
    scheduler.start()

    async def fire(firing, late):
        raise AssertionError("nothing is due at start in this benchmark")

    planner = Planner(MeetingRepository(db), BotStateRepository(db), scheduler, fire, lambda: now, ZoneInfo("Europe/Berlin"))
    await planner.start()
    elapsed = time.perf_counter() - began
    jobs = len([j for j in scheduler.get_jobs() if j.id.startswith(JOB_PREFIX)])
    scheduler.shutdown(wait=False)
    await db.close()
    return elapsed, jobs


async def run() -> dict:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="lotse-bench-sched-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        seeded = time.perf_counter()
        await seed(url, now)
        seed_s = time.perf_counter() - seeded
        runs = [await start_once(url, now) for _ in range(5)]
    times = [r[0] for r in runs]
    return {"items": ITEMS, "seed_s": seed_s, "startup_s": {"median": statistics.median(times), "min": min(times), "max": max(times)},
            "jobs": runs[-1][1], "rss_mb": psutil.Process().memory_info().rss / 2**20}


def main() -> None:
    result = asyncio.run(run())
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scheduling.json").write_text(json.dumps(result, indent=2))
    s = result["startup_s"]
    print(f"{result['items']} meetings and reminders: start-up to all scheduled median {s['median']:.2f} s "
          f"(min {s['min']:.2f}, max {s['max']:.2f}; target <= 2 s); {result['jobs']} jobs in the window")
    print(f"RSS {result['rss_mb']:.0f} MiB (seeding took {result['seed_s']:.0f} s)")
