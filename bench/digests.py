"""Weekly digests for 500 rooms with 1,000 entries each: total time, target ≤ 5 s.

Method: a SQLite database gets 500 Handlungsfeld scopes with 1,000 register entries each
(500,000 entries; decisions, agreements, links and notes created during the digest week),
plus 10 open action items and one weekly meeting per scope. Then, exactly as the
scheduled digests do, each room's firing asks the shared DigestBatch for its digest (the
first one gathers every scope's week in a constant number of queries: entries, status
changes, action items, meetings in the next 14 days) and renders it as an accessible
message (plain text and HTML, shortened to whole items). Timed from the first gather to
the last rendered message with perf_counter; RSS (psutil) afterwards.
"""
from __future__ import annotations

import asyncio
import json
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil

from bench.common import RESULTS
from commands import build_registry
from commands.context import BotStatus, NetworkInfo
from commands.features import digest as digests
from commands.registry import CommandWords
from knowledge.publishing.digest import DigestBatch
from knowledge.register.model import Kind, NewEntry
from knowledge.storage import Database, MeetingRepository, RegisterRepository
from knowledge.values import Scope
from tests.wiring import make_services

ROOMS = int(__import__("os").environ.get("LOTSE_BENCH_ROOMS", "500"))
PER_ROOM = 1000
END = datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)  # a Monday, 08:00 in Berlin


async def seed(db: Database) -> None:
    register, meetings = RegisterRepository(db), MeetingRepository(db)
    kinds = [Kind.DECISION, Kind.DECISION, Kind.AGREEMENT, Kind.NOTE, Kind.LINK]
    batch = []
    for room in range(ROOMS):
        for i in range(PER_ROOM):
            kind = kinds[i % len(kinds)]
            batch.append(NewEntry(kind=kind, scope=Scope.handlungsfeld(f"hf-{room}"), text=f"Eintrag {i} im Bereich {room}: Beschluss zur Zusammenarbeit",
                                  author="@b:x", recorded_by="@b:x", origin=f"${room}-{i}",
                                  url=f"https://docs.example.org/{room}/{i}" if kind is Kind.LINK else None,
                                  created_at=END - timedelta(minutes=1 + (i * 7) % (7 * 24 * 60 - 2))))
        if len(batch) >= 50_000:
            await register.bulk_add(batch, END - timedelta(days=7))
            batch = []
    if batch:
        await register.bulk_add(batch, END - timedelta(days=7))
    for room in range(ROOMS):
        for i in range(10):
            await meetings.add_action(origin=f"a{room}-{i}", scope=Scope.handlungsfeld(f"hf-{room}"), room_id=None, text=f"Aufgabe {i}", owner="@c:x",
                                      due=(END + timedelta(days=i - 5)).date(), created_by="@b:x", at=END - timedelta(days=3))
        await meetings.add_meeting(origin=f"m{room}", scope=Scope.handlungsfeld(f"hf-{room}"), title=f"AG {room}", start=END - timedelta(days=20),
                                   timezone="Europe/Berlin", duration=timedelta(hours=1), rrule="FREQ=WEEKLY;BYDAY=TU",
                                   location=None, video_link=None, reminders=(), agenda_call=None, organiser=None, room_id=None,
                                   created_by="@b:x", at=END)


async def run(path: Path) -> dict:
    db = Database(f"sqlite:///{path}")
    await db.open()
    began = time.perf_counter()
    await seed(db)
    seed_s = time.perf_counter() - began

    async def status():
        return BotStatus("bench", END, ROOMS, "SQLite", None)

    registry = build_registry()
    network = NetworkInfo(handlungsfelder={f"hf-{r}": {"de": f"Bereich {r}", "en": f"Area {r}"} for r in range(ROOMS)})
    services = make_services(db, registry, status=status, network=network)
    # As the scheduled digests run: each room's firing asks the shared batch for its digest.
    batch = DigestBatch(services.digests)
    words = CommandWords(registry)
    sizes = []
    start = time.perf_counter()
    for room in range(ROOMS):
        scope = Scope.handlungsfeld(f"hf-{room}")
        built = await batch.get(scope, END)
        reply = digests.render("de", "Europe/Berlin", built, f"Wochenrückblick: Bereich {room}", words)
        sizes.append(len(reply.body) + len(reply.html))
    total = time.perf_counter() - start
    await db.close()
    return {"rooms": ROOMS, "entries_per_room": PER_ROOM, "seed_s": seed_s, "total_s": total, "per_room_ms": total / ROOMS * 1000,
            "max_message_chars": max(sizes), "rss_mb": psutil.Process().memory_info().rss / 2**20}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lotse-bench-digest-") as tmp:
        result = asyncio.run(run(Path(tmp) / "bench.db"))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "digests.json").write_text(json.dumps(result, indent=2))
    print(f"digests for {result['rooms']} rooms with {result['entries_per_room']} entries each: {result['total_s']:.2f} s total "
          f"({result['per_room_ms']:.1f} ms per room; target <= 5 s); largest message {result['max_message_chars']} chars")
    print(f"RSS {result['rss_mb']:.0f} MiB (seeding took {result['seed_s']:.0f} s)")
