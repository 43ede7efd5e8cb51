"""Faults on a real Synapse: SIGKILL mid-burst, a locked database, a homeserver down for a minute."""
from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import func, select

from devtools.homeserver import LocalSynapse
from knowledge.storage import Database
from knowledge.storage._orm import EntryRow
from tests.e2e.harness import BotProcess, BotRunner, MatrixUser, bot_config, unique


async def test_sigkill_in_the_middle_of_a_burst_of_200_commands_loses_and_doubles_nothing(make_user, synapse, tmp_path):
    localpart = unique("lotse")
    synapse.register(localpart, "pw-bot")
    bot_id = f"@{localpart}:{synapse.server_name}"
    data = bot_config(synapse, tmp_path / "bot", localpart, bot={"flood_limit": 1000}).model_dump(mode="json")
    bot = BotProcess(data, tmp_path / "proc", "pw-bot")
    bot.start()
    users = [await make_user(f"u{i}") for i in range(4)]
    room = await users[0].create_room(invite=[bot_id, *(u.user_id for u in users[1:])])
    for user in users[1:]:
        await user.join(room)
    await users[0].wait_joined(room, bot_id)
    await users[0].barrier(room)

    sent: list[tuple[object, str, str]] = []

    async def burst(user, index):
        for n in range(50):
            text = f"!notiz burst-{index}-{n}" if n % 2 == 0 else "!ping"
            sent.append((user, await user.say(room, text), text))

    senders = asyncio.gather(*(burst(u, i) for i, u in enumerate(users)))
    watcher = users[0]
    # Kill once the bot is visibly at work on the burst. However fast or slow the machine, the
    # kill lands while commands are still arriving or being answered; the test's claim (nothing
    # lost, nothing doubled) holds wherever it lands.
    await watcher.wait_for(lambda: len(watcher.notices(room)) >= 30, timeout=600, what="the first answers")
    bot.kill()
    await senders
    bot.start()
    event_ids = [event_id for _, event_id, _ in sent]
    await watcher.wait_for(lambda: all(watcher.replies_to(room, e) for e in event_ids), timeout=900, what="all 200 answers")
    await watcher.barrier(room)
    counts = [len(watcher.replies_to(room, e)) for e in event_ids]
    assert len(counts) == 200 and set(counts) == {1}
    bot.stop()
    db = Database(f"sqlite:///{data['storage']['data_dir']}/lotse.db")
    await db.open()
    async with db.session() as s:
        texts = list(await s.scalars(select(EntryRow.text).where(EntryRow.kind == "note")))
        assert await s.scalar(select(func.count(EntryRow.id))) == 100
    await db.close()
    assert sorted(texts) == sorted(f"burst-{i}-{n}" for i in range(4) for n in range(0, 50, 2))


async def test_a_locked_database_gives_an_apology_writes_nothing_half_and_the_bot_continues(make_user, make_bot):
    bot = await make_bot()
    anna = await make_user("anna")
    room = await anna.create_room(invite=[bot.config.matrix.user_id])
    await anna.wait_joined(room, bot.config.matrix.user_id)
    await anna.barrier(room)
    # Take the lock in a thread: the bot runs in this event loop, and blocking the loop while
    # it is in the middle of a write (its sync token, say) would wait for ever on ourselves.
    locker = sqlite3.connect(bot.config.storage.data_dir / "lotse.db", timeout=30, check_same_thread=False)
    await asyncio.to_thread(locker.execute, "BEGIN EXCLUSIVE")
    command = await anna.say(room, "!notiz während die Datenbank gesperrt ist")
    apology = await anna.wait_for(lambda: anna.replies_to(room, command), timeout=40, what="the apology")
    assert apology[0].body.startswith("Da ist etwas schiefgelaufen (Fehler-ID ")
    assert "locked" not in apology[0].body and "sqlite" not in apology[0].body.lower()
    locker.rollback()
    locker.close()
    after = await anna.ask(room, "!notiz danach")  # the bot continues once the database is back
    assert "ist festgehalten" in after.body
    await anna.barrier(room)
    # Nothing half-written: the failed note exists only if its real confirmation was sent too.
    confirmed = [r for r in anna.replies_to(room, command) if "ist festgehalten" in r.body]
    found = await anna.ask(room, "!suche gesperrt")
    assert ("N-" in found.body) == bool(confirmed)
    assert len(confirmed) <= 1


async def test_a_homeserver_down_for_a_minute_is_survived(tmp_path):
    hs = LocalSynapse(tmp_path / "hs").start()
    try:
        hs.register("lotse", "pw-bot")
        runner = await BotRunner(bot_config(hs, tmp_path / "bot", "lotse"), "pw-bot").start()
        anna = await MatrixUser(hs, "anna").login()
        room = await anna.create_room(invite=["@lotse:localhost"])
        await anna.wait_joined(room, "@lotse:localhost")
        await anna.barrier(room)
        await asyncio.to_thread(hs.stop)
        await asyncio.sleep(60)
        await asyncio.to_thread(hs.start)
        asked = await anna.say(room, "!status")
        await anna.wait_for(lambda: anna.replies_to(room, asked), timeout=120, what="an answer after the outage")
        await anna.barrier(room)
        assert len(anna.replies_to(room, asked)) == 1
        assert runner.task is not None and not runner.task.done()
        await anna.close()
        await runner.stop()
    finally:
        hs.stop()
