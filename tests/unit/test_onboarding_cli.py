"""`lotse import` / `lotse directory|decisions import|export` as a coordinator runs them: dry run first,
answers in German or English, problems with file, row and column, exit code 2, never a traceback."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.starter import starter_config

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "config" / "samples"


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "lotse.yaml"
    path.write_text(starter_config("http://127.0.0.1:8008", "@lotse:integration.example", tmp_path / "data",
                                   ROOT / "config" / "demo-network.yaml"))
    return path


def stored(config: Path) -> tuple[int, int, int]:
    db = config.parent / "data" / "lotse.db"
    if not db.exists():
        return (0, 0, 0)
    with sqlite3.connect(db) as conn:
        return tuple(conn.execute(f"select count(*) from {t}").fetchone()[0]
                     for t in ("directory_entries", "entries", "meetings"))  # type: ignore[return-value]


def test_dry_run_then_import_then_re_import(config, capsys):
    files = [str(SAMPLES / "verzeichnis.xlsx"), str(SAMPLES / "termine.ics"), str(SAMPLES / "beschluesse.csv")]
    assert main(["import", *files, "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Probelauf") and "Verzeichnis: 8 neu, 0 geändert, 0 unverändert." in out
    assert "Termine: 2 neu" in out and "Beschlüsse und Links: 5 neu" in out
    assert stored(config) == (0, 0, 0)
    assert main(["import", *files, "--config", str(config)]) == 0
    assert "Übernommen." in capsys.readouterr().out and stored(config) == (8, 5, 2)
    assert main(["import", *files, "--config", str(config), "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Directory: 0 new, 0 changed, 8 unchanged." in out and "Meetings: 0 new, 0 changed, 2 unchanged." in out


def test_bad_rows_exit_2_with_row_and_column_and_store_nothing(config, tmp_path, capsys):
    lines = ["Name;Funktion;Träger;E-Mail"] + [f"Person {i};Beratung {i};Träger e.V.;p{i}@traeger.example.org" for i in range(2, 20)]
    lines[16] = "Paul Müller;Beratung 17;Träger e.V.;mueller(at)traeger.example.org"
    bad = tmp_path / "verzeichnis.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="cp1252")
    for extra in (["--dry-run"], []):
        assert main(["directory", "import", str(bad), "--config", str(config), *extra]) == 2
        captured = capsys.readouterr()
        assert f"{bad}, Zeile 17, Spalte E-Mail: „mueller(at)traeger.example.org“ ist keine E-Mail-Adresse." in captured.err
        assert "Traceback" not in captured.err + captured.out
    assert "Ich habe nichts übernommen" in captured.out and stored(config) == (0, 0, 0)
    assert main(["directory", "import", str(bad), "--config", str(config), "--skip-bad-rows", "--lang", "en"]) == 0
    captured = capsys.readouterr()
    assert "I left out these rows (1 problems):" in captured.err and f"{bad}, row 17, column E-Mail" in captured.err
    assert "Directory: 17 new, 0 changed, 0 unchanged. 1 rows left out." in captured.out and stored(config)[0] == 17


@pytest.mark.parametrize("name,content,message", [
    ("fehlt.xlsx", None, "Diese Datei gibt es nicht."),
    ("kaputt.xlsx", b"PK\x03\x04 not really", "Das ist keine lesbare Tabelle."),
    ("leer.csv", b"", "Die Datei ist leer."),
    ("liste.pdf", b"%PDF-1.4", "Dateien mit der Endung „.pdf“ kann ich nicht lesen."),
    ("kalender.ics", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nnonsense", "keine lesbare Kalenderdatei"),
    ("netz.yaml", b"directory: [unclosed", "kein gültiges YAML"),
])
def test_unreadable_files_get_a_sentence_not_a_traceback(config, tmp_path, capsys, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["import", str(path), "--config", str(config)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err + captured.out
    assert stored(config) == (0, 0, 0)


def test_a_bad_map_file_and_an_unknown_handlungsfeld_are_named(config, tmp_path, capsys):
    bad_map = tmp_path / "map.yaml"
    bad_map.write_text("- just a list\n", encoding="utf-8")
    assert main(["import", str(SAMPLES / "verzeichnis.xlsx"), "--config", str(config), "--map", str(bad_map)]) == 2
    assert "Die Zuordnungsdatei muss aus Zeilen" in capsys.readouterr().err
    assert main(["import", str(SAMPLES / "termine.ics"), "--config", str(config), "--handlungsfeld", "hf-mond"]) == 2
    assert "Das Handlungsfeld „hf-mond“ gibt es nicht." in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "yaml"])
def test_export_edit_in_a_spreadsheet_and_import_round_trip(config, tmp_path, capsys, fmt):
    assert main(["import", str(ROOT / "config" / "demo-network.yaml"), "--config", str(config)]) == 0
    directory, decisions = tmp_path / f"verzeichnis.{fmt}", tmp_path / f"beschluesse.{fmt}"
    assert main(["directory", "export", "--config", str(config), "--out", str(directory)]) == 0
    assert main(["decisions", "export", "--config", str(config), "--format", fmt, "--out", str(decisions)]) == 0
    capsys.readouterr()
    assert main(["import", str(directory), str(decisions), "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Verzeichnis: 0 neu, 0 geändert, 25 unverändert." in out
    assert "Beschlüsse und Links: 0 neu, 0 geändert, 7 unverändert." in out


def test_export_to_a_place_that_cannot_be_written(config, tmp_path, capsys):
    assert main(["directory", "export", "--config", str(config), "--out", str(tmp_path / "no" / "such" / "dir.xlsx")]) == 2
    assert "Ich kann nicht in die Datei" in capsys.readouterr().err


def test_a_locked_database_gets_a_sentence_and_nothing_half_stored(config, capsys):
    assert main(["import", str(SAMPLES / "beschluesse.csv"), "--config", str(config)]) == 0
    capsys.readouterr()
    holder = sqlite3.connect(config.parent / "data" / "lotse.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the database (SQLite waits 5 s, then gives up)
    try:
        assert main(["import", str(SAMPLES / "verzeichnis.xlsx"), "--config", str(config)]) == 1
        captured = capsys.readouterr()
        assert "Die Datenbank ist gerade nicht erreichbar oder gesperrt. Ich habe nichts übernommen." in captured.err
        assert "Traceback" not in captured.err + captured.out
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert stored(config) == (0, 5, 0)


def test_overlong_values_are_problems_not_database_errors(config, tmp_path, capsys):
    long_id = tmp_path / "lang.csv"
    long_id.write_text("Nr.;Funktion;Träger\n" + "x" * 65 + ";Beratung;Träger e.V.\n", encoding="utf-8")
    assert main(["import", str(long_id), "--config", str(config)]) == 2
    assert "Zeile 2, Spalte Nr.: Der Text ist zu lang (höchstens 64 Zeichen)." in capsys.readouterr().err


def test_lotses_own_calendar_export_imports_back_without_change(config, tmp_path, capsys):
    assert main(["import", str(ROOT / "config" / "demo-network.yaml"), str(SAMPLES / "termine.ics"), "--config", str(config)]) == 0
    exported = tmp_path / "alle.ics"
    assert main(["export", "ics", "--config", str(config), "--out", str(exported)]) == 0
    capsys.readouterr()
    assert main(["import", str(exported), "--config", str(config), "--dry-run"]) == 0
    assert "Termine: 0 neu, 0 geändert, 4 unverändert." in capsys.readouterr().out


def test_a_dry_run_names_what_would_change(config, tmp_path, capsys):
    assert main(["import", str(SAMPLES / "beschluesse.csv"), "--config", str(config)]) == 0
    edited = tmp_path / "beschluesse.csv"
    edited.write_text((SAMPLES / "beschluesse.csv").read_text(encoding="utf-8").replace("vertagt", "beschlossen")
                      .replace("Migrationsbüro;31.12.2026", "Koordination;30.06.2027"), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(edited), "--config", str(config), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Beschlüsse und Links: 0 neu, 2 geändert, 3 unverändert." in out
    assert "Geändert würden:\n  - Beschlüsse und Links B-2025-12: Verantwortlich, Frist\n" in out
    assert "  - Beschlüsse und Links B-2025-21: Status\n" in out
