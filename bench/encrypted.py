"""Reply round trip in an end-to-end encrypted room next to an unencrypted one.

Method: one Synapse (SQLite, relaxed rate limits) on 127.0.0.1; Lotse as its own process
(`python -m bot run`, SQLite, cross-signing bootstrapped at start), as in production. A
measuring client with its own crypto store (matrix-nio + vodozemac) shares two rooms with
Lotse: one encrypted (m.megolm.v1.aes-sha2), one plain. It sends `!ping` into them
alternately, one at a time, and measures from sending until the decrypted reply shows up in
its long-poll sync. Both sides encrypt and decrypt, so the figure is what a member feels.
Target: median encrypted / median unencrypted <= 1.3.
"""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from bench.common import RESULTS, Prober, summary
from bench.roundtrip import start_lotse
from devtools.homeserver import LocalSynapse

ROUNDS = int(os.environ.get("LOTSE_BENCH_ROUNDS", "200"))
WARMUP = 20
ENCRYPTION = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


async def measure(hs: LocalSynapse, store: Path) -> dict:
    prober = Prober(hs.url, "@prober:localhost", "pw", store=store)
    await prober.start()
    plain = (await prober.client.room_create(invite=["@lotse:localhost"])).room_id
    encrypted = (await prober.client.room_create(invite=["@lotse:localhost"], initial_state=[ENCRYPTION])).room_id
    for room in (plain, encrypted):
        # Wait for Lotse's join before the first message: a message sent earlier is (rightly)
        # encrypted for the members of that moment, and Lotse could not read it.
        for _ in range(300):
            joined = prober.client.rooms.get(room)
            if joined and "@lotse:localhost" in joined.users and "@lotse:localhost" not in joined.invited_users:
                break
            await asyncio.sleep(0.1)
        else:
            raise RuntimeError("Lotse did not join the benchmark rooms")
        await asyncio.sleep(2)  # let both sides exchange device keys (key query after the join)
        await prober.round_trip(room, "!ping")
    for _ in range(WARMUP):
        await prober.round_trip(encrypted, "!ping")
        await prober.round_trip(plain, "!ping")
    times: dict[str, list[float]] = {"encrypted_ms": [], "plain_ms": []}
    for _ in range(ROUNDS):
        times["encrypted_ms"].append(await prober.round_trip(encrypted, "!ping") * 1000)
        times["plain_ms"].append(await prober.round_trip(plain, "!ping") * 1000)
    await prober.close()
    return {key: summary(values) for key, values in times.items()}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lotse-bench-") as tmp:
        hs = LocalSynapse(Path(tmp) / "hs").start()
        lotse = None
        try:
            for name in ("lotse", "prober"):
                hs.register(name, "pw")
            lotse, _startup = start_lotse(hs, Path(tmp) / "lotse")
            time.sleep(2)
            result = asyncio.run(measure(hs, Path(tmp) / "prober-store"))
        except BaseException:
            print("Lotse's log, last lines:\n" + "".join((Path(tmp) / "lotse.log").read_text().splitlines(True)[-3000:]))
            raise
        finally:
            if lotse:
                lotse.terminate()
                lotse.wait(timeout=20)
            hs.stop()
    e, p = result["encrypted_ms"], result["plain_ms"]
    result.update(rounds=ROUNDS, ratio_median=e["median"] / p["median"], ratio_p95=e["p95"] / p["p95"])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "encrypted.json").write_text(json.dumps(result, indent=2))
    print(f"reply round trip over {ROUNDS} rounds (ms):")
    print(f"  encrypted room    median {e['median']:.1f}  p95 {e['p95']:.1f}")
    print(f"  unencrypted room  median {p['median']:.1f}  p95 {p['p95']:.1f}")
    print(f"  ratio  median {result['ratio_median']:.2f}  p95 {result['ratio_p95']:.2f}  (target: median <= 1.3)")
