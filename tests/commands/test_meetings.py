"""Meetings, reminders, action items and minutes in chat."""
from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from commands.posts import render_post as render_firing
from knowledge.meetings.model import meeting_firings, reminder_firings
from knowledge.values import Destination, Scope
from tests.commands.conftest import ARBEIT, DM
from tests.wiring import with_network

KOORD = "@koord:example.org"
ANNA, BEN = "@anna:example.org", "@ben:example.org"


async def test_a_coordinator_creates_a_recurring_meeting_and_it_is_echoed_spelled_out(chat, meetings, schedule_changes):
    reply = await chat.say("!termin AG Gesundheit | jeden ersten Dienstag im Monat um 10 Uhr | 90 min | https://meet.example.org/ag",
                           sender=KOORD)
    assert reply.body.startswith("Termin M-1 ist angelegt: AG Gesundheit")
    assert "Wann: Dienstag, 3. März 2026, 10:00 Uhr (1 Stunde und 30 Minuten)" in reply.body
    assert "Wiederholung: jeden 1. Dienstag im Monat" in reply.body
    assert '<a href="https://meet.example.org/ag">Videokonferenz für AG Gesundheit</a>' in reply.html
    assert reply.reaction == "✅" and len(schedule_changes) == 1
    created = await meetings.meeting(1)
    assert created.rrule == "FREQ=MONTHLY;BYDAY=+1TU" and created.scope == Scope.handlungsfeld("hf-gesundheit")
    assert (await chat.say("!termin X | morgen 10 Uhr")).body.startswith("Das dürfen nur Koordinatorinnen")


async def test_bad_meeting_input_is_explained_and_nothing_is_stored(chat, meetings):
    cases = {
        "!termin Nur ein Titel": "So legst du einen Termin an:",
        "!termin Treffen | 30.02.2026 10 Uhr": "Den Tag „30.02.2026“ gibt es nicht.",
        "!termin Treffen | gestern 10 Uhr": "„gestern 10 Uhr“ liegt in der Vergangenheit.",
        "!termin Treffen | 3/4 10 Uhr": "„3/4“ ist nicht eindeutig.",
        "!termin Treffen | 29.3.2026 2:30": "Die Uhrzeit 02:30 gibt es an diesem Tag nicht",
        "!termin Treffen | 25.10.2026 2:30": "Die Uhrzeit 02:30 gibt es an diesem Tag zweimal",
        "!termin Treffen | morgen 10 Uhr | ewig": "Die Dauer „ewig“ verstehe ich nicht.",
        "!termin Treffen | jeden Dienstag": "Bei einem regelmäßigen Termin fehlt die Uhrzeit.",
    }
    for text, expected in cases.items():
        assert (await chat.say(text, sender=KOORD)).body.startswith(expected), text
    assert await meetings.meetings() == []


async def test_list_skip_edit_cancel_and_ics(chat, meetings, clock):
    await chat.say("!termin AG Gesundheit | jeden Dienstag 10 Uhr | 1 h | Kreishaus Raum 1.14", sender=KOORD)
    listed = await chat.say("!termine")
    # The test clock says 10:00 in Berlin: today's meeting has begun, the list starts next week.
    assert listed.body.startswith("Die nächsten Termine:\n\n• Dienstag, 10. März 2026, 10:00 Uhr – AG Gesundheit (M-1)")
    skipped = await chat.say("!termin ausfallen M-1 10.3.2026", sender=KOORD)
    assert skipped.body == "Der Termin M-1 am Dienstag, 10. März 2026, 10:00 Uhr fällt aus. Ich erinnere dafür nicht."
    assert (await chat.say("!termine")).body.startswith("Die nächsten Termine:\n\n• Dienstag, 17. März 2026")
    assert (await chat.say("!termin ausfallen M-1 11.3.2026", sender=KOORD)).body.startswith("M-1 findet am Mittwoch, 11. März 2026 nicht statt.")
    edited = await chat.say("!termin ändern M-1 ort Raum 2.07", sender=KOORD)
    assert "Ort: Raum 2.07" in edited.body
    assert (await chat.say("!termin ändern M-1 farbe blau", sender=KOORD)).body.startswith("So änderst du einen Termin")
    assert (await chat.say("!termin ändern M-1 erinnerungen 2 Tage, 30 min", sender=KOORD)).reaction == "✅"
    assert (await meetings.meeting(1)).reminders == (timedelta(days=2), timedelta(minutes=30))
    ics = await chat.say("!termin ics M-1")
    [attachment] = ics.attachments
    assert attachment.filename == "M-1.ics" and attachment.mimetype == "text/calendar"
    calendar = Calendar.from_ical(attachment.content)
    event = calendar.walk("VEVENT")[0]
    assert str(event["summary"]) == "AG Gesundheit" and event["rrule"]["FREQ"] == ["WEEKLY"]
    assert event["dtstart"].dt.tzinfo is not None and str(event["dtstart"].params["TZID"]) == "Europe/Berlin"
    assert any(c.name == "VTIMEZONE" for c in calendar.walk())
    assert (await chat.say("!termin absagen M-1", sender=KOORD)).body.startswith("Der Termin M-1 (AG Gesundheit) ist abgesagt.")
    assert (await chat.say("!termine")).body.startswith("In den nächsten 90 Tagen gibt es keine Termine.")
    assert (await chat.say("!termin ics M-9")).body.startswith("Einen Termin M-9 finde ich nicht.")
    assert (await chat.say("!termin ics X-1")).body.startswith("„X-1“ ist keine passende Nummer.")


async def test_meetings_of_other_rooms_are_not_visible(chat):
    await chat.say("!termin Jobmesse | 20.3.2026 10 Uhr", sender=KOORD, room=ARBEIT)
    assert (await chat.say("!termin ics M-1")).body.startswith("Einen Termin M-1 finde ich nicht.")
    assert "Jobmesse" in (await chat.say("!termine", sender=BEN, room=ARBEIT)).body


async def test_agenda_items_go_to_the_next_meeting_of_the_room_and_into_its_reminder(chat, meetings, clock):
    assert (await chat.say("!top Fachtag")).body.startswith("In diesem Raum gibt es keinen kommenden Termin.")
    await chat.say("!termin AG Gesundheit | 5.3.2026 10 Uhr | 60 min", sender=KOORD)
    assert (await chat.say("!top")).body.startswith("Welches Thema soll auf die Tagesordnung?")
    assert (await chat.say("!top Bericht vom Fachtag")).body == "Das Thema steht auf der Tagesordnung für AG Gesundheit am Donnerstag, 5. März 2026, 10:00 Uhr."
    meeting = await meetings.meeting(1)
    [day_before, hour_before] = meeting_firings(meeting, clock(), clock() + timedelta(days=5))
    post = await render_firing(chat.dispatcher.services, day_before, late=False)
    assert post.target == Destination.of_scope(Scope.handlungsfeld("hf-gesundheit"))
    assert post.reply.body.startswith("Erinnerung: AG Gesundheit")
    assert "Tagesordnung:\n\n• Bericht vom Fachtag" in post.reply.body
    late = await render_firing(chat.dispatcher.services, hour_before, late=True)
    assert late.reply.body.startswith("Verspätet – Lotse war nicht erreichbar.")


async def test_reminders_for_me_for_the_room_and_for_everyone(chat, meetings, clock):
    mine = await chat.say("!erinnere mich morgen 9 Uhr | Protokoll verschicken")
    assert mine.body == "Erinnerung E-1 ist gespeichert: Mittwoch, 4. März 2026, 09:00 Uhr."
    weekly = await chat.say("!remind here every Monday at 9 | weekly plan")
    assert weekly.body == "Reminder E-2 is saved: every Monday, first on Monday, 9 March 2026, 09:00."
    refused = await chat.say("!erinnere alle morgen 9 Uhr | Treffen")
    assert refused.body.startswith("Alle im Raum mit @room erinnern darf nur die Koordination.")
    assert (await chat.say("!erinnere alle morgen 9 Uhr | Treffen", sender=KOORD)).reaction == "✅"
    assert (await chat.say("!erinnere mich morgen 9 Uhr")).body.startswith("So geht eine Erinnerung:")
    assert (await chat.say("!erinnere mich irgendwann | x")).body.startswith("Diese Wörter verstehe ich bei der Zeit nicht: „irgendwann“")
    listed = await chat.say("!erinnerungen")
    assert "E-1" in listed.body and "E-2" in listed.body and "Protokoll verschicken" in listed.body

    reminder = await meetings.reminder(1)
    [firing] = reminder_firings(reminder, clock(), clock() + timedelta(days=2))
    post = await render_firing(chat.dispatcher.services, firing, late=False)
    assert post.target == Destination.direct("@anna:example.org") and post.reply.body == "Erinnerung: Protokoll verschicken"
    everyone = await meetings.reminder(3)
    [firing] = reminder_firings(everyone, clock(), clock() + timedelta(days=2))
    post = await render_firing(chat.dispatcher.services, firing, late=False)
    assert post.mention_room and post.reply.body.startswith("@room ") and post.target == Destination.to_room("!hf:example.org")

    assert (await chat.say("!erinnerung-löschen E-1", sender=BEN, room=DM)).body.startswith("Eine Erinnerung E-1 finde ich nicht.")
    assert (await chat.say("!erinnerung-löschen E-3")).body.startswith("Die Erinnerung E-3 hat jemand anderes angelegt.")
    assert (await chat.say("!erinnerung-löschen E-1")).body == "Die Erinnerung E-1 ist gelöscht."
    assert await render_firing(chat.dispatcher.services, reminder_firings(reminder, clock(), clock() + timedelta(days=2))[0], False) is None


async def test_action_items_lifecycle(chat, meetings, clock):
    reply = await chat.say("!aufgabe @ben:example.org Einladung verschicken bis 10.3.2026")
    assert reply.body.startswith("Aufgabe A-1 für @ben:example.org: Einladung verschicken")
    assert "fällig am Dienstag, 10. März 2026" in reply.body
    assert (await chat.say("!aufgabe Ben macht das")).body.startswith("So hältst du eine Aufgabe fest:")
    assert (await chat.say("!aufgabe @ben:example.org x bis 1.1.2026")).body.startswith("„1.1.2026“ liegt in der Vergangenheit.")
    mine = await chat.say("!aufgaben", sender=BEN)
    assert mine.body.startswith("Offene Aufgaben (1):") and "A-1" in mine.body
    assert (await chat.say("!aufgaben")).body == "Es gibt keine offenen Aufgaben."
    assert "A-1" in (await chat.say("!aufgaben raum")).body
    assert (await chat.say("!aufgaben quatsch")).body.startswith("„quatsch“ verstehe ich nicht.")
    assert (await chat.say("!erledigt A-1", sender="@carla:example.org")).body.startswith("Die Aufgabe A-1 kann nur")
    assert (await chat.say("!erledigt A-1", sender=BEN)).body == "Aufgabe A-1 ist erledigt: Einladung verschicken"
    assert (await chat.say("!erledigt A-1", sender=BEN)).body == "Die Aufgabe A-1 ist schon erledigt."
    clock.advance(days=10)
    await chat.say("!aufgabe @anna:example.org Bericht bis 14.3.2026")
    clock.advance(days=2)
    assert "überfällig" in (await chat.say("!aufgaben")).body


async def test_a_meeting_from_start_to_summary(chat, meetings, knowledge, clock):
    assert (await chat.say("!sitzung start")).body.startswith("Eine Sitzung leiten dürfen die Koordination")
    started = await chat.say("!sitzung start AG Gesundheit", sender=KOORD)
    assert started.body.startswith("Sitzung P-1 hat begonnen: AG Gesundheit.")
    assert (await chat.say("!sitzung start", sender=KOORD)).body.startswith("In diesem Raum läuft schon eine Sitzung (P-1).")
    decision = await chat.say("!beschluss Checkliste wird übersetzt", sender=ANNA)
    assert "Im Protokoll der laufenden Sitzung." in decision.body
    await chat.say("!aufgabe @ben:example.org Übersetzung beauftragen bis 1.4.2026", sender=ANNA)
    await chat.say("!link https://cloud.example.org/checkliste Entwurf Checkliste", sender=BEN)
    await chat.say("!info Der Fachtag hatte 80 Gäste", sender=BEN)
    await chat.say("!notiz Versehentlich", sender=BEN)
    assert (await chat.say("!rückgängig", sender=ANNA)).body.startswith("Zurücknehmen darf die Sitzungsleitung")
    assert (await chat.say("!rückgängig", sender=BEN)).body == "Zurückgenommen: „Versehentlich“"
    await minutes_speaker(chat, BEN)
    clock.advance(minutes=75)
    summary = await chat.say("!sitzung ende", sender=KOORD)
    body = summary.body
    assert body.startswith("Protokoll P-1: AG Gesundheit")
    for fact in ("Datum: Dienstag, 3. März 2026, 10:00 Uhr", "Dauer: 1 Stunde und 15 Minuten", "Leitung: @koord:example.org",
                 "Beschlüsse\n\n• B-1 Checkliste wird übersetzt", "Aufgaben\n\n• A-1 Übersetzung beauftragen",
                 "Links\n\n• L-1 Entwurf Checkliste – https://cloud.example.org/checkliste",
                 "Informationen\n\n• N-1 Der Fachtag hatte 80 Gäste"):
        assert fact in body, fact
    assert "Versehentlich" not in body and "@ben:example.org" in body
    from knowledge.register.model import Kind

    assert (await knowledge.get(Kind.NOTE, 2)).retracted  # the undone note left the register too
    assert (await chat.say("!sitzung ende", sender=KOORD)).body.startswith("In diesem Raum läuft keine Sitzung.")
    again = await chat.say("!protokoll")
    assert again.body.startswith("Protokoll P-1: AG Gesundheit")
    assert (await chat.say("!protokoll P-9")).body.startswith("Ein Protokoll „P-9“ finde ich nicht.")


async def minutes_speaker(chat, user):
    await chat.dispatcher.services.minutes.note_speaker("!hf:example.org", user)


async def test_minutes_as_a_draft_when_approval_is_configured(chat, clock):

    chat.dispatcher.services = with_network(chat.dispatcher.services, minutes_approval=True)
    await chat.say("!sitzung start Klausur", sender=KOORD)
    await chat.say("!beschluss Wir treffen uns quartalsweise", sender=KOORD)
    draft = await chat.say("!sitzung ende", sender=KOORD)
    assert draft.body.startswith("Entwurf – Protokoll P-1: Klausur")
    assert "!protokoll freigeben P-1" in draft.body
    assert (await chat.say("!protokoll freigeben P-1")).body.startswith("Eine Sitzung leiten dürfen")
    published = await chat.say("!protokoll freigeben P-1", sender=KOORD)
    assert published.body.startswith("Protokoll P-1: Klausur")
    assert (await chat.say("!protokoll freigeben P-1", sender=KOORD)).body == "Das Protokoll P-1 ist kein Entwurf. Es ist schon veröffentlicht."


async def test_meeting_subcommands_carry_their_own_permission_and_help(chat):
    await chat.say("!termin AG Gesundheit | 5.3.2026 10 Uhr", sender=KOORD)
    assert (await chat.say("!termin absagen M-1")).body.startswith("Das dürfen nur Koordinatorinnen")
    assert (await chat.say("!termin ics M-1")).attachments
    shown = (await chat.say("!hilfe termin")).body
    assert "!termin ausfallen <Nummer> [Datum…] – " in shown and "(nur für Koordinatorinnen und Koordinatoren)" in shown
    assert (await chat.say("!hilfe termin ics")).body.startswith("!termin ics – ")
    assert (await chat.say("!sitzung")).body == "Was genau? Möglich sind: start, ende."


async def test_scheduled_posts_write_commands_with_the_configured_prefix(chat, meetings, clock):
    from dataclasses import replace

    from commands.registry import CommandWords
    from knowledge.meetings.model import meeting_firings as firings

    await chat.say("!termin AG Gesundheit | jeden Dienstag um 10 Uhr", sender=KOORD)
    meeting = await meetings.meeting(1)
    agenda_call = next(f for f in firings(meeting, clock(), clock() + timedelta(days=30)) if f.kind == "agenda_call")
    services = replace(chat.dispatcher.services, words=CommandWords(chat.dispatcher.registry, "?"))
    post = await render_firing(services, agenda_call, late=False)
    assert "?top" in post.reply.body and "!top" not in post.reply.body


async def test_due_dates_use_the_one_date_vocabulary(chat):
    reply = await chat.say("!aufgabe @ben:example.org Raum buchen bis Freitag")  # the fake clock: Tuesday, 3 March 2026
    assert reply.reaction == "✅" and "Freitag, 6. März 2026" in reply.body
