"""Load: 50 simulated users sending 20 commands each to Lotse on a local Synapse.

Method: one Synapse (SQLite, relaxed rate limits) and Lotse as its own process with its
production settings (flood limit 10 commands per 10 s per person). Each of the 50 users
has a room with Lotse (a shared room measures Synapse's fan-out to 50 long-polling clients
on two cores, not Lotse); each user sends 20 commands (a mix of !ping, !notiz, !suche, !wer and
!status), one every 1.1 s so that no one trips the flood limit, all 50 at the same time.
Latency is measured per command, from sending until the sender's long-poll sync shows
Lotse's reply. Every command must be answered exactly once. RSS (psutil) of the Lotse
process after the run.
"""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

from bench.common import RESULTS, Prober, summary
from devtools.homeserver import LocalSynapse

USERS = int(os.environ.get("LOTSE_BENCH_USERS", "50"))
TARGET = os.environ.get("LOTSE_BENCH_TARGET", "lotse")  # "echo": measure the homeserver's floor instead
COMMANDS = 20
MIX = ["!ping", "!notiz Lastprobe {u}-{n}", "!suche Lastprobe", "!wer Sprachkurs", "!status"]


async def user_run(prober: Prober, room: str, u: int, latencies: list) -> None:
    for n in range(COMMANDS):
        began = time.perf_counter()
        body = MIX[n % len(MIX)].format(u=u, n=n)
        latencies.append((await prober.round_trip(room, body)) * 1000)
        await asyncio.sleep(max(0.0, 1.1 - (time.perf_counter() - began)))


async def measure(hs: LocalSynapse) -> dict:
    probers, rooms = [], []
    for u in range(USERS):
        prober = Prober(hs.url, f"@load{u}:localhost", "pw")
        await prober.start()
        rooms.append((await prober.client.room_create(invite=["@lotse:localhost"])).room_id)
        probers.append(prober)
    for prober, room in zip(probers, rooms):
        for _ in range(60):  # until Lotse has joined and answers
            try:
                await asyncio.wait_for(prober.round_trip(room, "!ping"), 2)
                break
            except TimeoutError:
                continue
    latencies: list[float] = []
    began = time.perf_counter()
    await asyncio.gather(*(user_run(p, room, u, latencies) for u, (p, room) in enumerate(zip(probers, rooms))))
    wall = time.perf_counter() - began
    for prober in probers:
        await prober.close()
    return {"latency_ms": summary(latencies), "answered": len(latencies), "wall_s": wall}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lotse-bench-load-") as tmp:
        hs = LocalSynapse(Path(tmp) / "hs").start()
        lotse = None
        try:
            for name in ["lotse", *(f"load{u}" for u in range(USERS))]:
                hs.register(name, "pw")
            data = Path(tmp) / "lotse"
            config = {"matrix": {"homeserver": hs.url, "user_id": "@lotse:localhost"}, "storage": {"data_dir": str(data)},
                      "network": {"name": "Last", "coordination_room": "#last:localhost"}}
            (Path(tmp) / "lotse.yaml").write_text(yaml.safe_dump(config))
            if TARGET == "echo":  # the homeserver's floor under the same load: a plain nio echo client
                command = [sys.executable, "-m", "bench.echo_bot", hs.url, "@lotse:localhost", "pw"]
            else:
                command = [sys.executable, "-m", "bot", "run", "--config", str(Path(tmp) / "lotse.yaml"), "--log-level", "WARNING"]
            lotse = subprocess.Popen(command, env=dict(os.environ, LOTSE_PASSWORD="pw"), stdout=open(Path(tmp) / "lotse.log", "w"),
                                     stderr=subprocess.STDOUT)
            result = asyncio.run(measure(hs))
            result["rss_mb"] = psutil.Process(lotse.pid).memory_info().rss / 2**20
        finally:
            if lotse:
                lotse.terminate()
                lotse.wait(timeout=20)
            hs.stop()
    result.update(users=USERS, commands_per_user=COMMANDS, target=TARGET)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"load-{TARGET}.json").write_text(json.dumps(result, indent=2))
    s = result["latency_ms"]
    print(f"[{TARGET}] {USERS} users x {COMMANDS} commands: {result['answered']} answered in {result['wall_s']:.1f} s; "
          f"latency p50 {s['median']:.0f} ms, p95 {s['p95']:.0f} ms, max {s['max']:.0f} ms; Lotse RSS {result['rss_mb']:.0f} MiB")
