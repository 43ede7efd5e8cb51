"""Lotse on a real Synapse, driven by an independent client, as a member would use it."""
from __future__ import annotations

import json

from nio import RoomMessageNotice


async def invited_bot_room(user, bot) -> str:
    room = await user.create_room(invite=[bot.config.matrix.user_id])
    await user.wait_joined(room, bot.config.matrix.user_id)
    return room


async def test_the_bot_joins_greets_and_answers_hilfe_exactly_once(make_user, make_bot):
    bot = await make_bot()
    anna = await make_user("anna")
    room = await invited_bot_room(anna, bot)
    await anna.wait_for(lambda: anna.notices(room), what="the join notice")
    assert "Hallo, ich bin Lotse" in anna.notices(room)[0].body

    command = await anna.say(room, "!hilfe")
    await anna.wait_for(lambda: anna.replies_to(room, command), what="the help reply")
    await anna.barrier(room)
    [reply] = anna.replies_to(room, command)
    assert isinstance(reply, RoomMessageNotice)
    assert "Das kann ich für dich tun:" in reply.body
    assert reply.source["content"]["formatted_body"].startswith("<p>Das kann ich")
    greetings = [n for n in anna.notices(room) if "Hallo, ich bin Lotse" in n.body]
    assert len(greetings) == 1


async def test_messages_from_before_the_bot_joined_are_ignored(make_user, make_bot):
    bot = await make_bot()
    anna = await make_user("anna")
    room = await anna.create_room()
    early = await anna.say(room, "!ping")
    await anna.invite(room, bot.config.matrix.user_id)
    await anna.wait_joined(room, bot.config.matrix.user_id)
    await anna.barrier(room)
    assert anna.replies_to(room, early) == []


async def test_a_command_sent_while_the_bot_is_down_is_answered_once_after_restart(make_user, make_bot):
    bot = await make_bot()
    anna = await make_user("anna")
    room = await invited_bot_room(anna, bot)
    await bot.stop()
    while_down = await anna.say(room, "!status")
    await bot.start()
    await anna.wait_for(lambda: anna.replies_to(room, while_down), what="the late reply")
    await anna.barrier(room)
    assert len(anna.replies_to(room, while_down)) == 1


async def test_a_restart_produces_no_second_reply_and_keeps_the_device(make_user, make_bot):
    bot = await make_bot()
    anna = await make_user("anna")
    room = await invited_bot_room(anna, bot)
    asked = [await anna.say(room, text) for text in ("!ping", "!hilfe", "!status")]
    for event_id in asked:
        await anna.wait_for(lambda e=event_id: anna.replies_to(room, e), what="a reply")
    session_file = bot.config.storage.data_dir / "session.json"
    device_before = json.loads(session_file.read_text())["device_id"]
    devices_before = sorted(d.id for d in (await bot.app.client.nio.devices()).devices)
    assert device_before in devices_before

    await bot.restart()
    await bot.restart()
    await anna.barrier(room)

    assert [len(anna.replies_to(room, e)) for e in asked] == [1, 1, 1]
    assert json.loads(session_file.read_text())["device_id"] == device_before
    # (Shared-secret registration made one device of its own; restarts must add none.)
    assert sorted(d.id for d in (await bot.app.client.nio.devices()).devices) == devices_before
    greetings = [n for n in anna.notices(room) if "Hallo, ich bin Lotse" in n.body]
    assert len(greetings) == 1


async def test_an_invite_from_a_server_that_is_not_allowed_is_refused(make_user, make_bot):
    anna = await make_user("anna")
    mallory = await make_user("mallory")
    bot = await make_bot(access={"allowed_servers": ["partner.example"], "allowed_users": [anna.user_id]})
    bot_id = bot.config.matrix.user_id

    refused = await mallory.create_room(invite=[bot_id])
    await mallory.wait_for(lambda: mallory.membership_of(refused, bot_id) == "leave", what="the invite to be rejected")

    accepted = await anna.create_room(invite=[bot_id])
    await anna.wait_joined(accepted, bot_id)
    assert (await anna.ask(accepted, "!ping")).body.startswith("Pong!")


async def test_an_unknown_command_gets_a_suggestion(make_user, make_bot):
    bot = await make_bot()
    anna = await make_user("anna")
    room = await invited_bot_room(anna, bot)
    reply = await anna.ask(room, "!hilfee")
    assert reply.body == "Den Befehl „hilfee“ kenne ich nicht. Meintest du !hilfe? Alle Befehle: !hilfe"
    english = await anna.ask(room, "!stauts")
    assert "Meintest du !status?" in english.body


async def test_configured_rooms_are_joined_at_start_and_power_levels_make_coordinators(make_user, make_bot, synapse):
    anna = await make_user("anna")
    alias_local = "hf-test-" + anna.user_id[1:].split(":")[0]
    resp = await anna.client.room_create(alias=alias_local, name="HF Test", preset=__import__("nio").RoomPreset.public_chat)
    room = resp.room_id
    bot = await make_bot(network={
        "name": "Testnetz",
        "coordination_room": f"#{alias_local}:{synapse.server_name}",
    })
    await anna.wait_joined(room, bot.config.matrix.user_id)
    assert room in bot.app.rooms.coordination
    reply = await anna.ask(room, "!status")
    assert "Räume, in denen ich bin: 1" in reply.body


async def test_in_a_direct_message_no_prefix_is_needed(make_user, make_bot):
    bot = await make_bot()
    anna = await make_user("anna")
    room = await anna.client.room_create(is_direct=True, invite=[bot.config.matrix.user_id])
    await anna.wait_joined(room.room_id, bot.config.matrix.user_id)
    assert (await anna.ask(room.room_id, "ping")).body.startswith("Pong!")
