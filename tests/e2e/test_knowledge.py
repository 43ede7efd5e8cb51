"""The knowledge register on a real Synapse: record by reply, find with a typo, room privacy."""
from __future__ import annotations


async def test_a_decision_recorded_by_reply_is_found_with_a_typo_but_not_from_a_foreign_room(make_user, make_bot):
    bot = await make_bot()
    bot_id = bot.config.matrix.user_id
    anna = await make_user("anna")
    ben = await make_user("ben")
    room = await anna.create_room(invite=[bot_id, ben.user_id], name="HF Gesundheit")
    await ben.join(room)
    await anna.wait_joined(room, bot_id)

    proposal = await ben.say(room, "Ab April laufen alle Anfragen an den Sprachmittlerpool über das Formular.")
    command = await anna.client.room_send(room, "m.room.message", {
        "msgtype": "m.text",
        "body": f"> <{ben.user_id}> Ab April laufen alle Anfragen …\n\n!beschluss",
        "m.relates_to": {"m.in_reply_to": {"event_id": proposal}},
    })
    confirmation = (await anna.wait_for(lambda: anna.replies_to(room, command.event_id), what="the confirmation"))[0]
    assert confirmation.body.startswith("Beschluss B-1 ist festgehalten: „Ab April laufen alle Anfragen an den Sprachmittlerpool")
    assert f"Urheber: {ben.user_id}" in confirmation.body
    reactions = await anna.wait_for(
        lambda: [e for e in anna.events[room] if e.source.get("type") == "m.reaction"
                 and e.source["content"]["m.relates_to"]["event_id"] == command.event_id],
        what="the ✅ reaction",
    )
    assert reactions[0].source["content"]["m.relates_to"]["key"] == "✅"

    found = await ben.ask(room, "!suche Sprachmitlerpool")
    assert "B-1" in found.body and found.body.startswith("Treffer für „Sprachmitlerpool“ (1–1 von 1):")

    # Carla is not in the health room. From her own room with Lotse she cannot find it.
    carla = await make_user("carla")
    elsewhere = await carla.create_room(invite=[bot_id], name="Anderes")
    await carla.wait_joined(elsewhere, bot_id)
    nothing = await carla.ask(elsewhere, "!suche Sprachmittlerpool")
    assert nothing.body == "Zu „Sprachmittlerpool“ habe ich nichts gefunden. Versuch es mit einem anderen Wort."
    hidden = await carla.ask(elsewhere, "!zeige B-1")
    assert hidden.body.startswith("Einen Eintrag B-1 finde ich nicht.")

    # The decision survives a restart: the register is in the database, the index is rebuilt.
    await bot.restart()
    shown = await anna.ask(room, "!zeige B-1")
    assert "Stand: beschlossen" in shown.body and "Zur Originalnachricht im Chat" in shown.body
