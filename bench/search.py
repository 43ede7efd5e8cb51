"""`!suche` over 100,000 register entries: latency and memory.

Method: a SQLite database is filled with 100,000 synthetic entries (decisions, agreements,
notes, links; 8–30 words each from a vocabulary of ~12,000 German words built from the
project's synonym table and demo network plus generated compounds; spread over 60 scopes).
The search index is built from the database as at start-up (timed). Then 300 searches —
one or two words, a third of them with a typo, some with no hit — run through the real
dispatcher exactly as a chat message would (permission, language preference, search,
loading the page of 10 entries, saving the pager, rendering). Each time is measured from
dispatch to reply ready with time.perf_counter. The asker is a member of 12 of the 60
scopes and asks from a Handlungsfeld room. RSS (psutil) is that of this process, which
has every Lotse module imported, before and after loading the register.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import re
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil

from bench.common import RESULTS, summary
from commands import build_registry
from commands.context import BotStatus, NetworkInfo, RoomInfo
from commands.dispatcher import AccessPolicy, Dispatcher, FloodGuard, Incoming
from knowledge.register.model import Kind, NewEntry, Status
from knowledge.register.service import RegisterService
from knowledge.storage import Database, RegisterRepository
from knowledge.values import Scope
from tests.wiring import make_services

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = int(os.environ.get("LOTSE_BENCH_ENTRIES", "100000"))
QUERIES = 300
SCOPES = [Scope.handlungsfeld(f"hf-{i}") for i in range(59)] + [Scope.network()]
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def vocabulary(rng: random.Random) -> list[str]:
    text = (ROOT / "config" / "synonyms.yaml").read_text() + (ROOT / "config" / "demo-network.yaml").read_text()
    words = sorted({w for w in re.findall(r"[A-Za-zÄÖÜäöüß]{4,}", text)})
    compounds = {rng.choice(words).capitalize() + rng.choice(words).lower() for _ in range(12000 - len(words))}
    return words + sorted(compounds)


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:] if rng.random() < 0.5 else word[:i] + word[i + 1] + word[i] + word[i + 2:]


async def seed(db: Database, rng: random.Random, vocab: list[str]) -> None:
    weights = [1 / (i + 1) for i in range(len(vocab))]  # Zipf-like: a few words are common
    kinds = [Kind.DECISION] * 3 + [Kind.AGREEMENT, Kind.NOTE, Kind.NOTE, Kind.LINK]
    entries = []
    for i in range(ENTRIES):
        kind = rng.choice(kinds)
        text = " ".join(rng.choices(vocab, weights, k=rng.randint(8, 30)))
        entries.append(NewEntry(
            kind=kind, scope=rng.choice(SCOPES), text=text, author="@bench:localhost", recorded_by="@bench:localhost",
            origin=f"$bench{i}", tags=tuple(rng.sample(vocab[:200], k=rng.randint(0, 2))),
            url=f"https://docs.example.org/{i}" if kind is Kind.LINK else None,
            status=rng.choice(list(Status)[:5]) if kind.has_status else None,
            created_at=T0 + timedelta(minutes=i),
        ))
    await RegisterRepository(db).bulk_add(entries, T0)


def queries(rng: random.Random, vocab: list[str]) -> list[str]:
    out = []
    for i in range(QUERIES):
        words = rng.sample(vocab, k=1 if i % 2 else 2)
        if i % 3 == 0:
            words[0] = typo(words[0], rng)
        if i % 10 == 0:
            words = ["Quxzorblat"]  # no hit
        out.append(" ".join(words))
    return out


async def run(path: Path) -> dict:
    rng = random.Random(20261122)
    vocab = vocabulary(rng)
    db = Database(f"sqlite:///{path}")
    await db.open()
    seeded = time.perf_counter()
    await seed(db, rng, vocab)
    seed_s = time.perf_counter() - seeded
    process = psutil.Process()
    rss_before = process.memory_info().rss / 2**20
    kb = RegisterService(RegisterRepository(db))
    loaded = time.perf_counter()
    await kb.load()
    load_s = time.perf_counter() - loaded
    rss_loaded = process.memory_info().rss / 2**20
    member_of = frozenset(rng.sample(SCOPES[:-1], k=12))

    async def status():
        return BotStatus("bench", T0, 60, "SQLite", None)

    registry = build_registry()
    network = NetworkInfo(handlungsfelder={s.key: {"de": s.key, "en": s.key} for s in SCOPES if s.hf_id})
    services = make_services(db, registry, status=status, network=network, register=kb, scopes_of=lambda user: member_of)
    dispatcher = Dispatcher(registry, services, access=AccessPolicy(), clock=lambda: datetime.now(timezone.utc),
                            flood=FloodGuard(limit=10**6))  # one asker, many queries: not a flood
    room = RoomInfo("!hf:localhost", "HF", False, handlungsfeld=sorted(member_of)[0].key)
    times, hits = [], 0
    for i, query in enumerate(queries(rng, vocab)):
        incoming = Incoming(f"$q{i}", "@asker:localhost", "asker", f"!suche {query}", room)
        start = time.perf_counter()
        reply = await dispatcher.dispatch(incoming)
        times.append((time.perf_counter() - start) * 1000)
        hits += reply.body.startswith("Treffer")
    await db.close()
    return {"entries": ENTRIES, "queries": QUERIES, "queries_with_hits": hits, "search_ms": summary(times),
            "seed_s": seed_s, "index_build_s": load_s, "rss_before_load_mb": rss_before,
            "rss_loaded_mb": rss_loaded, "rss_after_queries_mb": process.memory_info().rss / 2**20}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lotse-bench-search-") as tmp:
        result = asyncio.run(run(Path(tmp) / "bench.db"))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search.json").write_text(json.dumps(result, indent=2))
    s = result["search_ms"]
    print(f"!suche over {result['entries']} entries, {result['queries']} queries ({result['queries_with_hits']} with hits):")
    print(f"  median {s['median']:.1f} ms  p95 {s['p95']:.1f} ms  max {s['max']:.1f} ms  (target: p95 <= 50 ms)")
    print(f"  index build at start-up {result['index_build_s']:.1f} s (seeding took {result['seed_s']:.0f} s)")
    print(f"  RSS before loading {result['rss_before_load_mb']:.0f} MiB, loaded {result['rss_loaded_mb']:.0f} MiB, "
          f"after queries {result['rss_after_queries_mb']:.0f} MiB")
