from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from commands import build_registry
from commands.context import BotStatus, NetworkInfo, RoomInfo
from commands.dispatcher import AccessPolicy, Dispatcher, FloodGuard, Incoming
from knowledge.directory.files import read_file
from knowledge.directory.service import DirectoryService
from knowledge.directory.synonyms import SynonymTable
from knowledge.meetings.minutes import MinutesService
from knowledge.meetings.service import MeetingService
from knowledge.register.service import RegisterService
from knowledge.storage import Database, DirectoryRepository, MeetingRepository, RegisterRepository
from knowledge.values import Scope
from tests.conftest import copy_database
from tests.fakes import FakeClock
from tests.wiring import make_services

ROOT = Path(__file__).resolve().parents[2]

ROOM = RoomInfo(room_id="!hf:example.org", name="HF Gesundheit", is_direct=False, handlungsfeld="hf-gesundheit")
ARBEIT = RoomInfo(room_id="!arbeit:example.org", name="HF Arbeit", is_direct=False, handlungsfeld="hf-arbeit")
KOORD = RoomInfo(room_id="!koord:example.org", name="Koordination", is_direct=False, is_coordination=True)
DM = RoomInfo(room_id="!dm:example.org", name="Lotse", is_direct=True)
HANDLUNGSFELDER = {
    "hf-gesundheit": {"de": "Gesundheit und Pflege", "en": "Health and care"},
    "hf-arbeit": {"de": "Arbeitsmarktintegration", "en": "Labour market integration"},
}
# Who shares which rooms with Lotse (the bot package derives this from room membership).
MEMBERSHIP = {
    "@anna:example.org": {Scope.handlungsfeld("hf-gesundheit"), Scope.network()},
    "@ben:example.org": {Scope.handlungsfeld("hf-arbeit"), Scope.network()},
}


class Chat:
    """Say something to Lotse and get its reply, as a test would describe it."""

    def __init__(self, dispatcher: Dispatcher, clock: FakeClock):
        self.dispatcher = dispatcher
        self.clock = clock
        self.counter = 0

    async def say(self, body: str, sender: str = "@anna:example.org", room: RoomInfo = ROOM, power: int = 0,
                  mentions_bot: bool = False, reply_to=None):
        self.counter += 1
        return await self.dispatcher.dispatch(
            Incoming(
                event_id=f"$e{self.counter}",
                sender=sender,
                sender_name=sender.split(":")[0][1:],
                body=body,
                room=room,
                power_level=power,
                mentions_bot=mentions_bot,
                reply_to=reply_to,
            )
        )


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
async def knowledge(sqlite_db):
    kb = RegisterService(RegisterRepository(sqlite_db))
    await kb.load()
    return kb


@pytest.fixture(scope="session")
def synonyms() -> SynonymTable:
    """Read once per session: the lookup engine only reads it."""
    return SynonymTable.load(ROOT / "config" / "synonyms.yaml")


@pytest.fixture(scope="session")
def demo_template(sqlite_template, tmp_path_factory, synonyms) -> Path:
    """The migrated template with the fictional demo network's directory imported (as of the
    fake clock's start), made once per session."""
    path = tmp_path_factory.mktemp("demo") / "lotse.db"

    async def seed() -> None:
        database = Database(copy_database(sqlite_template, path))
        await database.open()
        service = DirectoryService(DirectoryRepository(database), synonyms)
        await service.import_entries(read_file(ROOT / "config" / "demo-network.yaml"), "test", FakeClock()())
        await database.close()

    asyncio.run(seed())
    return path


@pytest.fixture
async def sqlite_db(tmp_path, demo_template):
    """The command tier's database: a copy of the demo template."""
    database = Database(copy_database(demo_template, tmp_path / "lotse.db"))
    await database.open()
    yield database
    await database.close()


@pytest.fixture
async def directory(sqlite_db, synonyms):
    service = DirectoryService(DirectoryRepository(sqlite_db), synonyms)
    await service.load()
    return service


@pytest.fixture
def delivered():
    return []


@pytest.fixture
def schedule_changes():
    return []


@pytest.fixture
async def meetings(sqlite_db):
    return MeetingRepository(sqlite_db)


@pytest.fixture
async def minutes(meetings):
    service = MinutesService(meetings)
    await service.load()
    return service


@pytest.fixture
def chat(sqlite_db, clock, knowledge, directory, delivered, meetings, minutes, schedule_changes):
    async def deliver(outgoing):
        delivered.append(outgoing)

    async def schedule_changed():
        schedule_changes.append(clock())

    async def status() -> BotStatus:
        return BotStatus("1.2.3", clock() - timedelta(hours=2, minutes=5), 4, "SQLite", clock())

    registry = build_registry()
    services = make_services(
        sqlite_db, registry, status=status,
        network=NetworkInfo(privacy_contact="Landkreis Beispiel (fiktiv)", handlungsfelder=HANDLUNGSFELDER),
        register=knowledge, directory=directory, minutes=minutes,
        meetings=MeetingService(meetings, on_change=schedule_changed),
        scopes_of=lambda user: frozenset(MEMBERSHIP.get(user, ())), deliver=deliver,
    )
    dispatcher = Dispatcher(
        registry,
        services,
        prefix="!",
        default_lang="de",
        access=AccessPolicy(
            admins=frozenset({"@admin:example.org"}),
            coordinators=frozenset({"@koord:example.org"}),
            room_coordinators={"hf-gesundheit": frozenset({"@sprecherin:example.org"})},
        ),
        clock=clock,
        bot_names=("Lotse", "lotse"),
        # Tests seed many commands at one instant of the fake clock; the real guard has its own test.
        flood=FloodGuard(limit=10_000),
    )
    return Chat(dispatcher, clock)
