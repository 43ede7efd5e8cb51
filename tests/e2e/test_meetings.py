"""Reminders and minutes on a real Synapse, across a bot restart."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from knowledge.meetings.model import ReminderTarget
from knowledge.storage import Database, MeetingRepository


async def add_room_reminder(repo: MeetingRepository, room: str, text: str, seconds: float, origin: str) -> None:
    now = datetime.now(timezone.utc)
    await repo.add_reminder(origin=origin, target=ReminderTarget.ROOM, room_id=room, text=text, start=now + timedelta(seconds=seconds),
                            timezone="Europe/Berlin", rrule=None, created_by="@test:localhost", mention_room=False, at=now)


async def test_a_reminder_missed_while_the_bot_is_down_arrives_once_marked_late(make_user, make_bot):
    bot = await make_bot(meetings={"late_after_seconds": 1})
    anna = await make_user("anna")
    room = await anna.create_room(invite=[bot.config.matrix.user_id])
    await anna.wait_joined(room, bot.config.matrix.user_id)

    await add_room_reminder(bot.app.meeting_store, room, "Erste Erinnerung", 2, "e2e-first")
    await bot.app.schedule_changed()
    first = await anna.wait_for(lambda: [n for n in anna.notices(room) if "Erste Erinnerung" in n.body], what="the first reminder")
    assert first[0].body == "Erinnerung: Erste Erinnerung"

    await bot.stop()
    db = Database(bot.config.database_url)
    await db.open()
    await add_room_reminder(MeetingRepository(db), room, "Zweite Erinnerung", 1, "e2e-second")
    await db.close()
    await asyncio.sleep(2.5)  # the second one falls due while Lotse is down
    await bot.start()
    late = await anna.wait_for(lambda: [n for n in anna.notices(room) if "Zweite Erinnerung" in n.body], what="the late reminder")
    assert late[0].body.startswith("Verspätet – Lotse war nicht erreichbar.")
    await bot.restart()
    await anna.barrier(room)
    assert len([n for n in anna.notices(room) if "Zweite Erinnerung" in n.body]) == 1
    assert len([n for n in anna.notices(room) if "Erste Erinnerung" in n.body]) == 1


async def test_a_meeting_from_start_to_summary_with_two_people(make_user, make_bot):
    bot = await make_bot()
    bot_id = bot.config.matrix.user_id
    anna = await make_user("anna")
    ben = await make_user("ben")
    room = await anna.create_room(invite=[bot_id, ben.user_id])
    await ben.join(room)
    await anna.wait_joined(room, bot_id)

    started = await anna.ask(room, "!sitzung start AG Test")
    assert started.body.startswith("Sitzung P-1 hat begonnen: AG Test.")
    assert "Im Protokoll" in (await ben.ask(room, "!beschluss Wir übersetzen die Checkliste")).body
    await anna.ask(room, f"!aufgabe {ben.user_id} Übersetzung beauftragen bis 31.12.2099")
    await ben.ask(room, "!link https://cloud.example.org/liste Entwurf")
    await ben.say(room, "Ich finde das gut.")
    await bot.restart()  # a meeting survives a restart in the middle
    await anna.ask(room, "!info Nächstes Treffen im Januar")
    summary = await anna.ask(room, "!sitzung ende")
    body = summary.body
    assert body.startswith("Protokoll P-1: AG Test")
    assert "• B-1 Wir übersetzen die Checkliste" in body
    assert "• A-1 Übersetzung beauftragen" in body
    assert "• L-1 Entwurf – https://cloud.example.org/liste" in body
    assert "• N-1 Nächstes Treffen im Januar" in body
    assert anna.user_id in body and ben.user_id in body
    tasks = await ben.ask(room, "!aufgaben")
    assert "A-1 Übersetzung beauftragen" in tasks.body and "fällig am Donnerstag, 31. Dezember 2099" in tasks.body
