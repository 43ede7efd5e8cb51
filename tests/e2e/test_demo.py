"""The README's main job: the demo network comes up on a real Synapse."""
from __future__ import annotations

import asyncio
import json

import yaml

from bot.config import load_config
from devtools import demo
from devtools.homeserver import free_port


async def test_the_demo_setup_creates_the_network_and_a_valid_config(tmp_path):
    code = await asyncio.to_thread(demo.main, ["--data-dir", str(tmp_path), "--port", str(free_port()), "--setup-only"])
    assert code == 0
    config = load_config(tmp_path / "lotse.yaml")
    rooms = json.loads((tmp_path / "demo-rooms.json").read_text())
    expected = {config.network.coordination_room} | {hf.room for hf in config.network.handlungsfelder}
    assert set(rooms) == expected and len(rooms) == 10
    assert "lotse-demo" not in (tmp_path / "lotse.yaml").read_text()  # no secret in the config
    network = yaml.safe_load(demo.NETWORK_FILE.read_text())
    assert network["meta"]["fictional"] is True
    # The demo starts with the network's decisions and links in the register.
    from bot.__main__ import run_import

    again = await run_import(config, demo.NETWORK_FILE)
    assert (again.created, again.unchanged) == (0, 15)  # 13 register entries, 2 meetings
    # A second run reuses everything (idempotent).
    assert await asyncio.to_thread(demo.main, ["--data-dir", str(tmp_path), "--setup-only"]) == 0
    assert json.loads((tmp_path / "demo-rooms.json").read_text()) == rooms
    # Every demo room is end-to-end encrypted.
    hs, _, _ = demo.prepare(tmp_path, free_port())
    await asyncio.to_thread(hs.start)
    try:
        login = hs._request("POST", "/_matrix/client/v3/login", {
            "type": "m.login.password", "identifier": {"type": "m.id.user", "user": config.access.coordinators[0]},
            "password": demo.DEMO_PASSWORD})
        for room_id in rooms.values():
            state = hs._request("GET", f"/_matrix/client/v3/rooms/{room_id}/state/m.room.encryption", None,
                                login["access_token"])
            assert state["algorithm"] == "m.megolm.v1.aes-sha2"
    finally:
        hs.stop()
