"""The edge: which Matrix events reach the dispatcher, and how replies leave.

For each timeline event, in order:
  1. own messages, notices, edits and non-text events are ignored (no bot loops);
  2. events older than Lotse's join in that room are history and ignored;
  3. events older than the catch-up window (after downtime) are ignored;
  4. events already in the handled-events table are ignored (at most once);
  5. the dispatcher builds a reply, which is sent as m.notice in reply to the command with
     a transaction id derived from the event id (a resend after a crash is deduplicated
     by the homeserver), then the event is recorded as handled.
A transient failure (homeserver trouble) propagates so that the sync loop retries the same
batch; a permanent refusal (e.g. no permission to post) is logged and the event recorded.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from nio import (
    InviteMemberEvent,
    MatrixRoom,
    MegolmEvent,
    RedactionEvent,
    RoomCreateEvent,
    RoomMemberEvent,
    RoomMessageText,
    SyncResponse,
)

from bot.matrix import MatrixClient, MatrixError, notice_content, transaction_id
from commands.context import Quoted, RoomInfo
from commands.dispatcher import Dispatcher, Incoming
from commands.i18n import t
from commands.render import text_reply
from knowledge.meetings.minutes import MinutesService
from knowledge.register.service import RegisterService
from knowledge.storage import BotStateRepository

log = logging.getLogger(__name__)


@dataclass
class RoomDirectory:
    """Configured rooms, resolved to room ids at start: which Handlungsfeld each one is."""

    handlungsfelder: dict[str, str] = field(default_factory=dict)  # room id -> Handlungsfeld id
    coordination: set[str] = field(default_factory=set)

    def is_network(self, room_id: str) -> bool:
        return room_id in self.handlungsfelder or room_id in self.coordination

    def info(self, room: MatrixRoom) -> RoomInfo:
        configured = room.room_id in self.handlungsfelder or room.room_id in self.coordination
        return RoomInfo(
            room_id=room.room_id,
            name=room.display_name,
            is_direct=not configured and room.member_count <= 2,
            handlungsfeld=self.handlungsfelder.get(room.room_id),
            is_coordination=room.room_id in self.coordination,
        )


def strip_reply_fallback(body: str) -> str:
    """Remove the quoted '> <@user> …' lines clients put in front of a reply's body."""
    lines = body.split("\n")
    if not lines or not lines[0].startswith(">"):
        return body
    i = 0
    while i < len(lines) and lines[i].startswith(">"):
        i += 1
    if i < len(lines) and not lines[i].strip():
        i += 1
    return "\n".join(lines[i:])


def reply_target(content: dict) -> str | None:
    relates = content.get("m.relates_to") or {}
    return (relates.get("m.in_reply_to") or {}).get("event_id")


def _version_has_creator_power(version: str | None) -> bool:
    """Room versions 12 and later (and the MSC4289 test version) give creators infinite power."""
    if not version:
        return False
    if version.isdigit():
        return int(version) >= 12
    return version.startswith("org.matrix.hydra")


@dataclass(frozen=True)
class InvitePolicy:
    allowed_servers: frozenset[str]
    allowed_users: frozenset[str]

    def allows(self, inviter: str) -> bool:
        server = inviter.partition(":")[2]
        return inviter in self.allowed_users or server in self.allowed_servers


class EventHandler:
    def __init__(
        self,
        client: MatrixClient,
        state: BotStateRepository,
        dispatcher: Dispatcher,
        rooms: RoomDirectory,
        invites: InvitePolicy,
        clock: Callable[[], datetime],
        catch_up: timedelta,
        default_lang: str,
        knowledge: RegisterService | None = None,
        on_departure=None,
        minutes: MinutesService | None = None,
        server_clock: Callable[[], datetime] | None = None,
    ):
        self.client = client
        self.state = state
        self.dispatcher = dispatcher
        self.rooms = rooms
        self.invites = invites
        self.clock = clock
        # Event timestamps are the homeserver's real time; the business clock may be a test clock.
        self.server_clock = server_clock or clock
        self.catch_up = catch_up
        self.default_lang = default_lang
        self.knowledge = knowledge
        self.on_departure = on_departure  # async (user_id, key): someone left every network room
        self.minutes = minutes
        self.me = client.user_id
        self._creators: dict[str, frozenset[str]] = {}  # room id -> creators (room version 12 and later)
        self.undecryptable = None  # bot.encryption.Undecryptable, set by the app

    def power_level(self, room: MatrixRoom, user_id: str) -> int:
        """The user's power level. Since room version 12, creators hold unlimited power and are
        not listed in m.room.power_levels; they count as above every threshold."""
        if user_id in self._creators.get(room.room_id, ()):
            return 10**9
        return room.power_levels.get_user_level(user_id)

    def _note_creators(self, room_id: str, events: list) -> None:
        for event in events:
            if isinstance(event, RoomCreateEvent) and _version_has_creator_power(event.room_version):
                content = event.source.get("content", {})
                extra = content.get("additional_creators") or []
                self._creators[room_id] = frozenset([event.sender, *[u for u in extra if isinstance(u, str)]])

    def scopes_of(self, user_id: str) -> frozenset[str]:
        """The scopes of every room this user shares with Lotse."""
        return frozenset(
            self.rooms.info(room).scope for room in self.client.nio.rooms.values() if user_id in room.users
        )

    def _now_ms(self) -> int:
        return int(self.server_clock().timestamp() * 1000)

    def _catch_up_start_ms(self) -> int:
        """Messages older than this are not acted on after a downtime."""
        return self._now_ms() - int(self.catch_up.total_seconds() * 1000)

    async def on_sync(self, response: SyncResponse, first_start: bool) -> None:
        """Handle one sync batch. On the very first start, history is only recorded, never acted on."""
        for room_id, info in response.rooms.invite.items():
            await self._on_invite(room_id, info.invite_state)
        for room_id in response.rooms.leave:
            await self.state.forget_room(room_id)
        for room_id, info in response.rooms.join.items():
            room = self.client.nio.rooms.get(room_id)
            if room is None:
                continue
            self._note_creators(room_id, [*info.state, *info.timeline.events])
            joined_at = await self._membership(room_id, info.timeline.events, first_start)
            if not first_start:
                events = list(info.timeline.events)
                if info.timeline.limited and info.timeline.prev_batch:
                    # The sync skipped events (a long downtime, a burst): fetch them, oldest first.
                    events = await self._missed(room_id, info.timeline.prev_batch, joined_at) + events
                for event in events:
                    await self._on_event(room, event, joined_at)
            await self._greet(room_id)
        if self.undecryptable is not None:
            await self.undecryptable.retry(self._on_late_decryption)

    async def _on_late_decryption(self, room_id: str, event) -> None:
        """A message whose room key arrived after the message: handled as if it had just come."""
        room = self.client.nio.rooms.get(room_id)
        membership = await self.state.membership(room_id)
        if room is not None and membership is not None:
            await self._on_event(room, event, membership.joined_at_ms)

    async def tell_undecryptable(self, room_id: str, event: MegolmEvent) -> None:
        """Tell the sender, in plain words, that Lotse could not read their message."""
        lang = await self.dispatcher.services.preferences.language(event.sender) or self.default_lang
        reply = text_reply(t(lang, "crypto.undecryptable"))
        await self._send(
            room_id,
            notice_content(reply.body, reply.html, in_reply_to=event.event_id, mention=event.sender),
            transaction_id(event.event_id, "undecryptable"),
        )
        await self.state.mark_handled(event.event_id, room_id, self.clock())

    async def _missed(self, room_id: str, token: str, joined_at_ms: int, max_pages: int = 20) -> list:
        """Events a limited sync left out, back to the catch-up window (or the join), oldest first."""
        oldest = max(joined_at_ms, self._catch_up_start_ms())
        found: list = []
        for _ in range(max_pages):
            page, token = await self.client.messages_before(room_id, token)
            found.extend(page)
            if not token or not page or page[-1].server_timestamp < oldest:
                break
        log.info("fetched %d events a limited sync left out in %s", len(found), room_id)
        return list(reversed(found))

    async def _membership(self, room_id: str, events: list, first_start: bool) -> int:
        known = await self.state.membership(room_id)
        if known:
            return known.joined_at_ms
        joined_at = self._now_ms()
        if not first_start:
            for event in events:
                if (
                    isinstance(event, RoomMemberEvent)
                    and event.state_key == self.me
                    and event.membership == "join"
                ):
                    joined_at = event.server_timestamp
        await self.state.record_join(room_id, joined_at)
        log.info("joined room %s", room_id)
        known = await self.state.membership(room_id)
        return known.joined_at_ms if known else joined_at

    async def _greet(self, room_id: str) -> None:
        """The join notice, once per room: sent first (deduplicated by its txn id), then recorded."""
        membership = await self.state.membership(room_id)
        if membership is None or membership.greeted:
            return
        lang, spell = self.default_lang, self.dispatcher.words
        text = t(lang, "greeting", help=spell(lang, "help"), privacy=spell(lang, "privacy"))
        reply = text_reply(text)
        await self._send(room_id, notice_content(reply.body, reply.html), transaction_id(room_id, "greeting"))
        await self.state.claim_greeting(room_id)

    async def _on_invite(self, room_id: str, invite_state: list) -> None:
        inviter = next(
            (e.sender for e in invite_state if isinstance(e, InviteMemberEvent) and e.state_key == self.me),
            None,
        )
        if inviter and self.invites.allows(inviter):
            log.info("accepting invite to %s from %s", room_id, inviter)
            try:
                await self.client.join(room_id)
            except MatrixError as exc:
                if exc.transient:
                    raise
                log.warning("could not join %s: %s", room_id, exc.errcode)
        else:
            log.warning("refusing invite to %s from %s: not an allowed server or user", room_id, inviter)
            try:
                await self.client.leave(room_id)
            except MatrixError as exc:
                if exc.transient:
                    raise
                log.warning("could not reject invite to %s: %s", room_id, exc.errcode)

    async def _on_event(self, room: MatrixRoom, event, joined_at_ms: int) -> None:
        if event.sender == self.me or event.server_timestamp < joined_at_ms:
            return
        if isinstance(event, RedactionEvent):
            await self._once(event, room.room_id, lambda: self._on_redaction(room, event))
            return
        if isinstance(event, RoomMemberEvent) and event.membership in ("leave", "ban") and event.state_key != self.me:
            await self._once(event, room.room_id, lambda: self._on_member_left(room, event.state_key, event.event_id))
            return
        if isinstance(event, MegolmEvent):
            if (self.undecryptable is not None and event.server_timestamp >= self._catch_up_start_ms()
                    and not await self.state.is_handled(event.event_id)):
                await self.undecryptable.arrived(room.room_id, event)
            return
        if not isinstance(event, RoomMessageText):
            return
        if getattr(event, "decrypted", False) and self.undecryptable is not None:
            await self.undecryptable.decrypted(room.room_id, event.sender)
        content = event.source.get("content", {})
        relates = content.get("m.relates_to") or {}
        if relates.get("rel_type") == "m.replace":
            await self._once(event, room.room_id, lambda: self._on_source_edit(event, relates.get("event_id")))
            return
        if event.server_timestamp < self._catch_up_start_ms():
            log.info("ignoring command %s from before the catch-up window", event.event_id)
            return
        if await self.state.is_handled(event.event_id):
            return
        if self.minutes is not None and self.minutes.is_running(room.room_id):
            await self.minutes.note_speaker(room.room_id, event.sender)
        mentions = content.get("m.mentions") or {}
        body = strip_reply_fallback(event.body)
        incoming = Incoming(
            event_id=event.event_id,
            sender=event.sender,
            sender_name=room.user_name(event.sender) or event.sender,
            body=body,
            room=self.rooms.info(room),
            power_level=self.power_level(room, event.sender),
            mentions_bot=self.me in (mentions.get("user_ids") or []),
            mentioned=tuple(u for u in mentions.get("user_ids") or [] if isinstance(u, str) and u != self.me),
        )
        target = reply_target(content)
        if target and self.dispatcher.command_text(incoming) is not None:
            incoming = replace(incoming, reply_to=await self._quoted(room.room_id, target))
        reply = await self.dispatcher.dispatch(incoming)
        if reply is not None:
            await self._send_reply(room.room_id, event, reply)
        await self.state.mark_handled(event.event_id, room.room_id, self.clock())

    async def _once(self, event, room_id: str, action) -> None:
        if await self.state.is_handled(event.event_id):
            return
        await action()
        await self.state.mark_handled(event.event_id, room_id, self.clock())

    async def _on_member_left(self, room: MatrixRoom, user_id: str, event_id: str) -> None:
        """When someone has left the last network room, the coordinators hear which roles they held."""
        if self.on_departure is None or not self.rooms.is_network(room.room_id):
            return
        still_in = [
            r for r in self.client.nio.rooms.values() if self.rooms.is_network(r.room_id) and user_id in r.users
        ]
        if not still_in:
            await self.on_departure(user_id, f"departure:{event_id}")

    async def _quoted(self, room_id: str, event_id: str) -> Quoted | None:
        found = await self.client.get_event(room_id, event_id)
        if found is None:
            return None
        sender, content = found
        body = content.get("body")
        return Quoted(event_id, sender, strip_reply_fallback(body)) if isinstance(body, str) else None

    async def _on_source_edit(self, event, target: str | None) -> None:
        """An edited source message: the entry keeps its text and notes that the source changed."""
        if not target or self.knowledge is None:
            return
        for entry in await self.knowledge.by_source(target):
            if not entry.source_changed:
                await self.knowledge.source_changed((entry.kind, entry.number), by=event.sender, at=self.clock())

    async def _on_redaction(self, room: MatrixRoom, event: RedactionEvent) -> None:
        """A deleted source message: record it, and ask the room's coordinators keep or delete."""
        if self.knowledge is None or not event.redacts:
            return
        entries = [e for e in await self.knowledge.by_source(event.redacts) if not e.retracted]
        if not entries:
            return
        for entry in entries:
            await self.knowledge.source_redacted((entry.kind, entry.number), by=event.sender, at=self.clock())
        lang = self.default_lang
        ids = ", ".join(e.short_id for e in entries)
        retract = self.dispatcher.words(lang, "retract", entries[0].short_id)
        reply = text_reply(t(lang, "knowledge.source_redacted", ids=ids, retract=retract))
        await self._send(room.room_id, notice_content(reply.body, reply.html), transaction_id(event.event_id, "redaction"))

    async def _send(self, room_id: str, content: dict, txn_id: str) -> None:
        try:
            await self.client.send(room_id, content, txn_id)
        except MatrixError as exc:
            if exc.transient:
                raise
            log.warning("could not post in %s: %s", room_id, exc.errcode)

    async def _send_reply(self, room_id: str, event, reply) -> None:
        try:
            # A failed attempt gets its own transaction id: if the batch is retried once the cause
            # (a locked database, say) is gone, the real answer is not swallowed as a duplicate.
            sent = await self.client.send(
                room_id,
                notice_content(reply.body, reply.html, in_reply_to=event.event_id, mention=event.sender),
                transaction_id(event.event_id, "reply-failed" if reply.incident else "reply"),
            )
            # Remember that this message names the person, so it can be redacted if they ask.
            await self.state.record_mention(sent, room_id, event.sender, self.clock())
            for number, attachment in enumerate(reply.attachments):
                await self.client.send_file(room_id, attachment.filename, attachment.content, attachment.mimetype,
                                            transaction_id(event.event_id, f"file{number}"), event.event_id)
            if reply.reaction:
                await self.client.react(room_id, event.event_id, reply.reaction, transaction_id(event.event_id, "reaction"))
        except MatrixError as exc:
            if exc.transient:
                raise
            log.warning("could not answer %s in %s: %s", event.event_id, room_id, exc.errcode)
