"""Data protection self-service: my data by direct message, and being forgotten."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest

from knowledge.directory.model import RoleStatus
from knowledge.register.model import Kind
from knowledge.storage import AuditRepository
from knowledge.values import Destination
from tests.commands.conftest import DM

FELIX = "@f.nguyen:integration.example"  # holds p10 in the demo directory


@pytest.fixture
def audited(chat, sqlite_db):
    return chat  # the services write the audit log to the test database


async def test_my_data_is_sent_by_direct_message_as_json_and_markdown(audited, delivered):
    chat = audited
    await chat.say("!beschluss Jugendberatung auch samstags", sender=FELIX)
    await chat.say("!erinnere mich morgen 9 Uhr | Flyer drucken", sender=FELIX)
    await chat.say("!sprache en", sender=FELIX)
    reply = await chat.say("!meine-daten", sender=FELIX)
    assert reply.body == "Ich habe dir deine Daten als Direktnachricht geschickt."
    [message] = delivered
    assert message.target == Destination.direct(FELIX)
    json_file, markdown_file = message.reply.attachments
    data = json.loads(json_file.content)
    assert data["language"] == "en" and data["directory_roles"][0]["id"] == "p10"
    assert data["register_entries"][0]["text"] == "Jugendberatung auch samstags"
    assert data["reminders"][0]["text"] == "Flyer drucken"
    assert [c["action"] for c in data["changes_made"]] == ["decision", "remind", "language"]
    assert b"Jugendberatung auch samstags" in markdown_file.content


async def test_forget_me_explains_first_then_erases_and_keeps_roles_vacant(audited, directory, knowledge, meetings, sqlite_db):
    chat = audited
    await chat.say("!beschluss Jugendberatung auch samstags", sender=FELIX)
    await chat.say("!erinnere mich morgen 9 Uhr | Flyer drucken", sender=FELIX)
    await chat.say("!aufgabe @f.nguyen:integration.example Flyer verteilen", sender="@anna:example.org")
    explained = await chat.say("!vergiss-mich", sender=FELIX, room=DM)
    assert explained.body.startswith("Das passiert, wenn ich dich vergesse:") and "!vergiss-mich bestätigen" in explained.body
    assert directory.get("p10").person == "Felix Nguyen"  # nothing happened yet
    assert (await chat.say("!vergiss-mich vielleicht", sender=FELIX, room=DM)).body.startswith("Zum Bestätigen schreib genau:")
    done = await chat.say("!vergiss-mich bestätigen", sender=FELIX, room=DM)
    assert done.body.startswith("Erledigt. Ich habe 1 Rollen freigegeben")
    role = directory.get("p10")
    assert role.person is None and role.matrix_id is None and role.status is RoleStatus.VACANT
    entry = await knowledge.get(Kind.DECISION, 1, history=True)
    assert entry.author == "Berater Jugendmigrationsdienst (12-27 Jahre)"
    assert all(r.by != FELIX for r in entry.history)
    assert await meetings.reminders(created_by=FELIX) == []
    assert (await meetings.action(1)).owner == "Berater Jugendmigrationsdienst (12-27 Jahre)"
    history = await directory.repository.history("p10")
    assert FELIX not in str(history) and "Felix Nguyen" not in str(history)
    assert "B-1" in (await chat.say("!suche Jugendberatung")).body  # the register itself stays
    assert await AuditRepository(sqlite_db).by_actor(FELIX) == []


async def test_forget_me_for_someone_without_a_role_uses_former_member(audited, knowledge):
    chat = audited
    await chat.say("!notiz Ich war hier", sender="@gast:example.org")
    await chat.say("!vergiss-mich bestätigen", sender="@gast:example.org")
    assert (await knowledge.get(Kind.NOTE, 1)).author == "ehemaliges Mitglied"


async def test_forget_me_offers_to_redact_lotses_own_messages_naming_the_person(audited):
    chat = audited
    redacted_for = []

    async def count(user):
        return 3

    async def redact(user):
        redacted_for.append(user)
        return 3

    services = chat.dispatcher.services
    chat.dispatcher.services = replace(services, bot=replace(services.bot, count_mentions=count, redact_mentions=redact))
    done = await chat.say("!vergiss-mich bestätigen", sender="@gast:example.org")
    assert "Ich habe dir 3 Nachrichten geschrieben, in denen du genannt wirst." in done.body
    assert "!vergiss-mich nachrichten" in done.body
    assert redacted_for == []  # only offered
    reply = await chat.say("!vergiss-mich nachrichten", sender="@gast:example.org")
    assert reply.body == "Ich habe 3 meiner Nachrichten gelöscht, in denen du genannt wurdest."
    assert redacted_for == ["@gast:example.org"]
