"""The weekly digest on a real Synapse, with a clock set so that Monday 08:00 is seconds away:
missed while the bot is down, posted once after the restart, never again."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from nio import RoomPreset

from tests.e2e.harness import BotRunner, bot_config, unique

BERLIN = ZoneInfo("Europe/Berlin")


class JumpingClock:
    """Runs at real speed; `set_to(seconds)` puts the next Monday 08:00 (Berlin) that many seconds
    away (negative: already past) — a downtime without waiting for it."""

    def __init__(self) -> None:
        now = datetime.now(timezone.utc)
        local = now.astimezone(BERLIN)
        monday = (local + timedelta(days=(7 - local.weekday()) % 7 or 7)).date()
        self.target = datetime(monday.year, monday.month, monday.day, 8, 0, tzinfo=BERLIN)
        self.offset = timedelta(0)

    def set_to(self, seconds: float) -> None:
        self.offset = self.target - datetime.now(timezone.utc) - timedelta(seconds=seconds)

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


async def test_a_digest_missed_while_down_is_posted_once_after_restart(make_user, synapse, tmp_path):
    anna = await make_user("anna")
    alias = "koord-" + unique("d")
    room = (await anna.client.room_create(alias=alias, name="Koordination", preset=RoomPreset.public_chat)).room_id
    localpart = unique("lotse")
    synapse.register(localpart, "pw-bot")
    config = bot_config(synapse, tmp_path / "bot", localpart,
                        network={"name": "Testnetz", "coordination_room": f"#{alias}:{synapse.server_name}"},
                        digests={"post_empty": True, "schedule": {"weekday": "monday", "time": "08:00"}},
                        meetings={"late_after_seconds": 1})
    clock = JumpingClock()
    clock.set_to(120)  # the digest is two minutes away while Lotse runs
    runner = BotRunner(config, "pw-bot", clock=clock)
    await runner.start()
    await anna.wait_joined(room, config.matrix.user_id)
    await anna.barrier(room)
    await runner.stop()  # down when the digest falls due
    clock.set_to(-30)  # … and back half a minute after it was due
    await runner.start()
    posted = await anna.wait_for(lambda: [n for n in anna.notices(room) if "In dieser Woche gab es nichts Neues." in n.body],
                                 what="the digest")
    assert posted[0].body.startswith("Verspätet – Lotse war nicht erreichbar.")
    await runner.restart()
    await anna.barrier(room)
    assert len([n for n in anna.notices(room) if "nichts Neues" in n.body]) == 1
    await runner.stop()
