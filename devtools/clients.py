"""Helpers for the plain matrix-nio clients that tests and benchmarks use as "people"."""
from __future__ import annotations

from nio import AsyncClient


async def encryption_housekeeping(client: AsyncClient) -> None:
    """What nio's sync_forever does for encryption after each sync: send queued to-device
    messages, publish keys, learn other devices' keys, open Olm sessions."""
    await client.send_to_device_messages()
    if client.should_upload_keys:
        await client.keys_upload()
    if client.should_query_keys:
        await client.keys_query()
    if client.should_claim_keys:
        await client.keys_claim(client.get_users_for_key_claiming())
