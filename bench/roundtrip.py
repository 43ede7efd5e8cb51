"""Reply latency, idle memory and start-up time of Lotse on a local Synapse.

Method: one Synapse (SQLite, relaxed rate limits) on 127.0.0.1. Lotse runs as its own
process (`python -m bot run`), exactly as in production, on SQLite. Next to it runs a
minimal echo client written with plain matrix-nio (bench/echo_bot.py): the homeserver's
floor for "receive a message, send a reply". A third client sends `!ping` to Lotse and
`ping` to the echo client, alternating, one at a time, and measures from sending until
the reply shows up in its long-poll sync. The ratio of medians is Lotse's overhead.
Start-up: from spawning the process to the end of its first sync (heartbeat file).
RSS: Lotse's resident memory after start-up, and again after the measured run.
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

ROUNDS = int(os.environ.get("LOTSE_BENCH_ROUNDS", "200"))
WARMUP = 20


def start_lotse(hs: LocalSynapse, data_dir: Path) -> tuple[subprocess.Popen, float]:
    config = {
        "matrix": {"homeserver": hs.url, "user_id": "@lotse:localhost"},
        "storage": {"data_dir": str(data_dir)},
        "network": {"name": "Bench", "coordination_room": "#bench:localhost"},
        # One prober sends hundreds of commands back to back; the per-person flood limit would
        # (rightly) silence it after ten.
        "bot": {"flood_limit": 10_000},
    }
    path = data_dir.parent / "lotse.yaml"
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    heartbeat = data_dir / "heartbeat"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(path), "--log-level", os.environ.get("LOTSE_BENCH_LOG", "WARNING")],
        env=dict(os.environ, LOTSE_PASSWORD="pw"),
        stdout=open(data_dir.parent / "lotse.log", "w"), stderr=subprocess.STDOUT,
    )
    while not heartbeat.exists():
        if proc.poll() is not None:
            raise RuntimeError("Lotse exited during start-up; see lotse.log")
        time.sleep(0.01)
    return proc, time.perf_counter() - started


async def measure(hs: LocalSynapse, lotse_pid: int) -> dict:
    prober = Prober(hs.url, "@prober:localhost", "pw")
    await prober.start()
    lotse_room = (await prober.client.room_create(invite=["@lotse:localhost"])).room_id
    echo_room = (await prober.client.room_create(invite=["@echo:localhost"])).room_id
    for room, body in ((lotse_room, "!ping"), (echo_room, "ping")):
        for _ in range(50):  # until the invitee has joined and answers
            try:
                await asyncio.wait_for(prober.round_trip(room, body), 2)
                break
            except TimeoutError:
                continue
    for _ in range(WARMUP):
        await prober.round_trip(lotse_room, "!ping")
        await prober.round_trip(echo_room, "ping")
    lotse, echo = [], []
    for _ in range(ROUNDS):
        lotse.append(await prober.round_trip(lotse_room, "!ping") * 1000)
        echo.append(await prober.round_trip(echo_room, "ping") * 1000)
    await prober.close()
    await asyncio.sleep(3)
    return {"lotse_ms": summary(lotse), "echo_ms": summary(echo),
            "rss_after_run_mb": psutil.Process(lotse_pid).memory_info().rss / 2**20}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lotse-bench-") as tmp:
        hs = LocalSynapse(Path(tmp) / "hs").start()
        procs: list[subprocess.Popen] = []
        try:
            for name in ("lotse", "echo", "prober"):
                hs.register(name, "pw")
            echo = subprocess.Popen([sys.executable, "-m", "bench.echo_bot", hs.url, "@echo:localhost", "pw"])
            procs.append(echo)
            lotse, startup = start_lotse(hs, Path(tmp) / "lotse")
            procs.append(lotse)
            time.sleep(3)
            idle_rss = psutil.Process(lotse.pid).memory_info().rss / 2**20
            result = asyncio.run(measure(hs, lotse.pid))
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=20)
            hs.stop()
    result.update(startup_s=startup, idle_rss_mb=idle_rss, rounds=ROUNDS,
                  ratio_median=result["lotse_ms"]["median"] / result["echo_ms"]["median"],
                  ratio_p95=result["lotse_ms"]["p95"] / result["echo_ms"]["p95"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "roundtrip.json").write_text(json.dumps(result, indent=2))
    l, e = result["lotse_ms"], result["echo_ms"]
    print(f"reply round trip over {ROUNDS} rounds (ms):")
    print(f"  Lotse  median {l['median']:.1f}  p95 {l['p95']:.1f}")
    print(f"  echo   median {e['median']:.1f}  p95 {e['p95']:.1f}")
    print(f"  ratio  median {result['ratio_median']:.2f}  p95 {result['ratio_p95']:.2f}  (target: median <= 1.2)")
    print(f"start-up to first sync: {startup:.2f} s")
    print(f"RSS: idle after start {idle_rss:.0f} MiB, after the run {result['rss_after_run_mb']:.0f} MiB")
