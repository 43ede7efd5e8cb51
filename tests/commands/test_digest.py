"""Weekly digests: content of a seeded week, empty weeks, the roll-up, subscriptions, size."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from commands.features import digest as digests
from commands.features.digest import MAX_EVENT_CHARS
from knowledge.directory.service import DirectoryService
from knowledge.meetings.model import Firing
from knowledge.publishing.digest import DigestBatch, DigestService, DigestTarget, digest_firings
from knowledge.storage import DirectoryRepository
from knowledge.values import Destination, FiringKind, Scope
from tests.commands.conftest import ARBEIT, DM, KOORD

GESUNDHEIT = Scope.handlungsfeld("hf-gesundheit")

COORD = "@koord:example.org"


async def seed_week(chat, clock, meetings):
    await chat.say("!beschluss Checkliste wird übersetzt #checkliste")
    await chat.say("!stand B-1 in-umsetzung")
    await chat.say("!link https://cloud.example.org/liste Entwurf der Checkliste")
    await chat.say("!aufgabe @ben:example.org Übersetzung beauftragen bis 5.3.2026")
    await chat.say("!aufgabe @anna:example.org Bericht schreiben")
    await chat.say("!termin AG Gesundheit | 12.3.2026 10 Uhr | 60 min", sender=COORD)
    await chat.say("!wer Quantenphysik")  # an unanswered question
    clock.advance(days=3)


async def test_a_seeded_week_in_the_room_digest(chat, clock, meetings):
    await seed_week(chat, clock, meetings)
    reply = await chat.say("!wochenrückblick")
    body = reply.body
    assert body.startswith("Wochenrückblick: Gesundheit und Pflege")
    assert "Zeitraum: Freitag, 27. Februar 2026 bis Freitag, 6. März 2026" in body  # the last seven days
    for section, item in (
        ("Neue Beschlüsse und Vereinbarungen", "• B-1 Checkliste wird übersetzt"),
        ("Neuer Stand", "• B-1 von „beschlossen“ zu „in Umsetzung“: Checkliste wird übersetzt"),
        ("Neue Links", "• L-1 Entwurf der Checkliste"),
        ("Überfällige Aufgaben", "• A-1 Übersetzung beauftragen – @ben:example.org – fällig am Donnerstag, 5. März 2026"),
        ("Offene Aufgaben", "• A-2 Bericht schreiben – @anna:example.org"),
        ("Termine in den nächsten 14 Tagen", "• Donnerstag, 12. März 2026, 10:00 Uhr – AG Gesundheit (M-1)"),
        ("Fragen, auf die ich niemanden wusste", "• „Quantenphysik“"),
    ):
        assert section in body and item in body, item
    assert "Einträge im Verzeichnis, die bestätigt werden sollten" in body  # p03 and others are due
    assert "<table" not in reply.html and "<ul>" in reply.html


async def test_another_room_sees_only_its_own_week(chat, clock, meetings):
    await seed_week(chat, clock, meetings)
    reply = await chat.say("!wochenrückblick", sender="@ben:example.org", room=ARBEIT)
    assert "B-1" not in reply.body and "A-1" not in reply.body


async def test_an_empty_week_posts_nothing_unless_configured(chat, clock, sqlite_db):
    # A directory with nobody to re-confirm (never loaded), so that the week is really empty.
    services = chat.dispatcher.services
    empty = DirectoryService(DirectoryRepository(sqlite_db), services.directory.table)
    services = replace(services, directory=empty, digests=DigestService(services.register, services.meetings, empty,
                                                                         services.network.handlungsfelder, 182))
    chat.dispatcher.services = services
    assert (await chat.say("!wochenrückblick")).body == "In dieser Woche gab es nichts Neues."
    firing = Firing(clock(), "digest:scope:hf:hf-gesundheit:2026-03-03", FiringKind.DIGEST, 0, clock(),
                    target=Destination.of_scope(GESUNDHEIT))
    assert await digests.render_digest_firing(services, firing, False, lambda u: frozenset(), post_empty=False) is None
    posted = await digests.render_digest_firing(services, firing, False, lambda u: frozenset(), post_empty=True)
    assert posted.reply.body == "In dieser Woche gab es nichts Neues."


async def test_the_network_rollup_counts_per_handlungsfeld_and_names_what_needs_attention(chat, clock, meetings):
    await seed_week(chat, clock, meetings)
    reply = await chat.say("!wochenrückblick", room=KOORD)
    body = reply.body
    assert body.startswith("Wochenrückblick für das ganze Netzwerk")
    assert "Gesundheit und Pflege: 1 neue Beschlüsse, 1 neuer Stand, 2 offene Aufgaben (1 überfällig), 1 Termine – B-1 Checkliste" in body
    assert "Arbeitsmarktintegration" not in body  # nothing happened there
    assert "Braucht Aufmerksamkeit" in body and "1 überfällige Aufgaben: A-1" in body
    assert "1 Fragen ohne Ansprechperson (Wissenslücken): !offene-fragen" in body


async def test_subscribe_and_the_personal_digest_by_dm(chat, clock, meetings):
    await seed_week(chat, clock, meetings)
    assert (await chat.say("!digest subscribe", room=DM)).body.startswith("Fine. Every Monday I will send you")
    assert await chat.dispatcher.services.preferences.digest_subscribers() == [("@anna:example.org", "en")]
    firing = Firing(clock(), "digest:dm:@anna:example.org|en:2026-03-06", FiringKind.DIGEST, 0, clock(),
                    target=Destination.direct("@anna:example.org"), lang="en")
    post = await digests.render_digest_firing(chat.dispatcher.services, firing, True, lambda u: frozenset({GESUNDHEIT}), False)
    assert post.target == Destination.direct("@anna:example.org")
    assert post.reply.body.startswith("Late – Lotse could not be reached.\n\nYour weekly digest")
    assert "B-1 Checkliste" in post.reply.body
    assert (await chat.say("!digest unsubscribe", room=DM)).body == "You will no longer get the weekly digest as a direct message."
    assert (await chat.say("!digest unsubscribe", room=DM)).body == "You had not subscribed to the weekly digest."
    assert (await chat.say("!digest bitte")).body.startswith("I do not understand “bitte”.")


async def test_a_huge_week_stays_within_the_event_size_and_points_to_more(chat, clock):
    for i in range(40):
        await chat.say(f"!beschluss Sehr langer Beschluss Nummer {i} " + "mit viel Text " * 12)
    reply = await chat.say("!wochenrückblick")
    assert len(reply.body) + len(reply.html) <= MAX_EVENT_CHARS
    assert "Und 35 weitere. Alle: !beschlüsse" in reply.body
    assert reply.body.count("• B-") == 5


def test_one_digest_per_target_and_week_on_local_time():
    zone = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 3, 20, tzinfo=timezone.utc)
    found = digest_firings([DigestTarget(Destination.of_scope(Scope.handlungsfeld("a")), "MO", "08:00")], zone, start,
                           start + timedelta(days=15))
    assert [f.at.isoformat() for f in found] == ["2026-03-23T08:00:00+01:00", "2026-03-30T08:00:00+02:00"]  # across DST
    assert found[0].key == "digest:scope:hf:a:2026-03-23"


async def test_the_shared_batch_gives_each_room_the_same_digest_as_building_it_alone(chat, clock, meetings):
    await seed_week(chat, clock, meetings)
    await chat.say("!beschluss Jobmesse im April", sender="@ben:example.org", room=ARBEIT)
    services = chat.dispatcher.services
    batch = DigestBatch(services.digests)
    for scope in (GESUNDHEIT, Scope.handlungsfeld("hf-arbeit")):
        alone = await services.digests.build(frozenset({scope}), clock())
        shared = await batch.get(scope, clock())
        assert shared == alone and shared.totals == alone.totals


async def test_bericht_uploads_four_formats_for_coordinators_only(chat, clock, meetings):
    await seed_week(chat, clock, meetings)
    assert (await chat.say("!bericht")).body.startswith("Das dürfen nur Koordinatorinnen")
    reply = await chat.say("!bericht hf-gesundheit 2026", sender=COORD)
    assert reply.body.startswith("Hier ist der Bericht für Donnerstag, 1. Januar 2026 bis Donnerstag, 31. Dezember 2026: 1 Beschlüsse")
    names = [a.filename for a in reply.attachments]
    assert names == [f"bericht-hf-gesundheit-2026-01-01-2026-12-31.{ext}" for ext in ("md", "html", "csv", "json")]
    assert b"B-1" in reply.attachments[2].content and reply.attachments[1].mimetype == "text/html"
    assert (await chat.say("!bericht Q7 2026", sender=COORD)).body.startswith("Den Zeitraum „Q7 2026“ verstehe ich nicht.")


async def test_meetings_can_be_marked_public(chat, meetings):
    await chat.say("!termin Plenum | 20.3.2026 10 Uhr", sender=COORD)
    assert "Öffentlich: erscheint auf der Transparenz-Seite." in (await chat.say("!termin ändern M-1 öffentlich ja", sender=COORD)).body
    assert (await meetings.meeting(1)).public
    assert (await chat.say("!termin ändern M-1 öffentlich vielleicht", sender=COORD)).body.startswith("„vielleicht“ verstehe ich nicht.")
