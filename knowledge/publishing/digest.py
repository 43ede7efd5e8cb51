"""What a weekly digest says: a scope's week, gathered from the register, the meetings and
the directory. Pure data; commands/features/digest.py turns it into a message."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from knowledge.dates import occurrences
from knowledge.directory.model import RoleEntry, RoleStatus
from knowledge.directory.service import DirectoryService
from knowledge.meetings.model import ActionItem, Firing, Meeting
from knowledge.meetings.service import MeetingService
from knowledge.preferences import Preferences
from knowledge.publishing.sources import DirectoryReads, MeetingReads, RegisterReads
from knowledge.register.model import Entry
from knowledge.register.service import RegisterService
from knowledge.values import Destination, DestinationKind, FiringKind, Scope, ScopeKind

LOOKAHEAD = timedelta(days=14)


@dataclass(frozen=True)
class Digest:
    scope: Scope | None  # None: several scopes merged (a person's rooms, the network roll-up)
    start: datetime
    end: datetime
    new_decisions: tuple[Entry, ...] = ()
    status_changes: tuple[tuple[Entry, str, str], ...] = ()
    new_links: tuple[Entry, ...] = ()
    open_actions: tuple[ActionItem, ...] = ()
    overdue_actions: tuple[ActionItem, ...] = ()
    upcoming: tuple[tuple[datetime, Meeting], ...] = ()
    stale_roles: tuple[RoleEntry, ...] = ()
    unanswered: tuple[tuple[datetime, str], ...] = ()
    # How many there are in each section; the tuples above hold only the newest few.
    totals: dict[str, int] = field(default_factory=dict, compare=False)

    def total(self, section: str) -> int:
        return self.totals.get(section, len(getattr(self, section)))

    def is_empty(self) -> bool:
        return not any(self.total(name) for name in ("new_decisions", "status_changes", "new_links", "open_actions",
                                                      "overdue_actions", "upcoming", "stale_roles", "unanswered"))


async def gather_many(*, register: RegisterReads, meetings: MeetingReads, directory: DirectoryReads, questions: DirectoryReads,
                      scopes: list[Scope], start: datetime, end: datetime,
                      reconfirm_days: int, limit: int = 5) -> dict[Scope, Digest]:
    """The week (start, end] for many scopes at once, in a constant number of queries: all
    rooms' digests fall due together, so they are gathered together."""
    weeks = await register.weeks(scopes, start, end, limit)
    today = end.date()
    actions: dict[Scope, list[ActionItem]] = {scope: [] for scope in scopes}
    for item in await meetings.actions(scopes=frozenset(scopes)):
        actions[item.scope].append(item)
    upcoming: dict[Scope, list[tuple[datetime, Meeting]]] = {scope: [] for scope in scopes}
    for meeting in await meetings.meetings(scopes=frozenset(scopes)):
        upcoming[meeting.scope] += [(o, meeting) for o in meeting.occurrences(end, end + LOOKAHEAD, limit=5)]
    roles = [r for r in (directory.all() if directory else []) if r.status not in (RoleStatus.VACANT, RoleStatus.LEFT)
             and (r.status is RoleStatus.UNCONFIRMED or r.needs_confirmation(today, reconfirm_days))]
    asked = []
    if questions is not None:
        rows, _ = await questions.open_questions(start, limit=200)
        asked = [(at, text, hf) for at, text, hf in rows if at <= end]
    out = {}
    for scope in scopes:
        hf_ids = _hf_ids(scope)
        week = weeks[scope]
        out[scope] = Digest(
            scope=scope, start=start, end=end,
            new_decisions=tuple(week["decisions"]), status_changes=tuple(week["status_changes"]), new_links=tuple(week["links"]),
            open_actions=tuple(a for a in actions[scope] if not a.overdue(today)),
            overdue_actions=tuple(a for a in actions[scope] if a.overdue(today)),
            upcoming=tuple(sorted(upcoming[scope], key=lambda pair: pair[0])),
            stale_roles=tuple(r for r in roles if hf_ids is None or set(r.handlungsfelder) & hf_ids),
            unanswered=tuple((at, text) for at, text, hf in asked if hf_ids is None or hf in hf_ids),
            totals={"new_decisions": week["decisions_total"], "new_links": week["links_total"]},
        )
    return out


WEEK = timedelta(days=7)


class DigestService:
    """Weekly digests as handlers and scheduled posts use them: one scope's week, several
    scopes merged (a person's rooms), or every scope of the network at once."""

    def __init__(self, register: RegisterService, meetings: MeetingService, directory: DirectoryService,
                 handlungsfelder: Iterable[str], reconfirm_days: int):
        self.register = register
        self.meetings = meetings
        self.directory = directory
        self.handlungsfelder = sorted(handlungsfelder)
        self.reconfirm_days = reconfirm_days
        self.batch = DigestBatch(self)  # shared by the scheduled digests of one week

    def all_scopes(self) -> list[Scope]:
        return [Scope.network(), *(Scope.handlungsfeld(hf) for hf in self.handlungsfelder)]

    async def gather(self, scopes: list[Scope], end: datetime) -> dict[Scope, Digest]:
        """The week before `end` for each of `scopes`."""
        return await gather_many(register=self.register, meetings=self.meetings, directory=self.directory,
                                 questions=self.directory, scopes=scopes, start=end - WEEK, end=end,
                                 reconfirm_days=self.reconfirm_days)

    async def build(self, scopes: frozenset[Scope] | None, end: datetime) -> Digest:
        """One digest over `scopes` (None: the whole network)."""
        wanted = self.all_scopes() if scopes is None else sorted(scopes)
        if not wanted:
            return merge([], end - WEEK, end)
        found = await self.gather(wanted, end)
        return found[wanted[0]] if len(wanted) == 1 else merge(list(found.values()), end - WEEK, end)


class DigestBatch:
    """All rooms' weekly digests fall due at the same moment: the first firing of a period
    gathers every scope at once, the others read from it."""

    def __init__(self, digests: DigestService) -> None:
        self.digests = digests
        self._end: datetime | None = None
        self._found: dict[Scope, Digest] = {}

    async def get(self, scope: Scope, end: datetime) -> Digest:
        if self._end != end or scope not in self._found:
            wanted = sorted(set(self.digests.all_scopes()) | {scope})
            self._found, self._end = await self.digests.gather(wanted, end), end
        return self._found[scope]


def _hf_ids(scope: Scope) -> frozenset[str] | None:
    """The Handlungsfelder a scope stands for; None for the whole network."""
    if scope.is_network:
        return None
    return frozenset({scope.key}) if scope.kind is ScopeKind.HANDLUNGSFELD else frozenset()


def merge(digests: list[Digest], start: datetime, end: datetime) -> Digest:
    """One digest over several scopes (a person's rooms, or the whole network)."""
    def joined(name: str) -> tuple[Any, ...]:
        return tuple(x for d in digests for x in getattr(d, name))

    stale = {r.id: r for d in digests for r in d.stale_roles}
    asked = list(dict.fromkeys(x for d in digests for x in d.unanswered))
    return Digest(
        scope=None, start=start, end=end,
        new_decisions=tuple(sorted(joined("new_decisions"), key=lambda e: e.created_at, reverse=True)),
        status_changes=joined("status_changes"),
        new_links=tuple(sorted(joined("new_links"), key=lambda e: e.created_at, reverse=True)),
        open_actions=joined("open_actions"), overdue_actions=joined("overdue_actions"),
        upcoming=tuple(sorted(joined("upcoming"), key=lambda pair: pair[0])),
        stale_roles=tuple(stale.values()), unanswered=tuple(asked),
        totals={"new_decisions": sum(d.total("new_decisions") for d in digests),
                "new_links": sum(d.total("new_links") for d in digests)},
    )


@dataclass(frozen=True)
class DigestTarget:
    """Who gets a weekly digest, and when: the room of a scope, the coordination room (the
    network roll-up) or a subscriber (in `lang`), on a weekday ("MO") at "HH:MM" local time."""

    destination: Destination
    weekday: str
    at: str
    lang: str | None = None


def _key_part(target: DigestTarget) -> str:
    """The target as the deliveries table has always spelled it in digest keys."""
    dest = target.destination
    if dest.kind is DestinationKind.DIRECT:
        return f"dm:{dest.user_id}|{target.lang}"
    if dest.kind is DestinationKind.COORDINATION:
        return "network"
    assert dest.scope is not None
    return f"scope:{dest.scope.serialise()}"


@dataclass(frozen=True)
class DigestPlan:
    """Which weekly digests there are: the fixed ones (Handlungsfeld rooms, the network
    roll-up) and, if `subscribers` is set (weekday, "HH:MM"), one per subscriber."""

    fixed: tuple[DigestTarget, ...]
    subscribers: tuple[str, str] | None
    zone: ZoneInfo

    async def firings(self, preferences: Preferences, after: datetime, before: datetime) -> list[Firing]:
        targets = list(self.fixed)
        if self.subscribers is not None:
            weekday, at = self.subscribers
            targets += [DigestTarget(Destination.direct(user_id), weekday, at, lang)
                        for user_id, lang in await preferences.digest_subscribers()]
        return digest_firings(targets, self.zone, after, before)


def digest_firings(targets: list[DigestTarget], zone: ZoneInfo, after: datetime, before: datetime) -> list[Firing]:
    """Weekly digest firings.

    The key names target and day, so each target gets one digest per week, whatever
    happens to Lotse in between."""
    out = []
    for target in targets:
        hour, minute = (int(x) for x in target.at.split(":"))
        anchor = datetime.combine((after.astimezone(zone) - timedelta(days=8)).date(), clock_time(hour, minute), tzinfo=zone)
        for occurrence in occurrences(anchor, f"FREQ=WEEKLY;BYDAY={target.weekday}", zone, after, before):
            out.append(Firing(occurrence, f"digest:{_key_part(target)}:{occurrence.date().isoformat()}", FiringKind.DIGEST, 0,
                              occurrence, target=target.destination, lang=target.lang))
    return out
