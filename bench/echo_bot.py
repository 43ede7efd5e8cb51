"""The homeserver's floor: a minimal echo client with plain matrix-nio.

Joins on invite and answers every m.text with an m.notice reply. No storage, no checks.
Usage: python -m bench.echo_bot HOMESERVER USER_ID PASSWORD
"""
from __future__ import annotations

import asyncio
import sys

from nio import AsyncClient, AsyncClientConfig, InviteMemberEvent, MatrixRoom, RoomMessageText


async def main(homeserver: str, user_id: str, password: str) -> None:
    client = AsyncClient(homeserver, user_id, config=AsyncClientConfig(encryption_enabled=False))
    await client.login(password)
    first = await client.sync(timeout=0)

    async def on_message(room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender == user_id:
            return
        await client.room_send(room.room_id, "m.room.message", {
            "msgtype": "m.notice", "body": "pong",
            "m.relates_to": {"m.in_reply_to": {"event_id": event.event_id}},
        })

    async def on_invite(room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == user_id:
            await client.join(room.room_id)

    client.add_event_callback(on_message, RoomMessageText)
    client.add_event_callback(on_invite, InviteMemberEvent)
    await client.sync_forever(timeout=30000, since=first.next_batch)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
