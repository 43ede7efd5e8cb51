"""Services for the fast tiers: the real feature services over a test database, with the
bot package's part (status, delivery, membership, redaction) given as plain callables."""
from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from commands.context import BotPort, BotStatus, NetworkInfo, Outgoing, Services
from commands.registry import CommandWords, Registry
from knowledge.directory.service import DirectoryService
from knowledge.directory.synonyms import SynonymTable
from knowledge.meetings.minutes import MinutesService
from knowledge.meetings.service import MeetingService
from knowledge.preferences import Preferences
from knowledge.privacy import PrivacyService
from knowledge.publishing.digest import DigestService
from knowledge.register.service import RegisterService
from knowledge.storage import (
    AuditRepository,
    Database,
    DirectoryRepository,
    MeetingRepository,
    PreferenceRepository,
    RegisterRepository,
)
from knowledge.values import Scope

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def synonyms() -> SynonymTable:
    return SynonymTable.load(ROOT / "config" / "synonyms.yaml")


async def _nothing(*_args: object) -> None:
    return None


async def _zero(_user: str) -> int:
    return 0


def make_services(
    db: Database,
    registry: Registry,
    *,
    status: Callable[[], Awaitable[BotStatus]],
    network: NetworkInfo = NetworkInfo(),
    register: RegisterService | None = None,
    directory: DirectoryService | None = None,
    meetings: MeetingService | None = None,
    minutes: MinutesService | None = None,
    scopes_of: Callable[[str], frozenset[Scope]] = lambda user: frozenset(),
    deliver: Callable[[Outgoing], Awaitable[None]] = _nothing,
    prefix: str = "!",
) -> Services:
    register = register or RegisterService(RegisterRepository(db))
    directory = directory or DirectoryService(DirectoryRepository(db), synonyms())
    meetings = meetings or MeetingService(MeetingRepository(db))
    minutes = minutes or MinutesService(meetings.repository)
    preferences = Preferences(PreferenceRepository(db))
    audit = AuditRepository(db)
    return Services(
        network=network,
        bot=BotPort(status=status, scopes_of=scopes_of, deliver=deliver, count_mentions=_zero, redact_mentions=_zero),
        words=CommandWords(registry, prefix),
        preferences=preferences,
        register=register,
        directory=directory,
        meetings=meetings,
        minutes=minutes,
        digests=DigestService(register, meetings, directory, network.handlungsfelder, network.directory.reconfirm_days),
        privacy=PrivacyService(preferences.repository, register, directory, meetings.repository, audit),
        audit=audit,
    )


def with_network(services: Services, **changes: object) -> Services:
    """The same services with some configuration facts changed (e.g. minutes_approval)."""
    return replace(services, network=replace(services.network, **changes))
