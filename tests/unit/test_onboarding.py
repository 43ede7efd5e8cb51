"""Onboarding an existing network (issue 17), on SQLite and PostgreSQL: spreadsheets, calendars and
decision files import checked, all or nothing, idempotently, with history; exports read back unchanged."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from knowledge.directory.synonyms import SynonymTable
from knowledge.onboarding import run as onboarding_run
from knowledge.onboarding.cells import neutralise, restore
from knowledge.onboarding.export import export_decisions, export_directory
from knowledge.onboarding.fields import Vocabulary
from knowledge.onboarding.run import Settings, run_import
from knowledge.register.model import Kind, NewEntry, Status
from knowledge.storage import DirectoryRepository, MeetingRepository, RegisterRepository
from knowledge.storage.onboarding import OnboardingStore
from knowledge.values import Scope

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples"
NETWORK = ROOT / "config" / "demo-network.yaml"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
BERLIN = ZoneInfo("Europe/Berlin")
TABLE = SynonymTable.load(ROOT / "config" / "synonyms.yaml")


def settings(**kw) -> Settings:
    network = yaml.safe_load(NETWORK.read_text(encoding="utf-8"))
    hfs = {hf["id"]: (hf["name_de"], hf["name_en"]) for hf in network["handlungsfelder"]}
    rooms = {hf["room"]: Scope.handlungsfeld(hf["id"]) for hf in network["handlungsfelder"]}
    rooms[network["network"]["plenary_room"]] = Scope.network()
    return Settings(vocabulary=Vocabulary(hfs, lambda: TABLE), timezone=BERLIN, rooms=rooms, **kw)


async def counts(db) -> tuple[int, int, int]:
    return (len(await DirectoryRepository(db).all()), await RegisterRepository(db).count(),
            len(await MeetingRepository(db).meetings(include_cancelled=True)))


def summary(outcome) -> dict[str, tuple[int, int, int]]:
    return {k: (c.created, c.changed, c.unchanged) for k, c in outcome.counts.items()}


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ";", encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


# ----- the done-when: samples in one go, dry run first, re-import a no-op ---------------------


async def test_the_samples_import_in_one_go_after_a_dry_run_and_again_change_nothing(db):
    files = [SAMPLES / "verzeichnis.xlsx", SAMPLES / "termine.ics", SAMPLES / "beschluesse.csv"]
    store = OnboardingStore(db)
    dry = await run_import(store, files, settings(dry_run=True), T0)
    assert dry.problems == [] and not dry.stored
    assert summary(dry) == {"directory": (8, 0, 0), "meetings": (2, 0, 0), "decisions": (5, 0, 0)}
    assert await counts(db) == (0, 0, 0)

    real = await run_import(store, files, settings(), T0)
    assert real.stored and summary(real) == summary(dry)
    assert await counts(db) == (8, 5, 2)

    again = await run_import(store, files, settings(), T0 + timedelta(days=1))
    assert summary(again) == {"directory": (0, 0, 8), "meetings": (0, 0, 2), "decisions": (0, 0, 5)}
    history = await DirectoryRepository(db).history("p02")
    assert len(history) == 1  # nothing written by the second run

    directory = {e.id: e for e in await DirectoryRepository(db).all()}
    assert directory["p01"].deputy == "p02"  # "Vertretung: Jonas Brettschneider", a name, read as his role
    assert directory["p04"].languages == ("de", "ar", "fr", "en")  # "Deutsch, Arabisch, Französisch, Englisch"
    assert directory["p08"].topics == ("arbeit", "soziale_leistungen")  # "Arbeit; Bürgergeld" via the synonym table
    assert directory["p02"].handlungsfelder == ("hf-bildung",)  # "Bildung und Sprache", the Handlungsfeld's name
    assert directory["p02"].funded_until.isoformat() == "2027-06-30"  # "30.06.2027"

    register = RegisterRepository(db)
    decided = {e.external_id: e for e in await register.entries_in(None, (Kind.DECISION, Kind.AGREEMENT))}
    assert decided["B-2025-12"].scope == Scope.network() and decided["B-2025-12"].status is Status.IN_PROGRESS
    assert decided["V-2025-04"].kind is Kind.AGREEMENT and decided["V-2025-04"].scope == Scope.handlungsfeld("hf-arbeit")
    assert decided["B-2025-11"].public and decided["B-2025-11"].created_at.astimezone(BERLIN).date().isoformat() == "2025-03-19"

    series = {m.title: m for m in await MeetingRepository(db).meetings()}
    wohnen = series["AG Wohnen – Monatstreffen"]
    starts = wohnen.occurrences(datetime(2027, 1, 1, tzinfo=BERLIN), datetime(2028, 1, 1, tzinfo=BERLIN))
    # second Wednesday of every month, 14:00 Berlin time on both sides of the clock changes, no August, until December
    assert [s.month for s in starts] == [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]
    assert {(s.hour, s.minute) for s in starts} == {(14, 0)} and wohnen.duration == timedelta(minutes=90)
    assert series["Fachtag Integration 2027"].video_link == "https://meet.integration.example/fachtag"


async def test_the_demo_network_file_imports_whole_and_idempotently_with_its_chain(db):
    store = OnboardingStore(db)
    first = await run_import(store, [NETWORK], settings(), T0)
    second = await run_import(store, [NETWORK], settings(), T0)
    assert summary(first) == {"directory": (25, 0, 0), "decisions": (13, 0, 0), "meetings": (2, 0, 0)}
    assert summary(second) == {"directory": (0, 0, 25), "decisions": (0, 0, 13), "meetings": (0, 0, 2)}
    register = RegisterRepository(db)
    new_version, old_version = await register.get(Kind.AGREEMENT, 2), await register.get(Kind.AGREEMENT, 3)
    assert new_version.external_id == "v-2026-10-03" and new_version.supersedes == "V-3"
    assert old_version.superseded_by == "V-2" and old_version.status is Status.SUPERSEDED
    first_decision = await register.get(Kind.DECISION, 1)
    assert first_decision.owner == "Koordinatorin Sprachmittlerpool (Landkreis Saalebogen – Migrationsbüro)"
    assert first_decision.created_at.date().isoformat() == "2026-02-18" and first_decision.lik == ("QT2", "HF6")
    links = await register.entries_in(None, (Kind.LINK,))
    assert len(links) == 6 and all(link.url.startswith("https://") for link in links)


# ----- bad input: every problem with file, row and column; nothing stored ---------------------


async def test_bad_rows_are_reported_with_row_and_column_and_nothing_is_stored(db, tmp_path, monkeypatch):
    monkeypatch.setattr(onboarding_run, "BATCH", 5)  # earlier batches are written, then rolled back
    rows = [["Name", "Funktion", "Träger", "E-Mail", "Sprachen", "Gefördert bis"]]
    rows += [[f"Person {i}", f"Beratung {i}", "Jugendwerk Saaletal e.V.", f"kontakt{i}@jugendwerk.example.org", "Deutsch", ""]
             for i in range(2, 30)]
    rows[16][3] = "mueller(at)jugendwerk.example.org"  # spreadsheet row 17
    rows[20][4] = "Deutsch, Sindarin"
    rows[25][5] = "31.02.2027"
    rows[27][1] = ""
    bad = write_csv(tmp_path / "verzeichnis.csv", rows)
    store = OnboardingStore(db)
    for dry_run in (True, False):
        outcome = await run_import(store, [bad], settings(dry_run=dry_run), T0)
        assert not outcome.stored and outcome.problem_total == 4
        where = [(p.file, p.row, p.column, p.key) for p in outcome.problems]
        assert where == [(str(bad), 17, "E-Mail", "not_email"), (str(bad), 21, "Sprachen", "unknown_language"),
                         (str(bad), 26, "Gefördert bis", "not_date"), (str(bad), 28, "Funktion", "required")]
        assert outcome.problems[0].params == {"value": "mueller(at)jugendwerk.example.org"}
    assert await counts(db) == (0, 0, 0)


async def test_a_broken_network_file_names_file_entry_and_field_and_imports_nothing(db, tmp_path):
    bad = tmp_path / "net.yaml"
    bad.write_text(
        "knowledge:\n  decisions:\n"
        "    - {id: b-1, type: beschluss, text: ok, handlungsfeld: hf-gesundheit}\n"
        "    - {id: b-2, type: meinung, text: '', status: fertig, handlungsfeld: hf-mond, supersedes: b-9}\n"
        "    - {id: b-3, type: beschluss, text: ok, supersedes: b-9}\n"
        "  links:\n    - {id: l-1, url: 'ftp://x', title: y}\n", encoding="utf-8")
    outcome = await run_import(OnboardingStore(db), [bad], settings(), T0)
    assert [(p.file, p.row, p.column, p.key) for p in outcome.problems] == [
        (str(bad), 2, "kind", "unknown_kind"), (str(bad), 2, "text", "required"),
        (str(bad), 2, "handlungsfeld", "unknown_handlungsfeld"), (str(bad), 2, "status", "unknown_status"),
        (str(bad), 4, "url", "not_url"), (str(bad), 3, "supersedes", "unknown_reference")]
    assert not outcome.stored and await RegisterRepository(db).count() == 0


async def test_problem_messages_are_in_the_users_language():
    from bot.onboarding import problem_line
    from knowledge.onboarding.problems import Problem

    problem = Problem("verzeichnis.xlsx", "not_email", {"value": "mueller(at)example.org"}, 17, "E-Mail")
    assert problem_line(problem, "de") == (
        "verzeichnis.xlsx, Zeile 17, Spalte E-Mail: „mueller(at)example.org“ ist keine E-Mail-Adresse.")
    assert problem_line(problem, "en") == (
        "verzeichnis.xlsx, row 17, column E-Mail: “mueller(at)example.org” is not an e-mail address.")


async def test_skip_bad_rows_stores_the_good_ones_and_says_which_it_left_out(db, tmp_path):
    rows = [["Nr.", "Art", "Datum", "Text", "Status"],
            ["b-1", "Beschluss", "2026-01-10", "Gut", "beschlossen"],
            ["b-2", "Meinung", "2026-01-10", "Art unbekannt", "beschlossen"],
            ["b-3", "Vereinbarung", "10.01.2026", "Auch gut", "umgesetzt"],
            ["b-1", "Beschluss", "2026-01-10", "Doppelt", "beschlossen"]]
    file = write_xlsx(tmp_path / "beschluesse.xlsx", rows)
    outcome = await run_import(OnboardingStore(db), [file], settings(skip_bad_rows=True), T0)
    assert outcome.stored and summary(outcome) == {"decisions": (2, 0, 0)}
    assert outcome.skipped_rows == [(str(file), 3), (str(file), 5)] and outcome.of("decisions").skipped == 2
    assert [p.key for p in outcome.problems] == ["unknown_kind", "duplicate_key"]
    assert await RegisterRepository(db).count() == 2


async def test_an_interrupted_import_leaves_the_store_as_it_was(db, tmp_path, monkeypatch):
    from knowledge.storage.onboarding import ImportTransaction

    store = OnboardingStore(db)
    await run_import(store, [SAMPLES / "beschluesse.csv"], settings(), T0)
    monkeypatch.setattr(onboarding_run, "BATCH", 10)
    rows = [["ID", "Text"]] + [[f"x-{i}", f"Eintrag {i}"] for i in range(50)]
    file = write_csv(tmp_path / "viele.csv", rows)
    calls = 0
    original = ImportTransaction.insert_entries

    async def crash_on_third_batch(self, entries):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the import
        await original(self, entries)

    monkeypatch.setattr(ImportTransaction, "insert_entries", crash_on_third_batch)
    with pytest.raises(KeyboardInterrupt):
        await run_import(store, [file], settings(), T0)
    assert calls == 3 and await RegisterRepository(db).count() == 5  # the two written batches are gone


async def test_whole_file_problems_refuse_the_import_even_when_skipping_rows(db, tmp_path):
    broken = tmp_path / "kaputt.xlsx"
    broken.write_bytes(b"this is not a zip file")
    twice = write_csv(tmp_path / "doppelt.csv", [["Name", "Ansprechperson", "Funktion", "Träger"], ["a", "b", "c", "d"]])
    no_text = write_csv(tmp_path / "ohne.csv", [["Datum", "Status"], ["2026-01-01", "beschlossen"]])
    outcome = await run_import(OnboardingStore(db), [broken, twice, no_text, tmp_path / "fehlt.csv", SAMPLES / "beschluesse.csv"],
                               settings(skip_bad_rows=True), T0)
    assert not outcome.stored and outcome.fatal
    assert [p.key for p in outcome.problems] == ["not_a_table", "column_twice", "missing_columns", "missing"]
    assert await counts(db) == (0, 0, 0)


# ----- the files people have ------------------------------------------------------------------


@pytest.mark.parametrize("delimiter,encoding", [(";", "cp1252"), (",", "utf-8-sig"), ("\t", "utf-8"), ("|", "utf-8")])
async def test_csv_in_any_delimiter_and_the_encodings_excel_writes(db, tmp_path, delimiter, encoding):
    rows = [["Ansprechpartner:in", "Funktion", "Träger", "Tel.", "E-Mail-Adresse", "Themen", "Sprachen"],
            ["Jürgen Weiß", "Beratung für Geflüchtete, Wohnungssuche", "Wohlfahrtsverband Saalebogen e.V.",
             "+49 0000 470-301", "mbe@wohlfahrtsverband-saalebogen.example.org", "Wohnen, Beratung", "Deutsch, Türkisch"]]
    file = write_csv(tmp_path / "liste.csv", rows, delimiter, encoding)
    outcome = await run_import(OnboardingStore(db), [file], settings(), T0)
    assert outcome.problems == [] and summary(outcome) == {"directory": (1, 0, 0)}
    (entry,) = await DirectoryRepository(db).all()
    assert (entry.person, entry.role, entry.phone) == ("Jürgen Weiß", "Beratung für Geflüchtete, Wohnungssuche", "+49 0000 470-301")
    assert entry.topics == ("wohnen", "beratung") and entry.languages == ("de", "tr")
    assert entry.id.startswith("v-")  # no ID column: keyed by Funktion + Träger


async def test_excels_sep_line_is_understood_and_rows_keep_their_numbers(db, tmp_path):
    file = tmp_path / "excel.csv"
    file.write_bytes("sep=,\r\nName,Funktion,Träger,E-Mail\r\nA,B,C,kaputt\r\n".encode("cp1252"))
    outcome = await run_import(OnboardingStore(db), [file], settings(), T0)
    assert [(p.row, p.column, p.key) for p in outcome.problems] == [(3, "E-Mail", "not_email")]


async def test_a_map_file_names_unusual_columns_and_unknown_columns_are_named_not_taken(db, tmp_path):
    from knowledge.onboarding.tables import load_map

    mapping = tmp_path / "spalten.yaml"
    mapping.write_text("Wer: person\nWas genau: Funktion\nBei wem: organisation\nDurchwahl: Telefon\nInterne Notiz: '-'\n",
                       encoding="utf-8")
    file = write_xlsx(tmp_path / "eigen.xlsx", [
        ["Wer", "Was genau", "Bei wem", "Durchwahl", "Geburtstag", "Interne Notiz"],
        ["Felix Nguyen", "Jugendmigrationsdienst", "Jugendwerk Saaletal e.V.", 4900004601201, "1.1.1990", "privat"]])
    outcome = await run_import(OnboardingStore(db), [file], settings(column_map=load_map(mapping)), T0)
    assert outcome.problems == [] and summary(outcome) == {"directory": (1, 0, 0)}
    assert [(n.key, n.params) for n in outcome.notices] == [("column_ignored", {"column": "Geburtstag"})]
    (entry,) = await DirectoryRepository(db).all()
    assert (entry.person, entry.role, entry.phone, entry.notes) == (
        "Felix Nguyen", "Jugendmigrationsdienst", "4900004601201", None)


async def test_first_and_last_name_columns_make_the_person(db, tmp_path):
    file = write_csv(tmp_path / "namen.csv", [["Vorname", "Nachname", "Funktion", "Träger"],
                                              ["Olena", "Kravets", "Vorsitzende", "Ukrainischer Verein Dnipro-Saale e.V."]])
    await run_import(OnboardingStore(db), [file], settings(), T0)
    assert (await DirectoryRepository(db).all())[0].person == "Olena Kravets"


# ----- changes keep history -------------------------------------------------------------------


async def test_a_changed_row_updates_its_entry_with_history(db, tmp_path):
    store = OnboardingStore(db)
    await run_import(store, [SAMPLES / "verzeichnis.xlsx", SAMPLES / "beschluesse.csv"], settings(), T0)
    book = load_workbook(SAMPLES / "verzeichnis.xlsx")
    book.active["E4"] = "+49 0000 410-599"  # p03's phone
    book.save(tmp_path / "verzeichnis.xlsx")
    text = (SAMPLES / "beschluesse.csv").read_text(encoding="utf-8").replace("in Umsetzung", "umgesetzt")
    (tmp_path / "beschluesse.csv").write_text(text, encoding="utf-8")
    later = T0 + timedelta(days=30)
    outcome = await run_import(store, [tmp_path / "verzeichnis.xlsx", tmp_path / "beschluesse.csv"], settings(), later)
    assert summary(outcome) == {"directory": (0, 1, 7), "decisions": (0, 1, 4)}
    assert [(c.kind, c.key, c.fields) for c in outcome.changes] == [
        ("directory", "p03", ("phone",)), ("decisions", "B-2025-12", ("status",))]
    history = await DirectoryRepository(db).history("p03")
    assert history[-1][1:] == ("import:verzeichnis.xlsx", "imported", {"phone": "+49 0000 410-530"}, {"phone": "+49 0000 410-599"})
    register = RegisterRepository(db)
    (entry,) = [e for e in await register.entries_in(None, (Kind.DECISION,)) if e.external_id == "B-2025-12"]
    entry = await register.get(entry.kind, entry.number, history=True)
    assert entry.status is Status.IMPLEMENTED
    assert [(r.action, r.before, r.after) for r in entry.history] == [
        ("created", {}, {"text": entry.text}), ("imported", {"status": "in_progress"}, {"status": "implemented"})]


# ----- calendars ------------------------------------------------------------------------------

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:040000008200E00074C5B7101A82E008000000001
SUMMARY:AG Gesundheit
DTSTART;TZID=W. Europe Standard Time:20270105T100000
DTEND;TZID=W. Europe Standard Time:20270105T113000
RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=10
EXDATE;TZID=W. Europe Standard Time:20270202T100000,20270216T100000
LOCATION:online
END:VEVENT
BEGIN:VEVENT
UID:040000008200E00074C5B7101A82E008000000001
RECURRENCE-ID;TZID=W. Europe Standard Time:20270119T100000
SUMMARY:AG Gesundheit (verschoben)
DTSTART;TZID=W. Europe Standard Time:20270120T100000
DTEND;TZID=W. Europe Standard Time:20270120T113000
END:VEVENT
BEGIN:VEVENT
UID:utc-event@example.org
SUMMARY:Videokonferenz Landesnetzwerk
DTSTART:20270310T080000Z
DURATION:PT2H
END:VEVENT
BEGIN:VEVENT
UID:abgesagt@example.org
SUMMARY:Abgesagtes Treffen
DTSTART;TZID=Europe/Berlin:20270401T090000
DTEND;TZID=Europe/Berlin:20270401T100000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:abgesagt@example.org
SUMMARY:Doppelt
DTSTART;TZID=Europe/Berlin:20270401T090000
END:VEVENT
BEGIN:VEVENT
UID:ganztags@example.org
SUMMARY:Interkulturelle Woche
DTSTART;VALUE=DATE:20270920
DTEND;VALUE=DATE:20270927
END:VEVENT
END:VCALENDAR
"""


async def test_outlook_calendars_become_meeting_series(db, tmp_path):
    file = tmp_path / "outlook.ics"
    file.write_text(ICS.replace("\n", "\r\n"), encoding="utf-8")
    outcome = await run_import(OnboardingStore(db), [file], settings(skip_bad_rows=True, meeting_scope=Scope.handlungsfeld("hf-gesundheit")), T0)
    assert [(p.row, p.column, p.key) for p in outcome.problems] == [(5, "UID", "duplicate_key"), (6, "DTSTART", "all_day")]
    assert [n.key for n in outcome.notices] == ["override_ignored"]
    assert summary(outcome) == {"meetings": (3, 0, 0)}
    meetings = {m.title: m for m in await MeetingRepository(db).meetings(include_cancelled=True)}
    health = meetings["AG Gesundheit"]
    assert health.timezone == "Europe/Berlin" and health.scope == Scope.handlungsfeld("hf-gesundheit")
    starts = health.occurrences(datetime(2027, 1, 1, tzinfo=BERLIN), datetime(2028, 1, 1, tzinfo=BERLIN))
    assert len(starts) == 8 and all((s.hour, s.weekday()) == (10, 1) for s in starts)  # 10 minus 2 exceptions
    assert starts[-1].date().isoformat() == "2027-05-11"  # past the March clock change, still 10:00
    video = meetings["Videokonferenz Landesnetzwerk"]
    assert video.start.astimezone(BERLIN).hour == 9 and video.duration == timedelta(hours=2)
    assert meetings["Abgesagtes Treffen"].cancelled
    again = await run_import(OnboardingStore(db), [file], settings(skip_bad_rows=True, meeting_scope=Scope.handlungsfeld("hf-gesundheit")), T0)
    assert summary(again) == {"meetings": (0, 0, 3)}


async def test_a_changed_event_updates_its_series_and_keeps_exceptions_made_in_lotse(db, tmp_path):
    store = OnboardingStore(db)
    await run_import(store, [SAMPLES / "termine.ics"], settings(), T0)
    repo = MeetingRepository(db)
    series = next(m for m in await repo.meetings() if m.rrule)
    skipped = datetime(2027, 3, 10, 14, 0, tzinfo=BERLIN)
    await repo.change_meeting(series.number, exdates=(*series.exdates, skipped))  # "!termin ausfallen"
    moved = (SAMPLES / "termine.ics").read_text(encoding="utf-8").replace("Raum 2.07", "Raum 3.01")
    (tmp_path / "termine.ics").write_text(moved, encoding="utf-8")
    outcome = await run_import(store, [tmp_path / "termine.ics"], settings(), T0)
    assert summary(outcome) == {"meetings": (0, 1, 1)}
    updated = await repo.meeting(series.number)
    assert updated.location == "Kreishaus Saalstedt, Raum 3.01 (fiktiv)" and skipped in updated.exdates


# ----- export and the round trip --------------------------------------------------------------


def test_the_fast_role_document_is_the_directorys_own():
    from knowledge.directory.files import read_file
    from knowledge.storage.directory import _to_doc
    from knowledge.storage.onboarding import role_doc

    for entry in read_file(NETWORK):
        assert role_doc(entry) == _to_doc(entry)


@given(st.text())
def test_any_cell_text_survives_neutralisation_and_is_never_a_formula(text):
    safe = neutralise(text)
    assert restore(safe) == text
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_formula_cells_are_neutralised_and_restored_exactly():
    for text in ("=HYPERLINK(\"http://x\")", "+49 0000 1", "-5", "@SUM(A1)", "\tx", "\rx", "'=already", "''=x", "plain", "'quoted"):
        safe = neutralise(text)
        assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert restore(safe) == text


async def _chat_entries(db):
    register = RegisterRepository(db)
    for i, text in enumerate(["=1+1 ist zwei", "- erster Punkt\n- zweiter Punkt", "@alle: bitte lesen", "Normal; mit Semikolon, Komma"]):
        await register.add(NewEntry(kind=Kind.DECISION, scope=Scope.handlungsfeld("hf-arbeit"), text=text, author="@a:x", recorded_by="@a:x",
                                    origin=f"$chat{i}", title=None if i else "+ Titel", lik=("HF4",), tags=("a", "b"),
                                    owner="@h.sauerbier:integration.example", due=None if i else T0.date()),
                           T0 + timedelta(hours=i * 7))


@pytest.mark.parametrize("fmt,lang", [("xlsx", "de"), ("csv", "de"), ("xlsx", "en"), ("csv", "en")])
async def test_export_then_import_changes_nothing(db, tmp_path, fmt, lang):
    store = OnboardingStore(db)
    await run_import(store, [NETWORK], settings(), T0)
    await _chat_entries(db)
    directory_file = tmp_path / f"verzeichnis.{fmt}"
    directory_file.write_bytes(export_directory(await DirectoryRepository(db).all(), fmt, lang))
    decided = await RegisterRepository(db).entries_in(None, (Kind.DECISION, Kind.AGREEMENT))
    decisions_file = tmp_path / f"beschluesse.{fmt}"
    decisions_file.write_bytes(export_decisions(decided, fmt, lang, BERLIN))
    before = await counts(db)
    outcome = await run_import(store, [directory_file, decisions_file], settings(), T0 + timedelta(days=1))
    assert outcome.problems == [] and outcome.notices == []
    assert summary(outcome) == {"directory": (0, 0, 25), "decisions": (0, 0, 11)}
    assert await counts(db) == before


async def test_exports_are_safe_to_open_in_a_spreadsheet(db, tmp_path):
    await _chat_entries(db)
    decided = await RegisterRepository(db).entries_in(None, (Kind.DECISION,))
    text = export_decisions(decided, "csv", "de", BERLIN).decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    assert cells and not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    (tmp_path / "b.xlsx").write_bytes(export_decisions(decided, "xlsx", "de", BERLIN))
    sheet = load_workbook(tmp_path / "b.xlsx").active
    assert all(cell.data_type == "s" for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None)
    assert sheet["F2"].value == "=1+1 ist zwei" and sheet["A1"].value == "ID" and sheet["B1"].value == "Art"


def test_the_report_csv_uses_the_same_neutralisation():
    from knowledge.publishing.report import Report, ReportRow, rows_from_csv, to_csv

    row = ReportRow("hf-arbeit", "decision", "B-1", '=HYPERLINK("http://x";"klick")', "decided", "HF4", "2026-01-01",
                    "@alle", "")
    text = to_csv(Report(network="Netz", start="2026-01-01", end="2026-12-31", generated="2026-12-01", public_only=False,
                         rows=(row,)))
    cells = [c for r in csv.reader(io.StringIO(text)) for c in r]
    assert '\'=HYPERLINK("http://x";"klick")' in cells and "'@alle" in cells
    assert rows_from_csv(text) == (row,)


async def test_another_lotses_export_does_not_overwrite_a_meeting_with_the_same_number(db, tmp_path):
    store = OnboardingStore(db)
    await run_import(store, [SAMPLES / "termine.ics"], settings(), T0)
    foreign = tmp_path / "fremd.ics"
    foreign.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Lotse//Integrationsnetzwerk//DE\r\nBEGIN:VEVENT\r\n"
                       "UID:lotse-meeting-1@lotse\r\nSUMMARY:Ganz anderes Treffen\r\n"
                       "DTSTART;TZID=Europe/Berlin:20270302T100000\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                       encoding="utf-8")
    outcome = await run_import(store, [foreign], settings(), T0)
    assert summary(outcome) == {"meetings": (1, 0, 0)}
    titles = sorted(m.title for m in await MeetingRepository(db).meetings())
    assert titles == ["AG Wohnen – Monatstreffen", "Fachtag Integration 2027", "Ganz anderes Treffen"]
