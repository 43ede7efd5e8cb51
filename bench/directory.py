"""'Who handles …?': accuracy on the blind question sets, and lookup speed over 100,000 roles.

Runs in its own process (`python -m bench.directory --run`), through the real code path: the
engine as the bot builds it (knowledge.directory.lookup.LookupEngine with config/synonyms.yaml and
config/vocabulary/), the demo directory loaded from config/demo-network.yaml.

Accuracy: per question set and per kind — top-1 (the first role named is acceptable),
right-among-candidates, confident-wrong (a confident answer whose first role is wrong; any
confident answer to a question nobody in the network answers). The held-out set
(tests/lookup_heldout/) is scored with aggregates only: no question or per-question result is
printed or written. The dev sets (tests/lookup_dev/, tests/lookup_cases.yaml,
bench/lookup_heldout.yaml) were used for tuning.

Speed: 100,000 synthetic roles (1–3 topics each, 1–4 languages, 5 % unconfirmed, 2 % vacant)
plus the 25 demo roles are loaded (timed); every question of the held-out and dev sets is
asked once more (timed with perf_counter from call to result). Correctness at that size is
checked too: each lookup must return a result, and the held-out aggregates are computed again
with the demo roles among the synthetic ones.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "tests" / "lookup_heldout" / "questions.yaml"
DEV_SETS = {"dev (blind, tuned on)": ROOT / "tests" / "lookup_dev" / "questions.yaml",
            "old tuned suite": ROOT / "tests" / "lookup_cases.yaml",
            "old small held-out (now dev)": ROOT / "bench" / "lookup_heldout.yaml"}
ENTRIES = 100_000
ROLES = ["Beratung", "Koordination", "Sachbearbeitung", "Projektleitung", "Fachberatung", "Sozialarbeit",
         "Kursorganisation", "Ansprechperson", "Teamleitung", "Servicestelle"]
LANGS = ["de", "en", "ru", "uk", "ar", "pl", "ro", "tr", "fa", "fr", "vi", "ku"]


def synthetic(table, rng: random.Random) -> list:
    from knowledge.directory.model import RoleEntry, RoleStatus

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


def run() -> dict:
    import psutil
    import yaml

    from bench.common import summary
    from knowledge.directory.files import read_file
    from knowledge.directory.lookup import LookupEngine
    from knowledge.directory.lookup.evaluation import aggregate, evaluate, score_file
    from knowledge.directory.synonyms import SynonymTable

    table = SynonymTable.load(ROOT / "config" / "synonyms.yaml")
    demo = read_file(ROOT / "config" / "demo-network.yaml")
    engine = LookupEngine(table)
    engine.load(demo)
    result: dict = {"accuracy": {}}
    if HELDOUT.exists():
        result["accuracy"]["held-out (blind, never tuned on)"] = score_file(engine, HELDOUT)
    for name, path in DEV_SETS.items():
        result["accuracy"][name] = aggregate(evaluate(engine, path))

    process = psutil.Process()
    rss_before = process.memory_info().rss / 2**20
    big = LookupEngine(table)
    started = time.perf_counter()
    big.load([*synthetic(table, random.Random(7)), *demo])
    result["load_s"] = time.perf_counter() - started
    result["rss_before_mb"], result["rss_loaded_mb"] = rss_before, process.memory_info().rss / 2**20
    questions = [c["q"] for path in (HELDOUT, *DEV_SETS.values()) if path.exists()
                 for c in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]]
    times, kinds = [], {}
    for question in questions:
        began = time.perf_counter()
        found = big.lookup(question)
        times.append((time.perf_counter() - began) * 1000)
        if found.kind not in ("answer", "ambiguous", "none", "empty"):
            raise AssertionError(f"unexpected result kind {found.kind!r}")
        kinds[found.kind] = kinds.get(found.kind, 0) + 1
    result["lookup_ms"] = summary(times)
    result["result_kinds_at_100k"] = kinds
    if HELDOUT.exists():
        result["heldout_at_100k"] = score_file(big, HELDOUT)["all"]
    result["entries"] = ENTRIES + len(demo)
    return result


def report(result: dict) -> None:
    from knowledge.directory.lookup.evaluation import format_figures

    for name, figures in result["accuracy"].items():
        print(format_figures(name, figures))
    s = result["lookup_ms"]
    print(f"lookup over {result['entries']} roles, {s['n']} lookups: median {s['median']:.2f} ms, p95 {s['p95']:.2f} ms,"
          f" max {s['max']:.1f} ms (target p95 <= 10 ms)")
    print(f"load {result['load_s']:.1f} s; RSS {result['rss_before_mb']:.0f} MiB before, {result['rss_loaded_mb']:.0f} MiB loaded")
    if "heldout_at_100k" in result:
        f = result["heldout_at_100k"]
        print(f"held-out with the demo roles among 100,000 synthetic ones: top-1 {f['top1']:.1%},"
              f" confident wrong {f['confident_wrong']:.1%} ({f['confident_wrong_no_answer']}/{f['no_answer']} on no-answer)")


def main() -> None:
    """Run the measurement in a fresh process (nothing cached from other benchmarks), then report."""
    from bench.common import RESULTS

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "directory.json"
    subprocess.run([sys.executable, "-m", "bench.directory", "--run", str(out)], cwd=ROOT, check=True)
    report(json.loads(out.read_text()))


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--run":
        Path(sys.argv[2]).write_text(json.dumps(run(), indent=2, ensure_ascii=False))
    else:
        main()
