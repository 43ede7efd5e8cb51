"""Encrypted rooms on the real Synapse, with independent clients that have their own crypto stores."""
from __future__ import annotations

import asyncio
import json
import os
import stat

from nio import MegolmEvent
from signedjson.key import decode_verify_key_base64
from signedjson.sign import verify_signed_json

from bot.__main__ import run_crypto
from bot.crosssigning import KEY_FILE, CrossSigning, KeyFile, encode_recovery_key
from tests.e2e.harness import MatrixUser, UserApi


def bot_id(runner) -> str:
    return runner.app.config.matrix.user_id


async def encrypted_room_with_bot(owner, runner) -> str:
    room = await owner.create_room(invite=[bot_id(runner)], encrypted=True)
    await owner.wait_joined(room, bot_id(runner))
    return room


async def wire_type(synapse, user, room: str, event_id: str) -> str:
    """The event type as the homeserver stores it (nio would decrypt it on the way)."""
    event = await asyncio.to_thread(
        synapse._request, "GET", f"/_matrix/client/v3/rooms/{room}/event/{event_id}", None, user.client.access_token)
    return event["type"]


async def test_commands_are_answered_readably_across_restarts_and_for_late_joiners(make_bot, make_user, synapse):
    runner = await make_bot()
    anna = await make_user("anna", encrypted=True)
    room = await encrypted_room_with_bot(anna, runner)

    reply = await anna.ask(room, "!ping")
    assert reply.decrypted and reply.body.startswith("Pong!")
    assert await wire_type(synapse, anna, room, reply.event_id) == "m.room.encrypted"

    device = runner.app.client.device_id
    await runner.restart()
    assert runner.app.client.device_id == device
    again = await anna.ask(room, "!ping")
    assert again.decrypted and again.body.startswith("Pong!")

    # Bert joins after Lotse has spoken; he can read what Lotse says next.
    bert = await make_user("bert", encrypted=True)
    await anna.invite(room, bert.user_id)
    await bert.wait_for(lambda: room in bert.invited_rooms, what="bert's invite")
    await bert.join(room)
    await anna.wait_joined(room, bert.user_id)
    question = await anna.say(room, "!wer Gesundheit")
    await anna.wait_for(lambda: anna.replies_to(room, question), what="the answer")
    seen = await bert.wait_for(lambda: bert.replies_to(room, question), what="bert reading the answer")
    assert seen[0].decrypted
    own = await bert.ask(room, "!ping")
    assert own.decrypted and own.body.startswith("Pong!")


def verify_key(key_object: dict):
    ((key_id, public),) = key_object["keys"].items()
    return decode_verify_key_base64("ed25519", key_id.split(":", 1)[1], public)


async def keys_of(synapse, asker, user_id: str) -> dict:
    return await asyncio.to_thread(
        synapse._request, "POST", "/_matrix/client/v3/keys/query", {"device_keys": {user_id: []}},
        asker.client.access_token,
    )


async def test_the_bot_device_is_cross_signed_once_and_the_keys_come_back_with_the_recovery_key(
    make_bot, make_user, synapse, capsys
):
    runner = await make_bot()
    me, device = bot_id(runner), runner.app.client.device_id
    shown = capsys.readouterr().out
    assert "recovery key" in shown
    recovery_key = shown.split("recovery key", 1)[1].split("\n\n")[1].strip()

    carla = await make_user("carla")
    keys = await keys_of(synapse, carla, me)
    master = keys["master_keys"][me]
    self_signing = keys["self_signing_keys"][me]
    device_keys = keys["device_keys"][me][device]
    assert master["usage"] == ["master"] and self_signing["usage"] == ["self_signing"]
    # Checked here with signedjson directly, not with Lotse's own helpers.
    verify_signed_json(self_signing, me, verify_key(master))
    verify_signed_json(device_keys, me, verify_key(self_signing))
    own_key = decode_verify_key_base64("ed25519", device, device_keys["keys"][f"ed25519:{device}"])
    verify_signed_json(device_keys, me, own_key)

    data_dir = runner.app.config.storage.data_dir
    key_file = data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    stored = key_file.read_text()
    await runner.restart()
    assert key_file.read_text() == stored
    assert (await keys_of(synapse, carla, me))["master_keys"][me] == master
    assert "recovery key" not in capsys.readouterr().out

    # The data directory loses the keys: Lotse does not silently make new ones …
    await runner.stop()
    key_file.unlink()
    config = runner.app.config
    assert await run_crypto(config, "bootstrap", False, None) == 1
    assert not key_file.exists()
    assert (await keys_of(synapse, carla, me))["master_keys"][me] == master
    # … a wrong recovery key is refused, the right one restores them.
    assert await run_crypto(config, "restore", False, encode_recovery_key(os.urandom(32))) == 1
    assert await run_crypto(config, "restore", False, recovery_key) == 0
    assert json.loads(key_file.read_text()) == json.loads(stored)
    capsys.readouterr()
    assert await run_crypto(config, "status", False, None) == 0
    assert "this device:          cross-signed" in capsys.readouterr().out


async def send_undecryptable(synapse, user, room: str, session: str) -> str:
    """An encrypted event whose room key Lotse never gets (a client that withheld it)."""
    content = {
        "algorithm": "m.megolm.v1.aes-sha2",
        "sender_key": user.client.olm.account.identity_keys["curve25519"],
        "device_id": user.client.device_id,
        "session_id": session,
        "ciphertext": "AwgAEnACgAkLmt6qF84IK++J7UDH2Za1YVchHyprqTqsg2yyOwAtHaZTwyNg37afzg8f3r9IsN9r4RNFg7MaZencUJe4qvELiDiopUjy5wYVDAtqdBzer5bWRD9ldxp1FLgbQvBcjkkywYjCsmsq6+hArLd9oAQZnGKn/qLsK+5uNX3PaWzDRC9wZPQvWYYPCTov3jCwXKTPsLKIiTrcCXDqMvnn8m+T3zF/I2zqxg158tnUwWWIw51UO",
    }
    path = f"/_matrix/client/v3/rooms/{room}/send/m.room.encrypted/{session}"
    resp = await asyncio.to_thread(synapse._request, "PUT", path, content, user.client.access_token)
    return resp["event_id"]


async def test_an_undecryptable_message_is_answered_once_per_room_and_sender(make_bot, make_user, synapse):
    runner = await make_bot(encryption={"undecryptable_wait_seconds": 0})
    anna = await make_user("anna", encrypted=True)
    room = await encrypted_room_with_bot(anna, runner)
    await anna.barrier(room)

    first = await send_undecryptable(synapse, anna, room, "withheld-1")
    notice = (await anna.wait_for(lambda: anna.replies_to(room, first), what="the notice"))[0]
    assert notice.decrypted
    assert "nicht lesen" in notice.body and "Koordination" in notice.body
    second = await send_undecryptable(synapse, anna, room, "withheld-2")
    await anna.barrier(room)
    assert anna.replies_to(room, second) == []
    assert len([n for n in anna.notices(room) if "nicht lesen" in n.body]) == 1


async def test_with_the_cross_signed_policy_only_cross_signed_devices_get_the_room_keys(make_bot, make_user, tmp_path):
    runner = await make_bot(encryption={"trust": "cross_signed"})
    anna = await make_user("anna", encrypted=True)
    bert = await make_user("bert", encrypted=True)
    await CrossSigning(UserApi(anna), KeyFile(tmp_path / "anna-keys"), anna.password).ensure()
    room = await anna.create_room(invite=[bot_id(runner), bert.user_id], encrypted=True)
    await bert.wait_for(lambda: room in bert.invited_rooms, what="bert's invite")
    await bert.join(room)
    await anna.wait_joined(room, bot_id(runner))
    await anna.wait_joined(room, bert.user_id)

    reply = await anna.ask(room, "!ping")
    assert reply.decrypted
    unreadable = await bert.wait_for(
        lambda: [e for e in bert.events[room] if e.event_id == reply.event_id], what="bert receiving the reply")
    assert isinstance(unreadable[0], MegolmEvent), "a device that is not cross-signed got the room key"

    # Bert cross-signs his device: from Lotse's next message on, he can read it.
    await CrossSigning(UserApi(bert), KeyFile(tmp_path / "bert-keys"), bert.password).ensure()
    own = await bert.ask(room, "!ping")
    assert own.decrypted and own.body.startswith("Pong!")


async def test_a_members_new_device_gets_lotses_earlier_room_key_on_request(make_bot, make_user, synapse, tmp_path):
    runner = await make_bot()
    anna = await make_user("anna", encrypted=True)
    room = await encrypted_room_with_bot(anna, runner)
    reply = await anna.ask(room, "!ping")

    # Anna signs in on a second device, which never received the room key of that reply.
    second = await MatrixUser(synapse, anna.user_id.split(":")[0][1:], anna.password, store=tmp_path / "anna-2").login()
    try:
        forwarded: list[dict] = []
        machine = second.client.olm
        original = machine._handle_forwarded_room_key_event

        def spy(sender, sender_key, payload):
            forwarded.append({"sender": sender, **payload["content"]})
            return original(sender, sender_key, payload)

        machine._handle_forwarded_room_key_event = spy
        event = await second.wait_for(
            lambda: [e for e in second.events[room] if e.event_id == reply.event_id], what="the old reply")
        assert isinstance(event[0], MegolmEvent)
        message = event[0].as_key_request(bot_id(runner), second.client.device_id, "req-1")
        await second.client.to_device(message)
        await second.wait_for(lambda: forwarded, what="Lotse forwarding the room key")
        assert forwarded[0]["sender"] == bot_id(runner)
        assert forwarded[0]["session_id"] == event[0].session_id and forwarded[0]["room_id"] == room
    finally:
        await second.close()
