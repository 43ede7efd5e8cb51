"""The directory on a real Synapse: asking in a room and in a direct message, and the
re-confirmation request answered with one word."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from knowledge.directory.files import read_file
from knowledge.directory.model import RoleEntry

ROOT = Path(__file__).resolve().parents[2]


async def test_who_handles_in_a_room_in_a_direct_message_and_reconfirmation_by_dm(make_user, make_bot):
    bot = await make_bot()
    app, bot_id = bot.app, bot.config.matrix.user_id
    await app.directory.import_entries(read_file(ROOT / "config" / "demo-network.yaml"), "test", app.clock())

    anna = await make_user("anna")
    room = await anna.create_room(invite=[bot_id])
    await anna.wait_joined(room, bot_id)
    reply = await anna.ask(room, "!wer Gesundheit")
    assert "Ärztin im Gesundheitsamt" in reply.body and "Dr. Miriam Hollenbach" in reply.body
    assert "<strong>" in reply.source["content"]["formatted_body"]

    direct = (await anna.client.room_create(is_direct=True, invite=[bot_id])).room_id
    await anna.wait_joined(direct, bot_id)
    natural = await anna.ask(direct, "an wen wende ich mich wegen Wohnungssuche?")
    assert "Sozialmanagement, Sprecherin HF Wohnen" in natural.body

    # Ben holds a role that was last confirmed long ago: the daily round asks him directly.
    ben = await make_user("ben")
    await app.directory.save(
        RoleEntry(id="t1", role="Testrolle Beratung", organisation="Testverein", person="Ben", topics=("beratung",),
                  matrix_id=ben.user_id, last_confirmed=date(2025, 1, 1)),
        "test", app.clock(), "created",
    )
    await app.keep_directory()
    invited = await ben.wait_for(lambda: ben.invited_rooms, what="the invitation to a direct message")
    dm = next(iter(invited))
    await ben.join(dm)
    request = await ben.wait_for(lambda: [n for n in ben.notices(dm) if "Stimmt das noch?" in n.body], what="the request")
    assert "Testrolle Beratung" in request[0].body
    thanks = await ben.ask(dm, "ja")
    assert thanks.body == "Danke! Die Angaben sind bestätigt: t1."
    assert app.directory.get("t1").last_confirmed == app.clock().date()
    # Running the round again asks nobody twice.
    await app.keep_directory()
    await ben.barrier(dm)
    assert len([n for n in ben.notices(dm) if "Stimmt das noch?" in n.body]) == 1
