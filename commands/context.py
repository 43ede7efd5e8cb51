"""What a handler sees: the caller, the room, the language, the time, and narrow services."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from commands.errors import PermissionDenied
from commands.permission import Permission
from commands.registry import CommandWords, Registry
from knowledge.values import Destination, Scope

if TYPE_CHECKING:
    from commands.render import Reply
    from knowledge.directory.service import DirectoryService
    from knowledge.meetings.minutes import Minutes
    from knowledge.storage import AuditRepository, MeetingRepository
    from knowledge.register.service import KnowledgeBase
    from knowledge.storage import PreferenceRepository


@dataclass(frozen=True)
class Caller:
    user_id: str
    display_name: str
    permission: Permission


@dataclass(frozen=True)
class RoomInfo:
    room_id: str
    name: str
    is_direct: bool
    handlungsfeld: str | None = None  # configured Handlungsfeld id, if the room is one
    is_coordination: bool = False

    @property
    def scope(self) -> Scope:
        """Where entries recorded here belong."""
        if self.is_coordination:
            return Scope.network()
        if self.handlungsfeld:
            return Scope.handlungsfeld(self.handlungsfeld)
        return Scope.room(self.room_id)


@dataclass(frozen=True)
class Quoted:
    """The message a command replied to (fetched by the bot package)."""

    event_id: str
    sender: str
    body: str


@dataclass(frozen=True)
class BotStatus:
    version: str
    started_at: datetime
    rooms: int
    database: str
    last_sync: datetime | None


@dataclass(frozen=True)
class Services:
    """The narrow services handlers may use. Built once by bot/app.py."""

    preferences: "PreferenceRepository"
    status: Callable[[], Awaitable[BotStatus]]
    timezone: str = "Europe/Berlin"
    privacy_contact: str = ""
    knowledge: "KnowledgeBase | None" = None
    # The scopes whose entries a user may see: the rooms they share with Lotse.
    scopes_of: Callable[[str], frozenset[Scope]] = lambda user_id: frozenset()
    # Handlungsfeld id -> {"de": name, "en": name}
    handlungsfelder: dict[str, dict[str, str]] = field(default_factory=dict)
    directory: "DirectoryService | None" = None
    meetings: "MeetingRepository | None" = None
    minutes: "Minutes | None" = None
    # Called after meetings, reminders or action items change, so that jobs are re-derived.
    schedule_changed: Callable[[], Awaitable[None]] = field(default=None)  # type: ignore[assignment]
    minutes_approval: bool = False
    digest_post_empty: bool = False  # an empty week still gets a (short) digest
    network_name: str = ""
    digest_batch: object = None  # commands.digest.DigestBatch: shared by the digests of one period
    audit: "AuditRepository | None" = None
    # Redacts Lotse's own messages that named a person; returns how many. Given by the bot package.
    redact_mentions: Callable[[str], Awaitable[int]] = field(default=None)  # type: ignore[assignment]
    count_mentions: Callable[[str], Awaitable[int]] = field(default=None)  # type: ignore[assignment]
    # Sends a message somewhere else than the reply (a direct message, the coordination room).
    deliver: Callable[["Outgoing"], Awaitable[None]] = field(default=None)  # type: ignore[assignment]
    directory_policy: "DirectoryPolicy" = field(default_factory=lambda: DirectoryPolicy())
    default_language: str = "de"
    # Writes a command into a text (prefix and language aware); the dispatcher supplies it.
    words: CommandWords | None = None


@dataclass(frozen=True)
class DirectoryPolicy:
    """How the directory is kept true (config `directory`)."""

    reconfirm_days: int = 182
    unconfirmed_after_days: int = 30
    funding_warning_days: int = 56
    question_retention_days: int = 90


@dataclass(frozen=True)
class Outgoing:
    """A message a scheduled job or a handler wants delivered elsewhere than as the reply;
    the bot package resolves `target` to a room and sends it. `key` is a stable idempotency
    key, so a job that runs twice (a restart) sends it once.
    """

    target: Destination
    reply: "Reply"
    key: str
    mention_room: bool = False  # only ever set for content a coordinator created


@dataclass(frozen=True)
class CommandContext:
    caller: Caller
    room: RoomInfo
    lang: str
    event_id: str
    now: datetime
    prefix: str
    services: Services
    registry: Registry = field(repr=False)
    word: str = ""  # the command word the user typed
    reply_to: Quoted | None = None

    def cmd(self, path: str, *args: object) -> str:
        """A command as the caller would type it: `ctx.cmd("minutes approve", "P-3")` is
        '!protokoll freigeben P-3' for a German reader (see `Registry.spell`)."""
        return self.registry.spell(path, self.lang, self.prefix, *args)

    def require_owner(self, *owners: str | None, refusal: str, **params: object) -> None:
        """Ownership rules (the chair, whoever recorded it, the holder of a role): one of
        `owners` or a coordinator may go on. Levels alone are declared on the command and
        checked by the dispatcher; this is for rules that need the object first."""
        if self.caller.user_id in owners or self.caller.permission >= Permission.COORDINATOR:
            return
        raise PermissionDenied(refusal, **params)

    def echo(self, *args: object) -> str:
        """The command as the caller typed it (their word, alias or language), with `args`:
        for examples that answer a mistake in the caller's own words."""
        return " ".join([self.prefix + self.word, *(str(a) for a in args)])

    def visible_scopes(self) -> frozenset[Scope] | None:
        """Scopes the caller may see from here; None means all (the coordination room)."""
        if self.room.is_coordination:
            return None
        return self.services.scopes_of(self.caller.user_id) | {self.room.scope}
