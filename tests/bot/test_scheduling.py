"""Scheduled posts: missed ones arrive once and late, nothing twice, failures retried."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.scheduling import JOB_PREFIX, WATERMARK_KEY, Planner
from knowledge.meetings.model import ReminderTarget
from knowledge.storage import BotStateRepository, MeetingRepository
from knowledge.values import Scope
from tests.fakes import FakeClock

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc))


@pytest.fixture
async def setup(sqlite_db, clock):
    repo = MeetingRepository(sqlite_db)
    state = BotStateRepository(sqlite_db)
    fired: list[tuple[str, bool]] = []
    failing: set[str] = set()

    async def fire(firing, late):
        if firing.key in failing:
            raise ConnectionError("homeserver down")
        fired.append((firing.key, late))

    def make_planner():
        return Planner(repo, state, AsyncIOScheduler(timezone="Europe/Berlin"), fire, clock, BERLIN)

    return repo, state, fired, failing, make_planner


async def add_reminder(repo, clock, minutes: int, origin: str, rrule=None):
    reminder, _ = await repo.add_reminder(origin=origin, target=ReminderTarget.DIRECT, room_id="!r:x", text="Test", start=clock() + timedelta(minutes=minutes),
                                          timezone="Europe/Berlin", rrule=rrule, created_by="@a:x", mention_room=False, at=clock())
    return reminder


async def test_future_posts_become_jobs_and_the_watermark_is_stored(setup, clock):
    repo, state, fired, _, make_planner = setup
    await add_reminder(repo, clock, 30, "$1")
    await add_reminder(repo, clock, 60 * 24, "$2")  # beyond the 6-hour window
    planner = make_planner()
    assert await planner.start() == 0
    jobs = [j.id for j in planner.scheduler.get_jobs() if j.id.startswith(JOB_PREFIX)]
    assert len(jobs) == 1 and planner.planned == 1
    assert await state.get(WATERMARK_KEY) == clock().isoformat()
    assert fired == []


async def test_a_post_missed_during_downtime_arrives_once_marked_late(setup, clock):
    repo, state, fired, _, make_planner = setup
    await make_planner().start()  # Lotse runs, plans, then goes down
    await add_reminder(repo, clock, 10, "$1")
    clock.advance(minutes=45)  # down for 45 minutes
    restarted = make_planner()
    assert await restarted.start() == 1
    [(key, late)] = fired
    assert late is True and key.startswith("reminder:")
    await make_planner().start()  # another restart delivers nothing twice
    assert len(fired) == 1


async def test_a_post_just_due_is_not_marked_late(setup, clock):
    repo, _, fired, _, make_planner = setup
    await make_planner().start()
    await add_reminder(repo, clock, 1, "$1")
    clock.advance(minutes=3)
    await make_planner().plan()
    assert fired[0][1] is False


async def test_a_failed_post_keeps_the_watermark_before_it_and_is_retried(setup, clock):
    repo, state, fired, failing, make_planner = setup
    planner = make_planner()
    await planner.start()
    reminder = await add_reminder(repo, clock, 5, "$1")
    clock.advance(minutes=10)
    failing.add(f"reminder:{reminder.id}:{reminder.start.isoformat()}")
    assert await planner.plan() == 0
    assert datetime.fromisoformat(await state.get(WATERMARK_KEY)) < reminder.start
    assert any(j.id == "planner-retry" for j in planner.scheduler.get_jobs())
    failing.clear()
    clock.advance(minutes=1)
    assert await planner.plan() == 1 and len(fired) == 1


async def test_recurring_reminders_fire_each_occurrence_once(setup, clock):
    repo, _, fired, _, make_planner = setup
    await make_planner().start()
    await add_reminder(repo, clock, 10, "$1", rrule="FREQ=DAILY")
    clock.advance(days=3)
    await make_planner().start()
    assert len(fired) == 3 and all(late for _, late in fired)
    assert len({key for key, _ in fired}) == 3


async def add_meeting(repo, clock, in_days: int, origin: str):
    await repo.add_meeting(origin=origin, scope=Scope.handlungsfeld("a"), title="AG", start=clock() + timedelta(days=in_days), timezone="Europe/Berlin",
                           duration=timedelta(hours=1), rrule=None, location=None, video_link=None,
                           reminders=(timedelta(days=1), timedelta(hours=1)), agenda_call=timedelta(days=2),
                           organiser=None, room_id=None, created_by="@a:x", at=clock())


async def test_meeting_reminders_and_the_agenda_call_missed_during_downtime(setup, clock):
    repo, _, fired, _, make_planner = setup
    await make_planner().start()
    await add_meeting(repo, clock, 3, "$m")
    clock.advance(days=4)
    await make_planner().start()
    assert sorted(k.split(":")[0] for k, _ in fired) == ["agenda", "meeting", "meeting"]


async def test_posts_older_than_the_lookback_are_not_sent_any_more(setup, clock):
    repo, _, fired, _, make_planner = setup
    await make_planner().start()
    await add_meeting(repo, clock, 3, "$m")
    clock.advance(days=30)  # a month offline: a reminder for a meeting weeks ago helps nobody
    await make_planner().start()
    assert fired == []
