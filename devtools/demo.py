"""The local demo: Synapse + Lotse + the fictional demo network, ready for any Matrix client.

    python3 tasks.py demo [--data-dir DIR] [--port PORT]

First run: starts Synapse on 127.0.0.1 as `integration.example`, registers Lotse and every
person of config/demo-network.yaml who has a Matrix id (all fictional), creates the
coordination room and one room per Handlungsfeld with their aliases, puts the people in
their rooms (speakers get power level 50), writes Lotse's config with `lotse init` and
starts Lotse. Later runs reuse the same data. Ctrl-C stops everything cleanly; a Synapse or
Lotse left running by an earlier run that was killed is found and stopped first.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml
from nio import AsyncClient, AsyncClientConfig, RoomPreset, RoomVisibility

from bot.app import HEARTBEAT_FILE
from bot.starter import starter_config
from devtools import processes
from devtools.homeserver import ROOT, LocalSynapse, free_port, port_in_use

SERVER_NAME = "integration.example"
DEMO_PASSWORD = "lotse-demo"
BOT_LOCALPART = "lotse"
NETWORK_FILE = ROOT / "config" / "demo-network.yaml"


ENCRYPTION_STATE = {"type": "m.room.encryption", "state_key": "", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}


def localpart(user_id: str) -> str:
    return user_id[1:].split(":")[0]


def demo_people(network: dict) -> dict[str, dict]:
    """Matrix id -> directory entry, for everyone in the demo network who has one."""
    people = {}
    for entry in network.get("directory") or []:
        matrix = (entry.get("contact") or {}).get("matrix")
        if matrix and entry.get("person"):
            people[matrix] = entry
    return people


def room_plan(network: dict, config: dict) -> list[dict]:
    """Which rooms to create, with alias, name, members and coordinators."""
    people = demo_people(network)
    plan = [{
        "alias": config["network"]["coordination_room"],
        "name": f"{network['network']['name']} – Koordination",
        "members": sorted(people),
        "coordinators": config["access"]["coordinators"],
    }]
    for hf in config["network"]["handlungsfelder"]:
        members = [
            m for m, entry in people.items()
            if hf["id"] in (entry.get("handlungsfelder") or []) or "all" in (entry.get("handlungsfelder") or [])
        ]
        plan.append({
            "alias": hf["room"],
            "name": f"HF {hf['name_de']}",
            "members": sorted(set(members) | set(hf["coordinators"])),
            "coordinators": hf["coordinators"],
        })
    return plan


async def _login(hs: LocalSynapse, user_id: str) -> AsyncClient:
    client = AsyncClient(hs.url, user_id, config=AsyncClientConfig(encryption_enabled=False))
    resp = await client.login(DEMO_PASSWORD, device_name="demo-setup")
    if not hasattr(resp, "access_token"):
        raise RuntimeError(f"demo login failed for {user_id}: {resp}")
    return client


async def create_network(hs: LocalSynapse, plan: list[dict], owner: str, bot_id: str) -> dict[str, str]:
    """Create the rooms (idempotent by alias) and put everyone in them. Returns alias -> room id."""
    owner_client = await _login(hs, owner)
    rooms: dict[str, str] = {}
    clients: dict[str, AsyncClient] = {owner: owner_client}
    try:
        for room in plan:
            existing = await owner_client.room_resolve_alias(room["alias"])
            if hasattr(existing, "room_id"):
                rooms[room["alias"]] = existing.room_id
                continue
            # Room version 12: the creator has top power implicitly and must not be listed.
            power = {u: 50 for u in room["coordinators"] if u != owner}
            resp = await owner_client.room_create(
                visibility=RoomVisibility.private,
                alias=room["alias"][1:].split(":")[0],
                name=room["name"],
                topic="Demo-Raum des fiktiven Integrationsnetzwerks Saalebogen",
                preset=RoomPreset.private_chat,
                invite=[m for m in room["members"] if m != owner] + [bot_id],
                power_level_override={"users": power},
                # Encrypted, as rooms in the public sector are by default; Lotse's device is cross-signed.
                initial_state=[ENCRYPTION_STATE],
            )
            if not hasattr(resp, "room_id"):
                raise RuntimeError(f"could not create {room['alias']}: {resp}")
            rooms[room["alias"]] = resp.room_id
            for member in room["members"]:
                if member == owner:
                    continue
                if member not in clients:
                    clients[member] = await _login(hs, member)
                await clients[member].join(resp.room_id)
    finally:
        for client in clients.values():
            await client.logout()
            await client.close()
    return rooms


DEFAULT_PORT = 8008


def prepare(data_dir: Path, port: int | None = None) -> tuple[LocalSynapse, Path, dict]:
    """The demo's homeserver (not started), the path of Lotse's config and the network file.

    The port is pinned in the data directory after the first run, so that a Matrix client that
    logged in keeps working. `port` (from --port) changes the pin. A Synapse or Lotse left
    running by an earlier run that was killed is stopped first; if another program holds the
    pinned port, the demo moves to a free one and says so.
    """
    network = yaml.safe_load(NETWORK_FILE.read_text(encoding="utf-8"))
    hs_dir = data_dir / "homeserver"
    hs_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "lotse.yaml"
    hs = LocalSynapse(hs_dir, server_name=SERVER_NAME)
    for pid in hs.stop_leftovers():
        print(f"== stopped a Synapse left running by an earlier demo (pid {pid})", flush=True)
    for proc in processes.find(["-m", "bot", "run", "--config", str(config_path)]):
        print(f"== stopping a Lotse left running by an earlier demo (pid {proc.pid})", flush=True)
        processes.stop(proc.pid, signal.SIGINT)
    port_file = hs_dir / "port"
    pinned = int(port_file.read_text()) if port_file.exists() else None
    wanted = port or pinned or DEFAULT_PORT
    if port_in_use(wanted):
        moved = free_port()
        print(f"== port {wanted} on 127.0.0.1 is used by another program; the demo uses port {moved} instead", flush=True)
        wanted = moved
    port_file.write_text(str(wanted))
    hs.port = wanted
    return hs, config_path, network


def _wait_first_sync(bot: subprocess.Popen, heartbeat: Path, started: float, timeout: float = 600.0) -> bool:
    """Wait until Lotse has synced once (its heartbeat file is newer than its start).
    False if Lotse ended instead; after `timeout` s the demo goes on and says so."""
    print("== starting Lotse", flush=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bot.poll() is not None:
            print(f"== Lotse ended during its start (exit code {bot.returncode}); see the lines above", flush=True)
            return False
        if heartbeat.exists() and heartbeat.stat().st_mtime >= started:
            return True
        time.sleep(0.2)
    print(f"== Lotse has not synced within {timeout:.0f} s; it goes on trying", flush=True)
    return True


class _Stop(KeyboardInterrupt):
    """SIGTERM or SIGHUP (a closed terminal) ends the demo the way Ctrl-C does."""


def _stop_on_signal(signum, _frame):
    raise _Stop(signal.Signals(signum).name)


def _hold_signals() -> None:
    """While cleaning up, a second Ctrl-C (or a SIGTERM) must not interrupt the clean-up."""
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "demo-data")
    parser.add_argument("--port", type=int, default=None,
                        help=f"Synapse's port on 127.0.0.1 (default: the one of the last run, first {DEFAULT_PORT})")
    parser.add_argument("--setup-only", action="store_true", help="prepare homeserver, rooms and config, then stop")
    args = parser.parse_args(argv)
    # nio logs an error for every alias it looks up that does not exist yet; that is expected here.
    logging.getLogger("nio").setLevel(logging.CRITICAL)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop_on_signal)
        signal.signal(signal.SIGHUP, _stop_on_signal)
    data_dir = args.data_dir.resolve()
    bot = None
    hs = None
    try:
        hs, config_path, network = prepare(data_dir, args.port)
        print(f"== starting Synapse ({SERVER_NAME}) on 127.0.0.1:{hs.port}", flush=True)
        hs.start()
        bot_id = hs.register(BOT_LOCALPART, DEMO_PASSWORD, displayname="Lotse")
        people = demo_people(network)
        for user_id, entry in people.items():
            hs.register(localpart(user_id), DEMO_PASSWORD, displayname=entry["person"])
        config_text = starter_config(hs.url, bot_id, data_dir / "lotse", NETWORK_FILE, [SERVER_NAME])
        config_path.write_text(config_text)
        config = yaml.safe_load(config_text)
        state_file = data_dir / "demo-rooms.json"
        if not state_file.exists():
            print("== creating the demo network's rooms and members", flush=True)
            owner = config["access"]["coordinators"][0]
            rooms = asyncio.run(create_network(hs, room_plan(network, config), owner, bot_id))
            state_file.write_text(json.dumps(rooms, indent=2))
        from bot.__main__ import run_directory_import, run_import
        from bot.config import load_config

        lotse_config = load_config(config_path)
        result = asyncio.run(run_import(lotse_config, NETWORK_FILE))
        print(f"== knowledge register: {result.created} new entries, {result.unchanged} already there", flush=True)
        changed = asyncio.run(run_directory_import(lotse_config, NETWORK_FILE))
        print(f"== directory: {changed} entries new or changed", flush=True)
        if args.setup_only:
            return 0
        env = dict(os.environ, LOTSE_PASSWORD=DEMO_PASSWORD)
        started = time.time()
        # A process group of its own: the demo alone decides when Lotse stops (SIGTERM, which
        # Lotse handles like Ctrl-C), so a Ctrl-C during its start-up cannot cut an import short.
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config_path)], env=env, cwd=ROOT, process_group=0
        )
        if not _wait_first_sync(bot, lotse_config.storage.data_dir / HEARTBEAT_FILE, started):
            return bot.returncode or 1
        coordinator = config["access"]["coordinators"][0]
        print(
            "\n"
            "================ Lotse demo is running ================\n"
            f"  Homeserver URL : {hs.url}\n"
            f"  Log in as      : {coordinator}  (network coordinator)\n"
            f"           or    : @h.sauerbier:{SERVER_NAME} (speaker, HF Arbeit)\n"
            f"  Password       : {DEMO_PASSWORD}   (the same for every demo person)\n"
            "  Use any Matrix client (Element, Fractal, nheko, …) and choose\n"
            "  'other homeserver' with the URL above. Then write !hilfe in a room.\n"
            "  The rooms are end-to-end encrypted; Lotse's device is cross-signed.\n"
            "  Everything here is fictional. Stop with Ctrl-C.\n"
            "=======================================================\n",
            flush=True,
        )
        code = bot.wait()
        print(f"== Lotse stopped (exit code {code})", flush=True)
        return code
    except KeyboardInterrupt:
        _hold_signals()
        print("\n== stopping the demo", flush=True)
        return 0
    finally:
        _hold_signals()
        if bot is not None and bot.poll() is None:
            print("== stopping Lotse", flush=True)
            bot.send_signal(signal.SIGTERM)
            try:
                bot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                bot.kill()
                bot.wait()
        if hs is not None and hs.process is not None:
            print("== stopping Synapse", flush=True)
            hs.stop()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL if sig != signal.SIGINT else signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())
