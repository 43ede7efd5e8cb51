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


async def test_sentences_in_a_direct_message_are_questions_not_mistyped_commands(make_user, make_bot):
    bot = await make_bot()
    app, bot_id = bot.app, bot.config.matrix.user_id
    await app.directory.import_entries(read_file(ROOT / "config" / "demo-network.yaml"), "test", app.clock())
    anna = await make_user("anna")
    direct = (await anna.client.room_create(is_direct=True, invite=[bot_id])).room_id
    await anna.wait_joined(direct, bot_id)

    # Its first word is one letter from "nein" (a command): still a question about housing.
    housing = await anna.ask(direct, "Ein Bekannter sucht eine Wohnung")
    assert "Meintest du" not in housing.body and "Sozialmanagement, Sprecherin HF Wohnen" in housing.body
    # Its first word is exactly "Termin", but "beim Gesundheitsamt?" is no meeting: a question.
    health = await anna.ask(direct, "Termin beim Gesundheitsamt?")
    assert "Ärztin im Gesundheitsamt" in health.body
    assert await app.meeting_store.meetings(include_cancelled=True) == []
    # The exact word with arguments that fit its grammar is still a command without the prefix.
    entry = await anna.ask(direct, "eintrag p17")
    assert entry.body.startswith("Sozialmanagement, Sprecherin HF Wohnen")
    typo = await anna.ask(direct, "hilfee")
    assert typo.body.startswith("Den Befehl „hilfee“ kenne ich nicht. Meintest du !hilfe?")


async def test_coordinators_answer_an_open_question_the_asker_is_told_and_the_next_person_gets_it(make_user, make_bot, synapse):
    import nio

    kora = await make_user("kora")
    alias_local = "koord-" + kora.user_id[1:].split(":")[0]
    coord = (await kora.client.room_create(alias=alias_local, name="Koordination", preset=nio.RoomPreset.public_chat)).room_id
    bot = await make_bot(network={"name": "Testnetz", "coordination_room": f"#{alias_local}:{synapse.server_name}"})
    app, bot_id = bot.app, bot.config.matrix.user_id
    await kora.wait_joined(coord, bot_id)
    await app.directory.import_entries(read_file(ROOT / "config" / "demo-network.yaml"), "test", app.clock())

    anna = await make_user("anna")
    direct = (await anna.client.room_create(is_direct=True, invite=[bot_id])).room_id
    await anna.wait_joined(direct, bot_id)
    asked = await anna.ask(direct, "Wer betreut das Lesezeichen-Projekt?")
    assert "habe ich niemanden gefunden" in asked.body and "(F-1)" in asked.body

    # The coordinators see the question without the asker; a member may not answer it.
    listed = await kora.ask(coord, "!offene-fragen")
    assert "F-1: „Wer betreut das Lesezeichen-Projekt?“" in listed.body and anna.user_id not in listed.body
    refused = await anna.ask(direct, "!zuordnen F-1 p13")
    assert refused.body.startswith("Das dürfen nur Koordinatorinnen")
    done = await kora.ask(coord, "!zuordnen F-1 p13")
    assert done.body.startswith("F-1 ist beantwortet: „Lesezeichen-Projekt“ gehört jetzt zu Ehrenamtskoordinatorin")

    # Anna is told in the direct message where she asked.
    told = await anna.wait_for(lambda: [n for n in anna.notices(direct) if n.body.startswith("Zu deiner Frage")],
                               what="the answer to the open question")
    assert "Ehrenamtskoordinatorin, Sprecherin HF Ehrenamt" in told[0].body and len(told) == 1

    # The next person asking gets the answer at once.
    ben = await make_user("ben")
    other = (await ben.client.room_create(is_direct=True, invite=[bot_id])).room_id
    await ben.wait_joined(other, bot_id)
    again = await ben.ask(other, "Lesezeichen-Projekt – an wen wende ich mich?")
    assert "Ehrenamtskoordinatorin, Sprecherin HF Ehrenamt" in again.body and "niemanden" not in again.body
    # The change is audited without content.
    history = await kora.ask(coord, "!verlauf F-1")
    assert "assign" in history.body or "zuordnen" in history.body
