"""Messages that are not replies: where a `Destination` is in Matrix, and sending there once.

The only place that turns a destination into a room: the coordination room and the
Handlungsfeld rooms come from the configuration (resolved at start, `RoomDirectory`); a
person's direct messages are the room Lotse keeps for them in the bot state (created on
first use). Each message carries an idempotency key; the transaction ids derived from it
make a resend after a crash a no-op on the homeserver.
"""
from __future__ import annotations

import logging

from bot.events import RoomDirectory
from bot.matrix import HomeserverUnavailable, MatrixClient, MatrixError, notice_content, transaction_id
from commands.context import Outgoing
from knowledge.storage import BotStateRepository
from knowledge.values import Destination, DestinationKind

log = logging.getLogger(__name__)


class Delivery:
    def __init__(self, client: MatrixClient, state: BotStateRepository, rooms: RoomDirectory, redaction_reason: str = ""):
        self.client = client
        self.state = state
        self.rooms = rooms
        self.redaction_reason = redaction_reason  # shown by clients in place of a redacted message

    async def send(self, outgoing: Outgoing) -> None:
        """Send a job's or handler's message to its destination, once."""
        room_id = await self.room_for(outgoing.target)
        if room_id is None:
            log.warning("no room for a %s message; %s not delivered", outgoing.target.describe(), outgoing.key)
            return
        reply = outgoing.reply
        content = notice_content(reply.body, reply.html, mention_room=outgoing.mention_room)
        await self.client.send(room_id, content, transaction_id(outgoing.key, "outgoing"))
        for number, attachment in enumerate(reply.attachments):
            await self.client.send_file(room_id, attachment.filename, attachment.content, attachment.mimetype,
                                        transaction_id(outgoing.key, f"file{number}"))

    async def send_safely(self, outgoing: Outgoing) -> None:
        """For scheduled jobs: one message that cannot be delivered must not stop the others."""
        try:
            await self.send(outgoing)
        except (MatrixError, HomeserverUnavailable) as exc:
            log.warning("could not deliver %s to a %s: %s", outgoing.key, outgoing.target.describe(), exc)

    async def count_mentions(self, user_id: str) -> int:
        """How many of Lotse's messages named the person (kept for a while, for redaction)."""
        return len(await self.state.mentions_of(user_id))

    async def redact_mentions(self, user_id: str) -> int:
        """Redact Lotse's own messages that named the person (on their request); how many."""
        done = 0
        for room_id, event_id in await self.state.mentions_of(user_id):
            try:
                await self.client.redact(room_id, event_id, self.redaction_reason, transaction_id(event_id, "redact"))
                done += 1
            except MatrixError as exc:
                log.warning("could not redact %s: %s", event_id, exc.errcode)
            await self.state.forget_mention(event_id)
        return done

    async def room_for(self, target: Destination) -> str | None:
        if target.kind is DestinationKind.COORDINATION:
            return next(iter(sorted(self.rooms.coordination)), None)
        if target.kind is DestinationKind.DIRECT:
            assert target.user_id is not None
            return await self._direct_room(target.user_id)
        if target.kind is DestinationKind.ROOM:
            return target.room_id
        assert target.scope is not None
        hf_id = target.scope.hf_id
        return next((r for r, hf in self.rooms.handlungsfelder.items() if hf == hf_id), None)

    async def _direct_room(self, user_id: str) -> str:
        key = f"dm:{user_id}"
        room_id = await self.state.get(key)
        if room_id and room_id in self.client.nio.rooms:
            return room_id
        room_id = await self.client.create_direct_room(user_id)
        await self.state.set(key, room_id)
        return room_id
