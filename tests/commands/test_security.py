"""Flood limit, audit log, escaping and Unicode in chat."""
from __future__ import annotations

from commands.dispatcher import FloodGuard
from knowledge.register.model import Kind
from knowledge.storage import AuditRepository
from tests.commands.conftest import ARBEIT


async def test_ten_commands_in_ten_seconds_then_one_notice_then_silence(chat, clock):
    chat.dispatcher.flood = FloodGuard(limit=10, window=10)
    replies = [await chat.say("!ping") for _ in range(13)]
    assert all(r.body.startswith("Pong") for r in replies[:10])
    assert replies[10].body == "Du schickst gerade sehr viele Befehle. Ich mache für dich 10 Sekunden Pause und antworte danach wieder."
    assert replies[11] is None and replies[12] is None
    assert (await chat.say("!ping", sender="@ben:example.org")).body.startswith("Pong")  # others are not affected
    clock.advance(seconds=11)
    assert (await chat.say("!ping")).body.startswith("Pong")


async def test_changes_are_audited_with_ids_but_without_content(chat, sqlite_db, clock):
    audit = AuditRepository(sqlite_db)  # the one the services write to
    await chat.say("!beschluss Geheimer Inhalt des Beschlusses")
    await chat.say("!stand B-1 umgesetzt")
    await chat.say("!ping")  # reads are not audited
    entries = await audit.about("B-1")
    assert [(e.actor, e.action) for e in entries] == [("@anna:example.org", "decision"), ("@anna:example.org", "set-status")]
    assert all("Geheimer" not in str(e) for e in entries)
    shown = await chat.say("!verlauf B-1", sender="@koord:example.org")
    assert shown.body.startswith("Verlauf von B-1:") and "decision" not in shown.body
    assert "Beschluss festgehalten – @anna:example.org" in shown.body
    assert (await chat.say("!verlauf B-1")).body.startswith("Das dürfen nur Koordinatorinnen")


async def test_user_text_cannot_inject_markup_links_or_room_mentions(chat, knowledge):
    reply = await chat.say('!notiz <script>alert(1)</script> <a href="javascript:x">klick</a> @room **fett** [l](javascript:y)')
    assert "<script>" not in reply.html and "&lt;script&gt;" in reply.html
    assert 'href="javascript' not in reply.html
    assert (await chat.say("!link javascript:alert(1) Titel")).body.startswith("„javascript:alert(1)“ ist kein gültiger Link.")
    entry = await knowledge.get(Kind.NOTE, 1)
    assert "<script>" in entry.text  # stored as typed, escaped only on output


async def test_unicode_edge_cases_are_stored_and_found(chat, knowledge):
    await chat.say("!notiz مرحبا بكم في الاجتماع 🎉 Café")  # right-to-left, emoji
    await chat.say("!notiz Cafe\u0301 Treffen")  # NFD
    await chat.say("!notiz Sprach\u200bmittler Pool")  # zero-width space inside a word
    assert (await knowledge.get(Kind.NOTE, 1)).text == "مرحبا بكم في الاجتماع 🎉 Café"
    found = await chat.say("!suche café")
    assert "N-1" in found.body and "N-2" in found.body
    assert "N-3" in (await chat.say("!suche Sprachmittler")).body
    assert "N-1" in (await chat.say("!suche الاجتماع")).body


async def test_every_list_and_search_hides_other_rooms(chat):
    await chat.say("!beschluss Nur Gesundheit")
    await chat.say("!link https://intern.example.org Interner Link")
    await chat.say("!notiz Interne Notiz")
    await chat.say("!termin Interne AG | 20.3.2026 10 Uhr", sender="@koord:example.org")
    await chat.say("!aufgabe @anna:example.org Interne Aufgabe")
    ben = {"sender": "@ben:example.org", "room": ARBEIT}
    for command in ("!beschlüsse", "!links", "!notizen", "!suche Interne", "!suche Gesundheit", "!termine", "!aufgaben alle",
                    "!zeige B-1", "!zeige L-1", "!zeige N-1", "!termin ics M-1", "!wochenrückblick"):
        body = (await chat.say(command, **ben)).body
        for secret in ("Nur Gesundheit", "Interner Link", "Interne Notiz", "Interne AG", "Interne Aufgabe"):
            assert secret not in body, (command, secret)
