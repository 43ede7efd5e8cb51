"""Writes config/samples/verzeichnis.xlsx: a directory as networks keep it in Excel (the demo
network's fictional people, German headers as people write them). Run it again after changing
the rows: `.venv/bin/python -m devtools.samples`."""
from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "config" / "samples"
HEADERS = ["Nr.", "Name", "Funktion", "Träger", "Telefon", "E-Mail-Adresse", "Themen", "Sprachen", "Sprechzeiten",
           "Handlungsfeld", "Vertretung", "Gefördert bis"]
ROWS = [
    ["p01", "Katrin Vogelsang", "Integrationskoordinatorin (Netzwerkkoordination)", "Landkreis Saalebogen – Migrationsbüro",
     "+49 0000 410-201", "integration@landkreis-saalebogen.example.org", "Koordination; Ankommen", "Deutsch, Englisch",
     "Mo-Do 09:00-15:00", "alle", "Jonas Brettschneider", None],
    ["p02", "Jonas Brettschneider", "Integrationskoordinator (Stellvertretung, Bildungskoordination für Neuzugewanderte)",
     "Landkreis Saalebogen – Migrationsbüro", "+49 0000 410-202", "integration@landkreis-saalebogen.example.org",
     "Koordination; Bildung", "Deutsch, Englisch, Französisch", "Di 09:00-12:00; Do 13:00-16:00", "Bildung und Sprache",
     "p01", "30.06.2027"],
    ["p03", "Dr. Miriam Hollenbach", "Ärztin im Gesundheitsamt, Sprecherin HF Gesundheit", "Landkreis Saalebogen – Gesundheitsamt",
     "+49 0000 410-530", "gesundheitsamt@landkreis-saalebogen.example.org", "Gesundheit", "Deutsch, Englisch",
     "Mi 08:30-12:00", "hf-gesundheit", None, None],
    ["p04", "Samira Haddad-Lorenz", "Koordinatorin Sprachmittlerpool", "Landkreis Saalebogen – Migrationsbüro",
     "+49 0000 410-215", "sprachmittlung@landkreis-saalebogen.example.org", "Sprachmittlung", "Deutsch, Arabisch, Französisch, Englisch",
     "Mo-Fr 08:00-12:00 (telefonisch)", "hf-gesundheit; hf-bildung", "p01", "31.12.2026"],
    ["p05", "Olena Kravets", "Vorsitzende, Ansprechperson ukrainische Community", "Ukrainischer Verein Dnipro-Saale e.V.",
     None, "kontakt@dnipro-saale.example.org", "Teilhabe; Ehrenamt", "Ukrainisch, Russisch, Deutsch, Englisch",
     "Sa 10:00-13:00 (Vereinstreff)", "Ehrenamt", None, None],
    ["p06", "Tomasz Wierzbicki", "Berater für EU-Beschäftigte, Sprecher HF EU-Bürger:innen",
     "Faire Arbeit Mittelland e.V. – Beratung für EU-Beschäftigte", "+49 0000 455-610",
     "beratung@faire-arbeit-mittelland.example.org", "EU-Bürger; Arbeit", "Polnisch, Deutsch, Englisch",
     "Di 15:00-19:00 (auch nach Schichtende); Do 15:00-19:00", "hf-eu-buerger; hf-arbeit", "p07", None],
    ["p07", "Ioana Popescu-Meier", "Beraterin für EU-Beschäftigte", "Faire Arbeit Mittelland e.V. – Beratung für EU-Beschäftigte",
     "+49 0000 455-611", "beratung@faire-arbeit-mittelland.example.org", "EU-Bürger; Wohnen", "Rumänisch, Deutsch, Englisch, Ungarisch",
     "Mi 14:00-18:00", "hf-eu-buerger", "p06", None],
    ["p08", "Henrik Sauerbier", "Teamleiter Migration & Integration, Sprecher HF Arbeitsmarktintegration", "Jobcenter Saalebogen",
     "+49 0000 433-100", "migration@jobcenter-saalebogen.example.org", "Arbeit; Bürgergeld", "Deutsch, Englisch",
     "offene Sprechzeit Mo 08:00-12:00", "Arbeitsmarktintegration", None, None],
]


def write_directory(path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Wer macht was"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in ROWS:
        sheet.append(row)
    for column, width in zip("ABCDEFGHIJKL", (6, 24, 48, 40, 18, 40, 24, 32, 30, 24, 22, 14)):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    book.properties.creator = "Lotse (fiktive Beispieldaten)"
    book.save(path)


if __name__ == "__main__":
    write_directory(SAMPLES / "verzeichnis.xlsx")
    print(f"wrote {SAMPLES / 'verzeichnis.xlsx'}")
