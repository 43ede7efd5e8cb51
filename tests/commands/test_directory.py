"""Who handles what — asking in chat, and keeping the directory true."""
from __future__ import annotations

from datetime import datetime, timezone

from commands.features import directory as jobs
from knowledge.directory.model import RoleStatus
from knowledge.values import Destination
from tests.commands.conftest import DM

ANNA, KOORDINATORIN = "@anna:example.org", "@koord:example.org"


async def test_wer_answers_with_role_person_contact_hours_languages_deputy_and_confirmation(chat):
    reply = await chat.say("!wer Impfungen")
    body = reply.body
    assert body.startswith("Für „Gesundheit, gesundheitliche Versorgung und Pflege“ ist zuständig:")
    assert "Ärztin im Gesundheitsamt, Sprecherin HF Gesundheit – Landkreis Saalebogen – Gesundheitsamt" in body
    for fact in ("Person: Dr. Miriam Hollenbach", "gesundheitsamt@landkreis-saalebogen.example.org", "+49 0000 410-530",
                 "Sprechzeiten: Mi 08:30-12:00", "Sprachen: Deutsch, Englisch", "Vertretung: Geschäftsstelle Pflegenetz",
                 "Zuletzt bestätigt: Mittwoch, 17. Juni 2026", "Nummer p03 – mehr: !eintrag p03"):
        assert fact in body
    assert '<a href="mailto:gesundheitsamt@landkreis-saalebogen.example.org">' in reply.html


async def test_natural_questions_in_a_direct_message_and_by_name(chat):
    assert "Sozialmanagement, Sprecherin HF Wohnen" in (await chat.say("Ansprechpartnerin für Wohnungssuche", room=DM)).body
    # Two roles share language courses: both are named, as candidates, never one by chance.
    course = await chat.say("an wen wende ich mich wegen Sprachkurs?", room=DM)
    assert course.body.startswith("Ich bin nicht sicher, wer genau zuständig ist.")
    assert "Kreisvolkshochschule" in course.body and "Lingua Brücke" in course.body
    english = await chat.say("who handles vaccinations?", room=DM)
    assert english.body.startswith("For “") and "Last confirmed: Wednesday, 17 June 2026" in english.body
    assert "Gesundheitsamt" in (await chat.say("Lotse, wer ist zuständig für Gesundheit?")).body
    english_sentence = await chat.say("I need an interpreter for a doctor's appointment", room=DM)
    assert english_sentence.body.startswith(("For “", "I am not sure")) and "Sprachmittlerpool" in english_sentence.body
    # A lone word one typo away from a command is a command with a suggestion ...
    assert (await chat.say("hilfee", room=DM)).body.startswith("Den Befehl „hilfee“ kenne ich nicht.")
    # ... but a sentence is a question, whatever its first word looks like.
    for sentence in ("Ein Bekannter sucht eine Wohnung", "Termin beim Gesundheitsamt?", "Hilfe bei der Wohnungssuche",
                     "Ja, wer hilft bei der Wohnungssuche?", "Suche Hilfe bei der Wohnungssuche", "Termine beim Jobcenter?"):
        reply = await chat.say(sentence, room=DM)
        assert "Meintest du !" not in reply.body and "Befehl" not in reply.body, sentence
        assert not reply.body.startswith(("Der Termin", "Termin angelegt", "Danke!", "Alle Befehle")), sentence
    assert "Sozialmanagement" in (await chat.say("Ein Bekannter sucht eine Wohnung", room=DM)).body
    # The exact word with arguments that fit its grammar stays a command without the prefix.
    assert (await chat.say("eintrag p03", room=DM)).body.startswith("Ärztin im Gesundheitsamt")
    assert (await chat.say("hilfe termin", room=DM)).body.startswith("!termin")


async def test_unconfirmed_entries_say_ungeprueft(chat):
    body = (await chat.say("!wer Jugendmigrationsdienst")).body
    assert "Ungeprüft: zuletzt bestätigt am Dienstag, 10. März 2026. Die Angaben können veraltet sein." in body


async def test_ambiguous_questions_list_candidates_with_their_topic(chat):
    reply = await chat.say("!wer Verein")
    assert reply.body.startswith("Ich bin nicht sicher, wer genau zuständig ist. Diese Stellen könnten helfen:")
    assert "Frag genauer, zum Beispiel: !wer" in reply.body
    assert 2 <= reply.body.count("•") <= 3


async def test_nobody_found_is_honest_suggests_and_is_noted_without_user_id(chat, directory):
    reply = await chat.say("!wer Pizza bestellen")
    assert reply.body.startswith("Zu „Pizza bestellen“ habe ich niemanden gefunden.")
    assert "ohne deinen Namen" in reply.body
    rows, total = await directory.repository.open_questions(datetime(2000, 1, 1, tzinfo=timezone.utc))
    assert total == 1 and rows[0][1] == "Pizza bestellen"
    assert ANNA not in str(rows)
    listed = await chat.say("!offene-fragen", sender=KOORDINATORIN)
    assert "„Pizza bestellen“" in listed.body
    assert (await chat.say("!offene-fragen")).body.startswith("Das dürfen nur Koordinatorinnen")


async def test_language_filters_and_their_mistakes(chat):
    assert "Vorsitzende, Ansprechperson ukrainische Community" in (await chat.say("!wer spricht Ukrainisch?")).body
    assert "Migrationsberatung für erwachsene Zugewanderte" in (await chat.say("!wer beratung sprache:ru")).body
    nobody = await chat.say("!wer Beratung sprache:uk")
    assert nobody.body.startswith("Für „Beratung, Begleitung und Betreuung“ habe ich niemanden, der Ukrainisch spricht.")
    assert "Ukrainisch sprechen im Netzwerk:" in nobody.body and "p05" in nobody.body
    bad = await chat.say("!wer beratung sprache:xx")
    assert bad.body.startswith("Die Sprache „xx“ kenne ich nicht. Möglich sind: ar, bg,")


async def test_empty_and_stop_word_questions(chat):
    assert (await chat.say("!wer")).body.startswith("Wonach suchst du? Schreib ein Thema, zum Beispiel: !wer Sprachkurs")
    assert (await chat.say("!wer ist zuständig für?")).body.startswith("Wonach suchst du?")
    assert (await chat.say("!who")).body.startswith("What are you looking for?")


async def test_coordinators_edit_entries_with_history_and_checks(chat, directory):
    assert (await chat.say("!zuständig p03 telefon 0000 1")).body.startswith("Das dürfen nur Koordinatorinnen")
    ok = await chat.say("!zuständig p03 telefon +49 0000 410-999", sender=KOORDINATORIN)
    assert ok.body == "Eintrag p03 ist geändert (telefon). Der Verlauf bleibt gespeichert."
    assert directory.get("p03").phone == "+49 0000 410-999"
    history = await directory.repository.history("p03")
    assert history[-1][2] == "edited" and history[-1][3] == {"phone": "+49 0000 410-530"}
    assert (await chat.say("!zuständig p03 lieblingsfarbe blau", sender=KOORDINATORIN)).body.startswith("Das Feld „lieblingsfarbe“ kenne ich nicht.")
    assert (await chat.say("!zuständig p03 themen zaubern", sender=KOORDINATORIN)).body.startswith("Diese Themen kenne ich nicht: zaubern.")
    assert (await chat.say("!zuständig p03 vertretung p99", sender=KOORDINATORIN)).body.startswith("Einen Eintrag „p99“ gibt es")
    assert (await chat.say("!zuständig p99 telefon 1", sender=KOORDINATORIN)).body.startswith("Einen Eintrag „p99“ gibt es")
    assert (await chat.say("!zuständig p03 gefördert-bis 31.02.2027", sender=KOORDINATORIN)).body.startswith("Das Datum „31.02.2027“")
    assert directory.get("p03").phone == "+49 0000 410-999"


async def test_a_new_role_is_added_and_found(chat, directory):
    created = await chat.say("!zuständig neu Mobilitätsberatung | Landkreis Saalebogen – Verkehr | mobilitaet", sender=KOORDINATORIN)
    assert created.body == "Neuer Eintrag R-1 ist angelegt: Mobilitätsberatung."
    assert "Mobilitätsberatung" in (await chat.say("!wer Führerschein umschreiben")).body
    assert (await chat.say("!zuständig neu nur eine Rolle", sender=KOORDINATORIN)).body.startswith("So legst du einen Eintrag an:")


async def test_confirmation_round_asks_by_direct_message_once_then_marks_unconfirmed(chat, directory, clock):
    clock.now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    services = chat.dispatcher.services
    first = await jobs.confirmation_round(services, clock())
    asked = {o.target for o in first}
    dm = Destination.direct
    assert dm("@f.nguyen:integration.example") in asked  # last confirmed March 2026
    assert dm("@a.rahimi:integration.example") in asked
    assert dm("@k.vogelsang:integration.example") not in asked  # confirmed in October
    request = next(o for o in first if o.target == dm("@f.nguyen:integration.example"))
    assert "Berater Jugendmigrationsdienst" in request.reply.body and "Antworte mit „ja“" in request.reply.body
    # Asked once: a second round marks nothing new and offers the same messages under the same
    # keys, which the bot sends only if they were not delivered.
    again = await jobs.confirmation_round(services, clock())
    assert sorted(o.key for o in again) == sorted(o.key for o in first)
    clock.advance(days=8)
    assert await jobs.confirmation_round(services, clock()) == []  # a week later: no longer offered
    clock.advance(days=23)
    await jobs.confirmation_round(services, clock())
    assert dm("@a.rahimi:integration.example") in asked  # p16, last confirmed in April
    assert directory.get("p16").status is RoleStatus.UNCONFIRMED  # asked 31 days ago, no answer
    assert directory.get("p14").status is RoleStatus.ACTIVE  # only just due: asked now, not yet marked


async def test_the_holder_confirms_or_corrects_with_one_reply(chat, directory, delivered, clock):
    felix = "@f.nguyen:integration.example"
    assert (await chat.say("ja", sender=felix, room=DM)).body == "Danke! Die Angaben sind bestätigt: p10."
    entry = directory.get("p10")
    assert entry.status is RoleStatus.ACTIVE and entry.last_confirmed == clock().date() and entry.confirmed_by == felix
    reply = await chat.say("nein, die Sprechzeit ist jetzt dienstags", sender="@s.lehnert:integration.example", room=DM)
    assert reply.body == "Danke! Ich habe deine Korrektur an die Koordination weitergegeben."
    [note] = delivered
    assert note.target == Destination.coordination() and "p17" in note.reply.body and "dienstags" in note.reply.body
    assert (await chat.say("ja", room=DM)).body.startswith("Im Verzeichnis steht keine Rolle mit deiner Matrix-Kennung.")
    assert (await chat.say("!bestätigen p03")).body == "Den Eintrag p03 kann nur die Person selbst oder die Koordination bestätigen."


async def test_handover_moves_roles_and_asks_for_confirmation(chat, directory):
    reply = await chat.say("!übergabe @j.hainbach:integration.example @n.neumann:integration.example Nina Neumann", sender=KOORDINATORIN)
    assert reply.body.startswith("1 Rolle(n) von @j.hainbach:integration.example an @n.neumann:integration.example übergeben: p25.")
    moved = directory.get("p25")
    assert moved.matrix_id == "@n.neumann:integration.example" and moved.person == "Nina Neumann"
    assert moved.status is RoleStatus.ACTIVE and moved.last_confirmed is None
    assert (await chat.say("!übergabe @nobody:x @n:x", sender=KOORDINATORIN)).body == "@nobody:x hat im Verzeichnis keine Rolle."
    assert (await chat.say("!übergabe hainbach neumann", sender=KOORDINATORIN)).body.startswith("„hainbach“ ist keine Matrix-Kennung.")


async def test_funding_reminder_eight_weeks_before_once(chat, clock):
    clock.now = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
    services = chat.dispatcher.services
    first = await jobs.funding_round(services, clock())
    ids = sorted(o.key.split(":")[1] for o in first)
    assert ids == ["p04", "p10", "p25"]  # all funded until 31 December 2026
    assert "endet am Donnerstag, 31. Dezember 2026" in first[0].reply.body
    # Reminded once: later rounds offer the same keys (sent only if not delivered) until the post ends.
    assert sorted(o.key for o in await jobs.funding_round(services, clock())) == sorted(o.key for o in first)
    clock.advance(days=60)
    assert await jobs.funding_round(services, clock()) == []


async def test_a_departure_names_the_roles_held(chat):
    notice = jobs.departure_notice(chat.dispatcher.services, "@j.hainbach:integration.example", "k")
    assert notice.target == Destination.coordination() and "Anerkennungs- und Qualifizierungsberatung" in notice.reply.body
    assert jobs.departure_notice(chat.dispatcher.services, "@nobody:x", "k") is None


async def test_vacant_and_left_roles_point_to_the_deputy(chat, directory, clock):
    await directory.update("p15", "test", clock(), "edited", status=RoleStatus.VACANT)
    body = (await chat.say("!eintrag p15")).body
    assert "Die Stelle ist zurzeit nicht besetzt. Bitte wende dich an die Vertretung." in body
    assert "Vertretung: Kursorganisation Integrations- und Berufssprachkurse (Nora Abebe)" in body
    assert "Person:" not in body


async def test_entry_shows_everything_and_unknown_ids_are_explained(chat):
    body = (await chat.say("!eintrag p04")).body
    assert "Gefördert bis Donnerstag, 31. Dezember 2026" in body and "Hinweis: Anfragen für Einsätze" in body
    assert (await chat.say("!eintrag p77")).body.startswith("Einen Eintrag „p77“ gibt es im Verzeichnis nicht.")


async def test_coordinators_answer_open_questions_and_the_next_person_gets_the_answer(chat, directory, delivered):
    asked = await chat.say("Wer betreut das Lesezeichen-Projekt?", room=DM)
    assert "Zu „Wer betreut das Lesezeichen-Projekt?“ habe ich niemanden gefunden." in asked.body
    assert "(F-1)" in asked.body and "schicke ich dir die Antwort" in asked.body
    listed = await chat.say("!offene-fragen", sender=KOORDINATORIN)
    assert "F-1: „Wer betreut das Lesezeichen-Projekt?“" in listed.body and ANNA not in listed.body
    # Members may not teach; bad ids and targets get a clear answer.
    assert (await chat.say("!zuordnen F-1 p13")).body.startswith("Das dürfen nur Koordinatorinnen")
    assert (await chat.say("!zuordnen X-1 p13", sender=KOORDINATORIN)).body.startswith("„X-1“ ist keine Nummer einer offenen Frage.")
    assert (await chat.say("!zuordnen F-9 p13", sender=KOORDINATORIN)).body.startswith("Eine offene Frage F-9 finde ich nicht.")
    assert (await chat.say("!zuordnen F-1 p99", sender=KOORDINATORIN)).body.startswith("„p99“ ist weder ein Eintrag")
    done = await chat.say("!zuordnen F-1 p13", sender=KOORDINATORIN)
    assert done.body.startswith("F-1 ist beantwortet: „Lesezeichen-Projekt“ gehört jetzt zu Ehrenamtskoordinatorin")
    assert done.reaction == "✅" and "Der Person, die gefragt hat, habe ich Bescheid gesagt." in done.body
    # The asker is told where they asked (their direct message), in their language.
    told = [o for o in delivered if o.key == "answer:F-1"]
    assert len(told) == 1 and told[0].target == Destination.to_room(DM.room_id)
    assert told[0].reply.body.startswith("Zu deiner Frage „Wer betreut das Lesezeichen-Projekt?“")
    assert "Ehrenamtskoordinatorin, Sprecherin HF Ehrenamt" in told[0].reply.body
    # The next person asking gets the answer; the question is no longer open.
    again = await chat.say("Lesezeichen-Projekt, an wen wende ich mich?", sender="@ben:example.org", room=DM)
    assert "Ehrenamtskoordinatorin, Sprecherin HF Ehrenamt" in again.body and "niemanden" not in again.body
    assert (await chat.say("!offene-fragen", sender=KOORDINATORIN)).body.startswith("Zurzeit gibt es keine")
    assert (await chat.say("!zuordnen F-1 p13", sender=KOORDINATORIN)).body == "Die Frage F-1 ist schon beantwortet."
    # By topic, in English.
    await chat.say("who runs the Moonlight Choir?", room=DM)
    by_topic = await chat.say("!assign F-2 sport_freizeit", sender=KOORDINATORIN)
    assert by_topic.body.startswith("F-2 is answered: “Moonlight Choir” now belongs to Sport")


async def test_candidates_keep_their_rank_and_show_status_and_deputy(chat, directory, clock):
    await directory.update("p15", "test", clock(), "edited", status=RoleStatus.LEFT, deputy="p24")
    reply = await chat.say("!wer Deutschkurs")
    assert reply.body.startswith("Ich bin nicht sicher")
    first = reply.body.split("•")[1]
    assert "Fachbereichsleitung Deutsch & Integration" in first  # a role whose holder left keeps its place
    assert "Person hat die Stelle verlassen" in first and "Vertretung: Kursorganisation" in first
