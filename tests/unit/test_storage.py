"""Bot state storage, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from knowledge.storage import BotStateRepository, Database, PreferenceRepository

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc)


async def test_key_values_are_created_and_replaced(db):
    repo = BotStateRepository(db)
    assert await repo.get("sync_token") is None
    await repo.set("sync_token", "s1")
    await repo.set("sync_token", "s2")
    assert await repo.get("sync_token") == "s2"


async def test_an_event_is_marked_handled_only_once(db):
    repo = BotStateRepository(db)
    assert not await repo.is_handled("$a")
    assert await repo.mark_handled("$a", "!r:x", T0) is True
    assert await repo.mark_handled("$a", "!r:x", T0) is False
    assert await repo.is_handled("$a")


async def test_old_handled_events_are_pruned(db):
    repo = BotStateRepository(db)
    await repo.mark_handled("$old", "!r:x", T0 - timedelta(days=40))
    await repo.mark_handled("$new", "!r:x", T0)
    assert await repo.prune_handled(T0 - timedelta(days=30)) == 1
    assert not await repo.is_handled("$old") and await repo.is_handled("$new")


async def test_join_time_first_record_wins_and_greeting_is_claimed_once(db):
    repo = BotStateRepository(db)
    assert await repo.record_join("!r:x", 1000) is True
    assert await repo.record_join("!r:x", 5000) is False
    assert (await repo.membership("!r:x")).joined_at_ms == 1000
    assert await repo.claim_greeting("!r:x") is True
    assert await repo.claim_greeting("!r:x") is False
    await repo.forget_room("!r:x")
    assert await repo.membership("!r:x") is None


async def test_language_preference(db):
    prefs = PreferenceRepository(db)
    assert await prefs.language("@a:x") is None
    await prefs.set_language("@a:x", "en")
    await prefs.set_language("@a:x", "de")
    assert await prefs.language("@a:x") == "de"


async def test_migrations_run_again_on_an_existing_database(db_url):
    first = Database(db_url)
    await first.open()
    await BotStateRepository(first).set("k", "v")
    await first.close()
    second = Database(db_url)
    await second.open()  # upgrade to head is a no-op, data stays
    assert await BotStateRepository(second).get("k") == "v"
    await second.close()


async def test_a_failed_unit_of_work_leaves_nothing_behind(db):
    repo = BotStateRepository(db)
    try:
        async with db.session() as s:
            from knowledge.storage._orm import BotState

            s.add(BotState(key="half", value="written"))
            await s.flush()
            raise RuntimeError("crash in the middle")
    except RuntimeError:
        pass
    assert await repo.get("half") is None
