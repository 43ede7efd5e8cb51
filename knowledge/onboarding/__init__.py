"""Onboarding an existing network: import what it already has, and export it back.

    cells.py      one rule for spreadsheet cells: formula neutralisation, plain values
    tables.py     rows from .xlsx, .csv (any delimiter, UTF-8 with/without BOM, Windows-1252)
                  and YAML lists, streamed; column headers mapped to fields (German, English,
                  a --map file)
    fields.py     single cells read strictly: dates, yes/no, lists, languages, Handlungsfelder, topics
    problems.py   what an import reports: file, row, column and a catalogue key, never prose
    directory.py  directory rows -> role entries (stable key: the ID column, else Funktion + Träger)
    decisions.py  decision rows -> register entries (stable key: the ID column, else date + text)
    calendar.py   .ics events -> meeting series (RRULE, EXDATE, time zones)
    export.py     the directory and the decisions as .xlsx / .csv, readable by the importers
    run.py        one import of several files: checked whole, stored in one transaction or not at all

Storage (bulk inserts, one transaction, history rows) lives in `knowledge.storage.onboarding`.
"""
