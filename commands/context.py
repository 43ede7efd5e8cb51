"""What a handler sees: the caller, the room, the language, the time, and narrow services."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from commands.errors import PermissionDenied
from commands.permission import Permission
from commands.registry import CommandWords, Registry
from commands.render import Reply
from knowledge.directory.service import DirectoryService
from knowledge.meetings.minutes import MinutesService
from knowledge.meetings.service import MeetingService
from knowledge.preferences import Preferences
from knowledge.privacy import PrivacyService
from knowledge.publishing.digest import DigestService
from knowledge.register.service import RegisterService
from knowledge.storage import AuditRepository
from knowledge.upkeep import DirectoryPolicy, RetentionPolicy
from knowledge.values import Destination, Scope


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
class NetworkInfo:
    """Facts from the configuration that handlers need to know."""

    name: str = ""
    # Handlungsfeld id -> {"de": name, "en": name}
    handlungsfelder: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    timezone: str = "Europe/Berlin"
    default_language: str = "de"
    privacy_contact: str = ""
    minutes_approval: bool = False  # minutes are a draft until the chair publishes them
    digest_post_empty: bool = False  # an empty week still gets a (short) digest
    directory: DirectoryPolicy = field(default_factory=DirectoryPolicy)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)


@dataclass(frozen=True)
class BotPort:
    """What the bot package does for handlers (it alone talks to Matrix)."""

    status: Callable[[], Awaitable[BotStatus]]
    # The scopes whose entries a user may see: the rooms they share with Lotse.
    scopes_of: Callable[[str], frozenset[Scope]]
    # Sends a message somewhere else than the reply (a direct message, the coordination room).
    deliver: Callable[[Outgoing], Awaitable[None]]
    # Lotse's own messages that named a person: how many, and redacting them on request.
    count_mentions: Callable[[str], Awaitable[int]]
    redact_mentions: Callable[[str], Awaitable[int]]


@dataclass(frozen=True)
class Services:
    """The narrow services handlers may use; each feature service writes, keeps its derived
    state (search index, lookup engine, planner) in step and hides its repository.
    Built once by bot/app.py."""

    network: NetworkInfo
    bot: BotPort
    words: CommandWords  # writes a command into a text (prefix and language aware)
    preferences: Preferences
    register: RegisterService
    directory: DirectoryService
    meetings: MeetingService
    minutes: MinutesService
    digests: DigestService
    privacy: PrivacyService
    audit: AuditRepository  # written by the dispatcher only

    async def language_for(self, reader: Destination) -> str:
        """The language a scheduled post to `reader` is written in. Today the network's
        default; a person's stored preference (direct messages) and a per-room language
        belong here, so that every post follows its reader."""
        return self.network.default_language


@dataclass(frozen=True)
class Outgoing:
    """A message a scheduled job or a handler wants delivered elsewhere than as the reply;
    the bot package resolves `target` to a room and sends it. `key` is a stable idempotency
    key, so a job that runs twice (a restart) sends it once.
    """

    target: Destination
    reply: Reply
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
    mentioned: tuple[str, ...] = ()  # users the message mentions (m.mentions), Lotse left out

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

    def person(self, word: str) -> str | None:
        """The Matrix id a person argument names, or None. Every argument that names a person
        goes through here: today a typed full id (@name:server); mention pills (`mentioned`)
        and display names of room members belong here too."""
        word = word.strip()
        return word if word.startswith("@") and ":" in word else None

    def echo(self, *args: object) -> str:
        """The command as the caller typed it (their word, alias or language), with `args`:
        for examples that answer a mistake in the caller's own words."""
        return " ".join([self.prefix + self.word, *(str(a) for a in args)])

    def visible_scopes(self) -> frozenset[Scope] | None:
        """Scopes the caller may see from here; None means all (the coordination room)."""
        if self.room.is_coordination:
            return None
        return self.services.bot.scopes_of(self.caller.user_id) | {self.room.scope}
