"""The knowledge register in chat: record, change, find, show — and every mistake explained."""
from __future__ import annotations

from commands.context import Quoted
from knowledge.register.model import Kind, Status
from knowledge.values import Scope
from tests.commands.conftest import ARBEIT, DM, KOORD, ROOM

ANNA, BEN, KOORDINATORIN = "@anna:example.org", "@ben:example.org", "@koord:example.org"


async def count(knowledge) -> int:
    return await knowledge.repository.count()


async def test_a_decision_is_recorded_with_a_short_id_and_a_reaction(chat, knowledge):
    reply = await chat.say("!beschluss Wir laden im März zum Fachtag ein. #fachtag lik:HF6")
    assert reply.body.startswith("Beschluss B-1 ist festgehalten: „Wir laden im März zum Fachtag ein.“")
    assert "Bereich: Gesundheit und Pflege" in reply.body and "Schlagworte: #fachtag" in reply.body
    assert reply.reaction == "✅"
    entry = await knowledge.get(Kind.DECISION, 1)
    assert entry.scope == Scope.handlungsfeld("hf-gesundheit") and entry.status is Status.DECIDED
    assert entry.tags == ("fachtag",) and entry.lik == ("HF6",) and entry.author == ANNA


async def test_each_kind_has_its_own_numbers_and_english_words_answer_in_english(chat):
    assert "Decision B-1 is recorded" in (await chat.say("!decision Shared calendar from May")).body
    assert "Agreement V-1 is recorded" in (await chat.say("!agreement Invitations two weeks ahead")).body
    assert "Note N-1 is recorded" in (await chat.say("!note Room 1.14 has a projector")).body
    # "!link" is the same word in both languages: the answer follows the default (German).
    assert "Link L-1 ist festgehalten" in (await chat.say("!link https://www.example.org Example portal")).body
    assert "Beschluss B-2" in (await chat.say("!beschluss Zweiter Beschluss")).body


async def test_the_same_command_event_processed_twice_records_once(chat, knowledge):
    from commands.dispatcher import Incoming

    incoming = Incoming("$same", ANNA, "anna", "!notiz Einmal bitte", ROOM)
    first = await chat.dispatcher.dispatch(incoming)
    second = await chat.dispatcher.dispatch(incoming)
    assert first.body == second.body
    assert await count(knowledge) == 1


async def test_recording_by_reply_credits_the_original_author_and_keeps_a_permalink(chat, knowledge):
    quoted = Quoted("$orig", BEN, "Wir nehmen die Checkliste in fünf Sprachen auf. #checkliste")
    reply = await chat.say("!beschluss", reply_to=quoted)
    assert "Urheber: @ben:example.org" in reply.body
    entry = await knowledge.get(Kind.DECISION, 1)
    assert entry.author == BEN and entry.recorded_by == ANNA
    assert entry.text == "Wir nehmen die Checkliste in fünf Sprachen auf." and entry.tags == ("checkliste",)
    assert entry.permalink == "https://matrix.to/#/!hf:example.org/$orig"
    assert entry.source_event_id == "$orig"


async def test_a_link_by_reply_takes_the_url_from_the_message(chat, knowledge):
    await chat.say("!link", reply_to=Quoted("$m", BEN, "Formular hier: https://formular.example.org/anfrage"))
    entry = await knowledge.get(Kind.LINK, 1)
    assert entry.url == "https://formular.example.org/anfrage" and entry.title == "Formular hier:"


async def test_empty_too_long_and_bad_links_are_explained_and_store_nothing(chat, knowledge):
    assert (await chat.say("!beschluss")).body.startswith("Da fehlt der Text. Schreib zum Beispiel: !beschluss ")
    assert (await chat.say("!beschluss   #nurtag")).body.startswith("Da fehlt der Text.")
    too_long = await chat.say("!notiz " + "x" * 2001)
    assert too_long.body.startswith("Der Text ist zu lang (2001 Zeichen). Erlaubt sind höchstens 2000 Zeichen.")
    bad = await chat.say("!link javascript:alert(1) Klick")
    assert bad.body.startswith("„javascript:alert(1)“ ist kein gültiger Link.")
    assert (await chat.say("!link ftp://files.example.org")).body.startswith("„ftp://files.example.org“ ist kein gültiger Link")
    assert (await chat.say("!link")).body.startswith("Da fehlt der Link.")
    assert (await chat.say("!decision")).body.startswith("The text is missing.")
    assert await count(knowledge) == 0
    kept = await chat.say("!notiz Wir planen den #fachtag im Mai #termin")
    assert "„Wir planen den #fachtag im Mai“" in kept.body and "Schlagworte: #fachtag, #termin" in kept.body


async def test_only_coordinators_may_file_under_another_handlungsfeld(chat, knowledge):
    refused = await chat.say("!beschluss Jobmesse im Mai hf:hf-arbeit")
    assert "Einen anderen Bereich wählen darf nur die Koordination" in refused.body
    unknown = await chat.say("!beschluss Jobmesse hf:hf-mond", sender=KOORDINATORIN)
    assert "Den Bereich „hf-mond“ gibt es nicht. Möglich sind: hf-arbeit, hf-gesundheit." in unknown.body
    assert await count(knowledge) == 0
    ok = await chat.say("!beschluss Jobmesse im Mai hf:hf-arbeit", sender=KOORDINATORIN)
    assert "Bereich: Arbeitsmarktintegration" in ok.body


async def test_status_lifecycle_with_owner_and_due_date(chat, knowledge):
    await chat.say("!beschluss Checkliste übersetzen")
    reply = await chat.say("!stand B-1 in-umsetzung bis 15.12.2026 @s.lehnert:example.org")
    assert reply.body == "B-1 hat jetzt den Stand „in Umsetzung“."
    entry = await knowledge.get(Kind.DECISION, 1, history=True)
    assert entry.status is Status.IN_PROGRESS and str(entry.due) == "2026-12-15"
    assert entry.owner == "@s.lehnert:example.org"
    assert [r.action for r in entry.history] == ["created", "status"]
    assert entry.history[1].before["status"] == "decided" and entry.history[1].after["status"] == "in_progress"
    assert (await chat.say("!set-status B-1 implemented")).body == "B-1 now has the status “implemented”."


async def test_bad_status_changes_are_explained(chat, knowledge):
    await chat.say("!beschluss Etwas")
    await chat.say("!notiz Etwas anderes")
    unknown = await chat.say("!stand B-1 fertigish")
    assert unknown.body.startswith("Den Stand „fertigish“ gibt es nicht. Möglich sind: beschlossen, in Umsetzung, umgesetzt, vertagt, abgelehnt.")
    assert (await chat.say("!stand N-1 umgesetzt")).body.startswith("N-1 (Notiz) hat keinen Stand.")
    assert (await chat.say("!stand X12 umgesetzt")).body.startswith("„X12“ ist keine Eintrags-Nummer.")
    assert (await chat.say("!stand B-99 umgesetzt")).body == "Einen Eintrag B-99 finde ich nicht. Mit !suche kannst du suchen."
    assert (await chat.say("!stand B-1 umgesetzt bis 30.02.2026")).body.startswith("Das Datum „30.02.2026“ verstehe ich nicht.")
    assert (await chat.say("!stand B-1")).body.startswith("Da fehlt noch etwas: Stand.")
    assert (await knowledge.get(Kind.DECISION, 1)).status is Status.DECIDED


async def test_only_the_author_or_a_coordinator_may_change_an_entry(chat, knowledge):
    await chat.say("!beschluss Anna schreibt das")
    ben_room = ROOM  # Ben is in the same room for this test, but not the author
    refused = await chat.say("!bearbeiten B-1 Ben ändert das", sender=BEN, room=ben_room)
    assert refused.body == "Ändern dürfen das nur die Person, die B-1 festgehalten hat, und die Koordination."
    assert (await chat.say("!zurückziehen B-1", sender=BEN)).body == refused.body
    assert (await chat.say("!stand B-1 vertagt", power=50, sender=BEN)).body == "B-1 hat jetzt den Stand „vertagt“."
    assert (await knowledge.get(Kind.DECISION, 1)).text == "Anna schreibt das"


async def test_edit_and_retract_keep_the_full_history(chat, knowledge, clock):
    await chat.say("!notiz Raum 1.14")
    clock.advance(minutes=5)
    reply = await chat.say("!bearbeiten N-1 Raum 2.07 #raum")
    assert reply.body == "N-1 ist geändert. Die alte Fassung bleibt im Verlauf: !zeige N-1"
    clock.advance(minutes=5)
    assert (await chat.say("!zurückziehen N-1")).body.startswith("N-1 ist zurückgezogen.")
    assert (await chat.say("!zurückziehen N-1")).body == "N-1 ist schon zurückgezogen."
    entry = await knowledge.get(Kind.NOTE, 1, history=True)
    assert entry.text == "Raum 2.07" and entry.tags == ("raum",) and entry.retracted
    assert [(r.action, r.before, r.after) for r in entry.history[1:]] == [
        ("edited", {"text": "Raum 1.14", "tags": []}, {"text": "Raum 2.07", "tags": ["raum"]}),
        ("retracted", {"retracted": False}, {"retracted": True}),
    ]
    assert (await chat.say("!notizen")).body == "Dazu habe ich noch nichts."
    shown = await chat.say("!zeige N-1")
    assert "Dieser Eintrag ist zurückgezogen." in shown.body and "Text geändert von @anna:example.org" in shown.body


async def test_superseding_links_both_and_marks_the_old_one(chat, knowledge):
    await chat.say("!vereinbarung Vorfälle einmal im Quartal berichten")
    reply = await chat.say("!vereinbarung ersetzt V-1 Vorfälle an die Beratung weiterleiten")
    assert "Vereinbarung V-2 ist festgehalten" in reply.body and "Ersetzt V-1." in reply.body
    old, new = await knowledge.get(Kind.AGREEMENT, 1), await knowledge.get(Kind.AGREEMENT, 2)
    assert old.status is Status.SUPERSEDED and old.superseded_by == "V-2" and new.supersedes == "V-1"
    again = await chat.say("!vereinbarung ersetzt V-1 Noch eine Fassung")
    assert again.body.startswith("V-1 kann nicht mehr ersetzt werden.")
    assert (await chat.say("!beschluss ersetzt N-1 Text")).body.startswith("Ersetzen geht nur bei Beschlüssen")
    assert (await chat.say("!beschluss ersetzt B-77 Text")).body.startswith("Einen Eintrag B-77 finde ich nicht.")
    shown = await chat.say("!zeige V-2")
    assert "Fassungen: V-1 → V-2" in shown.body
    assert await count(knowledge) == 2


async def test_listing_with_filters(chat, clock):
    await chat.say("!beschluss Alt und erledigt #alt")
    await chat.say("!stand B-1 umgesetzt")
    clock.advance(days=40)
    await chat.say("!beschluss Neu #fachtag")
    await chat.say("!vereinbarung Auch neu #fachtag")
    listed = await chat.say("!beschlüsse")
    assert listed.body.startswith("Beschlüsse und Vereinbarungen (1–3 von 3):")
    assert listed.body.index("V-1") < listed.body.index("B-2") < listed.body.index("B-1")  # newest first
    assert "B-1 (umgesetzt) Alt und erledigt" in listed.body
    assert "B-1" not in (await chat.say("!beschlüsse #fachtag")).body
    assert "(1–1 von 1)" in (await chat.say("!beschlüsse umgesetzt")).body
    assert "(1–2 von 2)" in (await chat.say("!beschlüsse seit 1.4.2026")).body
    assert "(1–3 von 3)" in (await chat.say("!beschlüsse hf-gesundheit")).body
    bad = await chat.say("!beschlüsse quatsch")
    assert bad.body.startswith("Den Filter „quatsch“ verstehe ich nicht. Möglich sind: ein Bereich (hf-arbeit, hf-gesundheit)")


async def test_search_tolerates_typos_and_pages_ten_at_a_time(chat):
    for i in range(12):
        await chat.say(f"!notiz Sprachmittlerpool Termin {i}")
    await chat.say("!notiz Etwas ganz anderes")
    first = await chat.say("!suche Sprachmitlerpool")
    assert first.body.startswith("Treffer für „Sprachmitlerpool“ (1–10 von 12):")
    assert "Weitere Einträge: !mehr" in first.body
    second = await chat.say("!mehr")
    assert second.body.startswith("Treffer für „Sprachmitlerpool“ (11–12 von 12):")
    assert (await chat.say("!mehr")).body == "Es gibt keine weiteren Einträge."
    assert (await chat.say("!suche Mondlandung")).body == "Zu „Mondlandung“ habe ich nichts gefunden. Versuch es mit einem anderen Wort."
    assert (await chat.say("!suche")).body.startswith("Wonach soll ich suchen?")
    # Paging is per person and room: Ben has not searched yet.
    assert (await chat.say("!more", sender=BEN)).body.startswith("There is nothing to show more of.")


async def test_search_ranks_entries_matching_more_words_first(chat):
    await chat.say("!notiz Fachtag Pflege im Herbst")
    await chat.say("!notiz Fachtag Migration und Pflege im Herbst")
    await chat.say("!notiz Migration allgemein")
    reply = await chat.say("!suche migration pflege")
    lines = [line for line in reply.body.splitlines() if line.startswith("•")]
    assert lines[0].startswith("• N-2")


async def test_entries_are_only_visible_to_members_of_their_room_and_in_the_coordination_room(chat, knowledge):
    await chat.say("!beschluss Nur für Gesundheit #intern")
    # Ben is not in the health room: from his room the entry does not exist for him.
    assert (await chat.say("!suche Gesundheit", sender=BEN, room=ARBEIT)).body.startswith("Zu „Gesundheit“ habe ich nichts")
    assert (await chat.say("!zeige B-1", sender=BEN, room=ARBEIT)).body.startswith("Einen Eintrag B-1 finde ich nicht.")
    assert (await chat.say("!beschlüsse", sender=BEN, room=ARBEIT)).body == "Dazu habe ich noch nichts."
    assert (await chat.say("!stand B-1 vertagt", sender=BEN, room=ARBEIT, power=100)).body.startswith("Einen Eintrag B-1 finde ich nicht.")
    # Anna is a member: she finds it from a direct message too.
    assert "B-1" in (await chat.say("suche Gesundheit", room=DM)).body
    # The coordination room sees everything.
    assert "B-1" in (await chat.say("!suche Gesundheit", sender=BEN, room=KOORD)).body


async def test_public_and_internal_are_for_coordinators(chat, knowledge):
    await chat.say("!beschluss Ankunftsmappe in fünf Sprachen")
    assert (await chat.say("!öffentlich B-1")).body.startswith("Das dürfen nur Koordinatorinnen und Koordinatoren.")
    assert (await chat.say("!öffentlich B-1", sender=KOORDINATORIN)).body.startswith("B-1 ist jetzt öffentlich.")
    assert (await knowledge.get(Kind.DECISION, 1)).public
    assert (await chat.say("!intern B-1", sender=KOORDINATORIN)).body == "B-1 ist jetzt nur im Netzwerk sichtbar."
    assert not (await knowledge.get(Kind.DECISION, 1)).public


async def test_show_spells_out_everything(chat):
    await chat.say("!beschluss Fachtag Migration und Pflege lik:HF4,HF6 #fachtag", reply_to=None)
    await chat.say("!stand B-1 in-umsetzung bis 11.11.2026")
    reply = await chat.say("!zeige B-1")
    assert reply.body.startswith("Beschluss B-1: Fachtag Migration und Pflege")
    for fact in ("Stand: in Umsetzung", "Bereich: Gesundheit und Pflege", "Festgehalten von @anna:example.org, Dienstag, 3. März 2026, 10:00 Uhr",
                 "Fällig am Mittwoch, 11. November 2026", "Landesintegrationskonzept (LIK): HF4, HF6", "Sichtbar: nur im Netzwerk",
                 "Verlauf:", "festgehalten von @anna:example.org", "Stand geändert von @anna:example.org"):
        assert fact in reply.body
    english = await chat.say("!show B-1")
    assert "Due on Wednesday, 11 November 2026" in english.body and "Status: in progress" in english.body
