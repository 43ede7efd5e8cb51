"""From a chat message to a reply: parse, resolve language and permission, run, translate errors.

Every prefixed message gets an answer: a result, a usage line, a refusal that says what
is needed, a "did you mean", or, for a bug, an apology with an incident id (the traceback
goes to the log, never to the room). Logs name the command word, never the message text.
"""
from __future__ import annotations

import logging
import secrets
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from rapidfuzz import fuzz, process

from commands.context import Caller, CommandContext, Quoted, RoomInfo, Services
from commands.errors import PermissionDenied, UsageError, UserError
from commands.i18n import t
from commands.permission import Permission
from commands.registry import Command, Registry, UnknownSubcommand
from commands.render import Code, Doc, Reply

log = logging.getLogger(__name__)

# A plain question starting with one of these is answered in English.
ENGLISH_QUESTION_WORDS = frozenset({"who", "whom", "where", "what", "which", "how", "contact", "is", "can", "does"})


@dataclass(frozen=True)
class Incoming:
    """A text message as the bot package hands it over: plain data, no Matrix types."""

    event_id: str
    sender: str
    sender_name: str
    body: str
    room: RoomInfo
    power_level: int = 0
    mentions_bot: bool = False
    mentioned: tuple[str, ...] = ()  # other users the message mentions (m.mentions)
    reply_to: Quoted | None = None


@dataclass(frozen=True)
class AccessPolicy:
    """Who is more than a member: from config, plus room power levels."""

    admins: frozenset[str] = frozenset()
    coordinators: frozenset[str] = frozenset()
    room_coordinators: Mapping[str, frozenset[str]] = field(default_factory=dict)  # Handlungsfeld id -> users
    power_level_threshold: int = 50

    def permission(self, incoming: Incoming) -> Permission:
        if incoming.sender in self.admins:
            return Permission.ADMIN
        if incoming.sender in self.coordinators:
            return Permission.COORDINATOR
        if incoming.room.handlungsfeld and incoming.sender in self.room_coordinators.get(
            incoming.room.handlungsfeld, frozenset()
        ):
            return Permission.COORDINATOR
        # Power levels mean nothing in a direct message: both people are usually admins there.
        if not incoming.room.is_direct and incoming.power_level >= self.power_level_threshold:
            return Permission.COORDINATOR
        return Permission.MEMBER


class FloodGuard:
    """At most `limit` commands per person in `window` seconds; then one polite notice and
    silence until the window has passed. In memory on purpose: it protects the running bot."""

    def __init__(self, limit: int = 10, window: float = 10.0):
        self.limit = limit
        self.window = window
        self._seen: dict[str, deque[float]] = defaultdict(deque)
        self._warned: set[str] = set()

    def check(self, user_id: str, now: float) -> str:
        """'ok', 'warn' (first refusal in this window) or 'silent'."""
        seen = self._seen[user_id]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            self._warned.discard(user_id)
            return "ok"
        if user_id in self._warned:
            return "silent"
        self._warned.add(user_id)
        return "warn"


class Dispatcher:
    def __init__(
        self,
        registry: Registry,
        services: Services,
        *,
        prefix: str = "!",
        default_lang: str = "de",
        access: AccessPolicy = AccessPolicy(),
        clock: Callable[[], datetime],
        bot_names: tuple[str, ...] = (),
        flood: FloodGuard | None = None,
    ):
        self.registry = registry
        self.words = services.words
        self.services = services
        self.prefix = prefix
        self.default_lang = default_lang
        self.access = access
        self.clock = clock
        self.bot_names = tuple(n for n in bot_names if n)
        self.flood = flood or FloodGuard()

    def command_text(self, incoming: Incoming) -> str | None:
        """The command part of a message, or None if the message is not for Lotse."""
        body = incoming.body.strip()
        addressed = incoming.mentions_bot
        for name in self.bot_names:
            if body.casefold().startswith(name.casefold()):
                rest = body[len(name):]
                if not rest or rest[0] in ":, \t\n":
                    body, addressed = rest.lstrip(":, \t\n"), True
                    break
        if body.startswith(self.prefix):
            return body[len(self.prefix):]
        if incoming.room.is_direct or addressed:
            return body
        return None

    async def dispatch(self, incoming: Incoming) -> Reply | None:
        text = self.command_text(incoming)
        if text is None:
            return None
        verdict = self.flood.check(incoming.sender, self.clock().timestamp())
        if verdict != "ok":
            if verdict == "silent":
                return None
            lang = await self.services.preferences.language(incoming.sender) or self.default_lang
            return Doc().p(t(lang, "error.flood", seconds=int(self.flood.window))).reply()
        word, _, argtext = text.strip().partition(" ")
        if "\n" in word:
            word, _, more = word.partition("\n")
            argtext = more + " " + argtext
        word = word.rstrip(",.:;!?")
        found = self.registry.find(word) if word else None
        preferred = await self.services.preferences.language(incoming.sender)
        lang = preferred or self.default_lang
        if found and len(found[1]) == 1:
            lang = next(iter(found[1]))
        caller = Caller(incoming.sender, incoming.sender_name, self.access.permission(incoming))
        if found is None:
            fallback = self.registry.catch_all
            if fallback is None or not self._is_plain_question(incoming, text, word, caller.permission):
                return self._unknown(word, lang, caller.permission)
            found, argtext = (fallback, set()), text.strip()
            if word.casefold() in ENGLISH_QUESTION_WORDS:
                lang = "en"
        command = found[0]
        ctx = CommandContext(
            caller=caller,
            room=incoming.room,
            lang=lang,
            event_id=incoming.event_id,
            now=self.clock(),
            prefix=self.prefix,
            services=self.services,
            registry=self.registry,
            word=word,
            reply_to=incoming.reply_to,
            mentioned=incoming.mentioned,
        )
        return await self._run(command, ctx, argtext)

    async def _run(self, command: Command, ctx: CommandContext, argtext: str) -> Reply:
        lang = ctx.lang
        try:
            target, argtext = self.registry.resolve(command, argtext)
        except UnknownSubcommand as exc:
            return self._unknown_subcommand(exc, lang)
        parent = command if target is not command else None
        try:
            # The one permission check: declared on the command or subcommand, before it runs.
            if ctx.caller.permission < target.permission:
                raise PermissionDenied(target.refusal, role=t(lang, f"role.{target.permission.name.lower()}"))
            assert target.handler is not None  # resolve() never picks a command without one
            kwargs = self.registry.bind(target, argtext, lang)
            reply = await target.handler(ctx, **kwargs)
            if reply.reaction:
                # A confirmed change: record who did what to which ids (never the text).
                await self.services.audit.record(ctx.now, ctx.caller.user_id, command.name, ctx.room.room_id,
                                                 list(dict.fromkeys(reply.objects)))
            return reply
        except UsageError as exc:
            return (
                Doc()
                .p(t(lang, exc.key, **exc.params))
                .p(t(lang, "error.usage_prefix"), Code(target.usage(lang, self.prefix, parent)))
                .reply()
            )
        except UserError as exc:
            return Doc().p(t(lang, exc.key, **exc.params)).reply()
        except Exception:
            incident = secrets.token_hex(3)
            log.exception("command %r failed, incident %s", target.path, incident)
            return replace(Doc().p(t(lang, "error.internal", incident=incident)).reply(), incident=incident)

    def _unknown_subcommand(self, exc: UnknownSubcommand, lang: str) -> Reply:
        command = exc.command
        key = command.unknown if exc.word else "error.choose_subcommand"
        first = self.registry.spell(command.subcommands[0].path, lang, self.prefix)
        choices = ", ".join(s.word(lang) for s in command.subcommands)
        return Doc().p(t(lang, key, word=exc.word, choices=choices, command=first)).reply()

    def _is_plain_question(self, incoming: Incoming, text: str, word: str, permission: Permission) -> bool:
        """Plain text for Lotse (a direct message, or addressed by name) that is no command:
        a question for the catch-all command, unless its first word is a command with a typo."""
        if incoming.body.strip().startswith(self.prefix):
            return False
        if self._closest(word, permission, cutoff=80):
            return False
        return True

    def _closest(self, word: str, permission: Permission, cutoff: float) -> str | None:
        allowed = {w for c in self.registry.visible(permission) for lg in ("de", "en") for w in c.words(lg)}
        best = process.extractOne(word.casefold(), sorted(allowed), scorer=fuzz.ratio, score_cutoff=cutoff)
        return best[0] if best else None

    def _unknown(self, word: str, lang: str, permission: Permission) -> Reply:
        help_word = self.registry.spell("help", lang, self.prefix)
        if not word:
            return Doc().p(t(lang, "error.empty_command", help=help_word)).reply()
        best = self._closest(word, permission, cutoff=60)
        if best:
            return Doc().p(
                t(lang, "error.unknown_command", word=word, suggestion=self.prefix + best, help=help_word)
            ).reply()
        return Doc().p(t(lang, "error.unknown_command_no_suggestion", word=word, help=help_word)).reply()

