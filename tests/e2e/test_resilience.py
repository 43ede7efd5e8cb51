"""Homeserver trouble: Lotse waits, retries and carries on by itself."""
from __future__ import annotations

import asyncio
import logging

from devtools.homeserver import LocalSynapse, free_port
from tests.e2e.harness import BotRunner, MatrixUser, bot_config


async def test_a_homeserver_that_is_down_at_start_is_retried_until_it_comes_up(tmp_path, caplog):
    port = free_port()
    hs = LocalSynapse(tmp_path / "hs", port=port)
    # Register the account first and take the server down again: registering only after the
    # restart would race the bot's next login attempt (a 403 that is, rightly, not retried).
    hs.start()
    hs.register("lotse", "pw-bot")
    hs.stop()
    runner = BotRunner(bot_config(hs, tmp_path / "bot", "lotse"), "pw-bot")
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        # Backoff is capped at a minute; a cold Synapse start on a busy machine adds more.
        starting = asyncio.create_task(runner.start(timeout=600))
        # Wait for the first failed attempt (on a busy machine the bot's start-up takes a while).
        deadline = asyncio.get_running_loop().time() + 300
        while "homeserver not reachable" not in caplog.text:
            if starting.done():
                starting.result()  # shows why the start ended
                raise AssertionError("the bot gave up while the homeserver was down")
            assert asyncio.get_running_loop().time() < deadline, "no attempt to reach the homeserver within 300 s"
            await asyncio.sleep(0.1)
        assert not starting.done(), "the bot gave up while the homeserver was down"
    await asyncio.to_thread(hs.start)
    try:
        await asyncio.wait_for(starting, 600)
        anna = await MatrixUser(hs, "anna").login()
        room = await anna.create_room(invite=["@lotse:localhost"])
        await anna.wait_joined(room, "@lotse:localhost")
        assert (await anna.ask(room, "!ping")).body.startswith("Pong!")
        await anna.close()
        await runner.stop()
    finally:
        hs.stop()


async def test_the_bot_survives_a_homeserver_restart_and_catches_up(tmp_path):
    hs = LocalSynapse(tmp_path / "hs").start()
    try:
        hs.register("lotse", "pw-bot")
        runner = await BotRunner(bot_config(hs, tmp_path / "bot", "lotse"), "pw-bot").start()
        anna = await MatrixUser(hs, "anna").login()
        room = await anna.create_room(invite=["@lotse:localhost"])
        await anna.wait_joined(room, "@lotse:localhost")
        await anna.barrier(room)

        await asyncio.to_thread(hs.stop)
        await asyncio.sleep(1.5)  # the bot's long poll fails and it starts backing off
        await asyncio.to_thread(hs.start)
        asked = await anna.say(room, "!status")
        await anna.wait_for(lambda: anna.replies_to(room, asked), timeout=90, what="a reply after the homeserver restart")
        await anna.barrier(room)
        assert len(anna.replies_to(room, asked)) == 1
        await anna.close()
        await runner.stop()
    finally:
        hs.stop()
