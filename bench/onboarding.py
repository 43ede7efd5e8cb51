"""Onboarding: `lotse import` of large files, through the CLI, as a user runs it.

Method. A fresh data directory and config (`lotse init`, SQLite). Synthetic files are written
first (not timed): decisions as CSV (`;`, UTF-8 with BOM, German headers, as German Excel
saves them) and as XLSX, and directory roles as CSV. Each import runs as its own process
(`python -m bot import FILE --config …`), timed from spawn to exit (interpreter start, imports,
migrations check, reading, checking, writing, commit — everything a user waits for); its peak
resident memory is sampled every 5 ms (psutil). After each run the benchmark counts the rows in
the database itself (entries, revisions, directory entries) and fails if they are not what the
file holds; a second run of the same file must report everything unchanged and leave the
counts as they were. A one-row file measures the fixed cost of a run (interpreter, imports,
migration check). Figures go to bench-results/onboarding.json and docs/benchmarks.md.
`python -m bench.onboarding - "decisions CSV"` runs one case (plus the floor).
"""
from __future__ import annotations

import csv
import io
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.common import RESULTS

ROOT = Path(__file__).resolve().parent.parent
HF = ["hf-arbeit", "hf-gesundheit", "hf-bildung", "hf-wohnen", "hf-ehrenamt", "alle"]
STATUS = ["beschlossen", "in Umsetzung", "umgesetzt", "vertagt"]
WORDS = ("Sprachkurs Kinderbetreuung Wohnungssuche Anerkennung Berufsabschluss Dolmetscher Gesundheitsamt Jobcenter "
         "Beratung Ehrenamt Patenschaft Integrationskurs Fachtag Arbeitgeber Schule Kita Übersetzung Formular").split()


def decisions_rows(n: int, rng: random.Random) -> list[list[str]]:
    rows = [["Nr.", "Art", "Datum", "Handlungsfeld", "Titel", "Beschluss", "Status", "Verantwortlich", "Frist", "LIK"]]
    for i in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))
        rows.append([f"B-{2000 + i // 500}-{i:06d}", "Vereinbarung" if i % 7 == 0 else "Beschluss",
                     f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2018, 2026)}", rng.choice(HF),
                     f"Beschluss {i}", text, rng.choice(STATUS), "Migrationsbüro", "", "HF4"])
    return rows


def roles_rows(n: int, rng: random.Random) -> list[list[str]]:
    rows = [["Nr.", "Name", "Funktion", "Träger", "Telefon", "E-Mail", "Themen", "Sprachen", "Handlungsfeld"]]
    for i in range(n):
        rows.append([f"r{i:06d}", f"Person {i}", f"Beratung {i}", f"Träger {i % 300} e.V.", f"+49 0000 {i:06d}",
                     f"kontakt{i}@traeger{i % 300}.example.org", "Wohnen; Beratung", "Deutsch, Englisch", rng.choice(HF)])
    return rows


def write_csv(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
    path.write_bytes(("\ufeff" + buffer.getvalue()).encode("utf-8"))


def write_xlsx(path: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Beschlüsse")
    for row in rows:
        sheet.append(row)
    book.save(path)


def run_cli(*args: str) -> tuple[float, float, float, str]:
    """Seconds from spawn to exit, CPU seconds (user + system), peak RSS in MiB, standard output;
    fails on a non-zero exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0
    watched = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.005)
    elapsed = time.perf_counter() - start
    out, err = proc.communicate()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"lotse {' '.join(args)} failed ({proc.returncode}):\n{err.decode()}")
    return elapsed, cpu, peak / 2**20, out.decode()


def db_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {table: conn.execute(f"select count(*) from {table}").fetchone()[0]
                for table in ("entries", "entry_revisions", "directory_entries", "directory_revisions")}


def fresh_config(tmp: Path) -> Path:
    config = tmp / "lotse.yaml"
    init = subprocess.run([sys.executable, "-m", "bot", "init", "--homeserver", "http://127.0.0.1:8008", "--user-id",
                           "@lotse:integration.example", "--data-dir", str(tmp / "data"), "--network",
                           str(ROOT / "config" / "demo-network.yaml")], cwd=ROOT, capture_output=True, check=True)
    config.write_bytes(init.stdout)
    run_cli("check-config", str(config))  # the interpreter and libraries warm in the page cache, as on a used machine
    return config


def case(name: str, file: Path, expected: dict[str, int], rows: int, repeat: int) -> dict:
    """`repeat` imports into fresh databases (each followed by a re-import of the same file)."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="lotse-bench-") as tmp:
            config = fresh_config(Path(tmp))
            db = Path(tmp) / "data" / "lotse.db"
            load = os.getloadavg()[0]
            first, cpu_first, rss_first, out_first = run_cli("import", str(file), "--config", str(config), "--lang", "en")
            counts = db_counts(db)
            if counts != expected:
                raise SystemExit(f"{name}: the database holds {counts}, expected {expected}\n{out_first}")
            second, cpu_second, rss_second, out_second = run_cli("import", str(file), "--config", str(config), "--lang", "en")
            if f"0 new, 0 changed, {rows} unchanged" not in out_second or db_counts(db) != expected:
                raise SystemExit(f"{name}: the re-import was not a no-op:\n{out_second}")
            runs.append({"import_s": first, "import_cpu_s": cpu_first, "rss_mib": rss_first, "reimport_s": second,
                         "reimport_cpu_s": cpu_second, "reimport_rss_mib": rss_second, "load_1min": load})
            print(f"{name:20s} {rows:>7} rows  import {first:6.2f} s wall, {cpu_first:5.2f} s CPU ({rows / first:6.0f}/s), "
                  f"peak RSS {rss_first:5.1f} MiB | re-import {second:6.2f} s wall, {cpu_second:5.2f} s CPU, "
                  f"peak RSS {rss_second:5.1f} MiB | load {load:.1f}", flush=True)
    best = min(runs, key=lambda r: r["import_s"])
    return {"rows": rows, "runs": runs, "best_import_s": round(best["import_s"], 3),
            "median_import_s": round(statistics.median(r["import_s"] for r in runs), 3),
            "best_per_s": round(rows / best["import_s"]), "max_rss_mib": round(max(r["rss_mib"] for r in runs), 1)}


def main() -> None:
    rng = random.Random(17)
    results = {}
    with tempfile.TemporaryDirectory(prefix="lotse-bench-files-") as tmp:
        files = Path(tmp)
        plan = []
        write_csv(files / "decisions-1.csv", decisions_rows(1, rng))
        plan.append(("start-up floor", files / "decisions-1.csv", {"entries": 1, "entry_revisions": 1,
                                                                  "directory_entries": 0, "directory_revisions": 0}, 1))
        for n in (10_000, 100_000):
            write_csv(files / f"decisions-{n}.csv", decisions_rows(n, rng))
            plan.append(("decisions CSV", files / f"decisions-{n}.csv", {"entries": n, "entry_revisions": n,
                                                                            "directory_entries": 0, "directory_revisions": 0}, n))
        write_xlsx(files / "decisions-10000.xlsx", decisions_rows(10_000, rng))
        plan.append(("decisions XLSX", files / "decisions-10000.xlsx", {"entries": 10_000, "entry_revisions": 10_000,
                                                                       "directory_entries": 0, "directory_revisions": 0}, 10_000))
        for n in (10_000, 100_000):
            write_csv(files / f"roles-{n}.csv", roles_rows(n, rng))
            plan.append(("directory roles CSV", files / f"roles-{n}.csv", {"entries": 0, "entry_revisions": 0,
                                                                          "directory_entries": n, "directory_revisions": n}, n))
        only = sys.argv[2:] if len(sys.argv) > 2 else None  # e.g. python -m bench.onboarding - "decisions CSV"
        for name, file, expected, rows in plan:
            if only and name not in only and name != "start-up floor":
                continue
            results[f"{name} {rows}"] = case(name, file, expected, rows, repeat=5 if rows <= 10_000 else 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "onboarding.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
