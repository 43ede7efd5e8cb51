"""The basic commands and the dispatcher's promises: every prefixed message gets an answer."""
from __future__ import annotations

import logging

import pytest

from commands.context import Permission
from commands.registry import Arg, Router
from tests.commands.conftest import DM


async def test_hilfe_lists_the_commands_in_german(chat):
    reply = await chat.say("!hilfe")
    assert "Das kann ich für dich tun:" in reply.body
    assert "!ping – Prüft, ob ich da bin." in reply.body
    assert "<ul><li><strong>!hilfe</strong>" in reply.html


async def test_help_answers_in_english_when_the_english_word_is_used(chat):
    reply = await chat.say("!help")
    assert "This is what I can do for you:" in reply.body
    assert "!help – Shows all commands" in reply.body


async def test_help_for_one_command_shows_usage_and_other_words(chat):
    reply = await chat.say("!hilfe sprache")
    assert "!sprache – Stellt ein" in reply.body
    assert "So geht es: !sprache [Sprache]" in reply.body
    assert "!language" in reply.body
    assert "Wer darf das: Mitglieder" in reply.body


async def test_help_for_an_unknown_command_says_so(chat):
    reply = await chat.say("!hilfe zaubern")
    assert reply.body == "Den Befehl „zaubern“ gibt es nicht. Schreib !hilfe, dann siehst du alle Befehle."


async def test_ping(chat):
    assert (await chat.say("!ping")).body == "Pong! Ich bin da und höre zu."


async def test_an_unknown_command_gets_a_did_you_mean(chat):
    reply = await chat.say("!hilfee")
    assert reply.body == "Den Befehl „hilfee“ kenne ich nicht. Meintest du !hilfe? Alle Befehle: !hilfe"


async def test_a_hopeless_command_points_to_help(chat):
    reply = await chat.say("!xqzv")
    assert reply.body == "Den Befehl „xqzv“ kenne ich nicht. Schreib !hilfe, dann siehst du alle Befehle."


async def test_a_bare_prefix_is_answered_too(chat):
    assert (await chat.say("!")).body == "Da fehlt der Befehl. Schreib !hilfe, dann siehst du alle Befehle."


async def test_plain_chat_in_a_room_is_not_for_lotse(chat):
    assert await chat.say("Guten Morgen zusammen!") is None


async def test_in_a_direct_message_no_prefix_is_needed(chat):
    assert (await chat.say("ping", room=DM)).body.startswith("Pong!")


async def test_a_message_addressed_to_lotse_by_name_is_a_command(chat):
    assert (await chat.say("Lotse: ping")).body.startswith("Pong!")
    assert (await chat.say("ping", mentions_bot=True)).body.startswith("Pong!")
    assert await chat.say("Lotsendienst ist heute zu") is None


async def test_too_many_arguments_give_the_usage_line(chat):
    reply = await chat.say("!ping laut bitte")
    assert reply.body == "Das ist zu viel: „laut bitte“.\n\nSo geht es: !ping"


async def test_status_spells_out_uptime_and_last_contact(chat):
    reply = await chat.say("!status")
    assert "Version: 1.2.3" in reply.body
    assert "Ich laufe seit 2 Stunden und 5 Minuten." in reply.body
    assert "Räume, in denen ich bin: 4" in reply.body
    assert "Datenbank: SQLite" in reply.body
    assert "Letzter Kontakt zum Matrix-Server: Dienstag, 3. März 2026, 10:00 Uhr" in reply.body


async def test_language_preference_is_stored_and_used_for_neutral_words(chat):
    assert (await chat.say("!ping")).body == "Pong! Ich bin da und höre zu."
    reply = await chat.say("!sprache en")
    assert reply.body == "Fine, from now on I answer you in English."
    assert reply.reaction == "✅"
    assert (await chat.say("!ping")).body == "Pong! I am here and listening."
    # A German command word still gets a German answer.
    assert (await chat.say("!hilfe")).body.startswith("Das kann ich")
    # Other people keep the default.
    assert (await chat.say("!ping", sender="@ben:example.org")).body.startswith("Pong! Ich bin da")


async def test_an_unknown_language_is_explained(chat):
    reply = await chat.say("!sprache fr")
    assert reply.body.startswith("Die Sprache „fr“ kenne ich nicht. Möglich sind: de (Deutsch), en (Englisch).")
    assert "So geht es: !sprache [Sprache]" in reply.body


async def test_privacy_notice_names_the_controller(chat):
    reply = await chat.say("!datenschutz")
    assert "Verantwortlich: Landkreis Beispiel (fiktiv)" in reply.body
    assert "keine Chat-Verläufe" in reply.body
    assert "Data protection at Lotse" in (await chat.say("!privacy")).body


async def test_user_text_is_escaped_in_html(chat):
    reply = await chat.say("!<script>alert(1)</script>")
    assert "<script>" not in reply.html
    assert "&lt;script&gt;" in reply.html


@pytest.fixture
def guarded_chat(chat):
    router = Router()

    @router.command("boom", aliases={"de": ("kaputt",)}, help={"de": "Geht kaputt.", "en": "Breaks."})
    async def boom(ctx):
        raise RuntimeError("SELECT * FROM secret_table WHERE message = 'private text'")

    @router.command("admin-only", aliases={"de": ("nur-admin",)}, help={"de": "Admin.", "en": "Admin."},
                    permission=Permission.ADMIN)
    async def admin_only(ctx):
        from commands.render import text_reply
        return text_reply("done")

    @router.command("koord", help={"de": "Koordination.", "en": "Coordination."}, permission=Permission.COORDINATOR,
                    args=(Arg("text", label={"de": "Text", "en": "text"}, rest=True),))
    async def koord(ctx, text):
        from commands.render import text_reply
        return text_reply(f"{ctx.caller.permission.name}: {text}")

    registry = chat.dispatcher.registry
    registry.__init__([*[_single(c) for c in registry.commands], router])
    registry.validate()
    return chat


def _single(command):
    router = Router()
    router.commands.append(command)
    return router


async def test_a_crashing_handler_gives_an_apology_with_an_incident_id_and_no_exception_text(guarded_chat, caplog):
    with caplog.at_level(logging.ERROR):
        reply = await guarded_chat.say("!kaputt")
    assert reply.body.startswith("Da ist etwas schiefgelaufen (Fehler-ID ")
    assert "SELECT" not in reply.body and "RuntimeError" not in reply.body
    incident = reply.body.split("Fehler-ID ")[1][:6]
    assert incident in caplog.text and "Traceback" in caplog.text
    assert "private text" not in caplog.messages[0]


async def test_permission_refusal_says_what_is_needed(guarded_chat):
    reply = await guarded_chat.say("!nur-admin")
    assert reply.body == "Das dürfen nur Administratorinnen und Administratoren. Frag bitte die Koordination des Netzwerks."
    assert (await guarded_chat.say("!admin-only", sender="@admin:example.org")).body == "done"


async def test_coordinators_come_from_config_room_speakers_and_power_levels(guarded_chat):
    assert (await guarded_chat.say("!koord a", sender="@koord:example.org")).body == "COORDINATOR: a"
    assert (await guarded_chat.say("!koord b", sender="@sprecherin:example.org")).body == "COORDINATOR: b"
    assert (await guarded_chat.say("!koord c", power=50)).body == "COORDINATOR: c"
    assert "Das dürfen nur Koordinatorinnen" in (await guarded_chat.say("!koord d", power=49)).body
    # Power levels in a direct message count for nothing.
    assert "Das dürfen nur" in (await guarded_chat.say("!koord e", power=100, room=DM)).body


async def test_help_lists_only_what_the_caller_may_run(guarded_chat):
    member = (await guarded_chat.say("!hilfe")).body
    admin = (await guarded_chat.say("!hilfe", sender="@admin:example.org")).body
    assert "!nur-admin" not in member and "!koord" not in member
    assert "!nur-admin" in admin and "!koord" in admin
