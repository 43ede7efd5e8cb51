"""'Who handles …?': accuracy on the case suites, and lookup speed over 100,000 entries.

Accuracy: the lookup engine with the shipped synonym table and the demo directory, scored
on tests/lookup_cases.yaml (the suite it was tuned on) and bench/lookup_heldout.yaml
(written after tuning). Top-1 counts as right when the first answer is an acceptable role,
when a no-answer question gets no confident answer, or when an ambiguous one lists
candidates with the expected topics. A confident wrong answer is an answer whose first
role is not acceptable, or any answer to a no-answer question.

Speed: 100,000 synthetic roles (1–3 topics each from the table's 20, weighted like the demo;
1–4 languages; 5 % unconfirmed, 2 % vacant) are loaded into the engine with the full
synonym table (timed), then every question of both suites is asked 5 times (1,175
lookups), each timed with perf_counter from call to result. RSS (psutil) of this process
before and after loading.
"""
from __future__ import annotations

import json
import random
import time
from pathlib import Path

import psutil

from bench.common import RESULTS, summary
from knowledge.directory.files import read_file
from knowledge.directory.lookup import LookupEngine
from knowledge.directory.lookup_eval import evaluate
from knowledge.directory.model import RoleEntry, RoleStatus
from knowledge.directory.synonyms import SynonymTable

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"tuned": ROOT / "tests" / "lookup_cases.yaml", "heldout": ROOT / "bench" / "lookup_heldout.yaml"}
ENTRIES = 100_000
ROLES = ["Beratung", "Koordination", "Sachbearbeitung", "Projektleitung", "Fachberatung", "Sozialarbeit",
         "Kursorganisation", "Ansprechperson", "Teamleitung", "Servicestelle"]
LANGS = ["de", "en", "ru", "uk", "ar", "pl", "ro", "tr", "fa", "fr", "vi", "ku"]


def accuracy(table: SynonymTable) -> dict:
    engine = LookupEngine(table)
    engine.load(read_file(ROOT / "config" / "demo-network.yaml"))
    out = {}
    for name, path in SUITES.items():
        outcomes = evaluate(engine, path)
        out[name] = {
            "cases": len(outcomes),
            "top1": sum(o.correct for o in outcomes) / len(outcomes),
            "confident_wrong": sum(o.confident_wrong for o in outcomes),
            "confident_wrong_on_no_answer": sum(o.confident_wrong for o in outcomes if o.expected == "none"),
            "no_answer_cases": sum(o.expected == "none" for o in outcomes),
            "misses": [f"{o.question} -> {o.kind} {list(o.got)}" for o in outcomes if not o.correct],
        }
    return out


def synthetic(table: SynonymTable, rng: random.Random) -> list[RoleEntry]:
    topics = sorted(table.topics)
    entries = []
    for i in range(ENTRIES):
        status = RoleStatus.UNCONFIRMED if i % 20 == 0 else RoleStatus.VACANT if i % 50 == 1 else RoleStatus.ACTIVE
        entries.append(RoleEntry(
            id=f"s{i}", role=f"{rng.choice(ROLES)} {rng.choice(topics).replace('_', ' ')} {i}",
            organisation=f"Träger {i % 3000}", person=None if status is RoleStatus.VACANT else f"Person {i}",
            topics=tuple(rng.sample(topics, k=rng.randint(1, 3))), languages=("de", *rng.sample(LANGS[1:], k=rng.randint(0, 3))),
            status=status, email=f"kontakt{i}@traeger.example.org",
        ))
    return entries


def main() -> None:
    table = SynonymTable.load(ROOT / "config" / "synonyms.yaml")
    result = {"accuracy": accuracy(table)}
    rng = random.Random(7)
    entries = synthetic(table, rng)
    process = psutil.Process()
    rss_before = process.memory_info().rss / 2**20
    engine = LookupEngine(table)
    start = time.perf_counter()
    engine.load(entries)
    result["load_s"] = time.perf_counter() - start
    result["rss_before_mb"], result["rss_loaded_mb"] = rss_before, process.memory_info().rss / 2**20
    import yaml

    questions = [c["q"] for path in SUITES.values() for c in yaml.safe_load(path.read_text())["cases"]]
    times = []
    for _ in range(5):
        for question in questions:
            began = time.perf_counter()
            engine.lookup(question)
            times.append((time.perf_counter() - began) * 1000)
    result["lookup_ms"] = summary(times)
    result["entries"] = ENTRIES
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "directory.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    for name, acc in result["accuracy"].items():
        print(f"accuracy ({name}, {acc['cases']} cases): top-1 {acc['top1']:.1%}, confident wrong {acc['confident_wrong']}"
              f" (on the {acc['no_answer_cases']} no-answer questions: {acc['confident_wrong_on_no_answer']})")
    s = result["lookup_ms"]
    print(f"lookup over {ENTRIES} entries, {s['n']} lookups: median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms, max {s['max']:.1f} ms (target p95 <= 10 ms)")
    print(f"load {result['load_s']:.1f} s; RSS {result['rss_before_mb']:.0f} MiB before, {result['rss_loaded_mb']:.0f} MiB loaded")
