"""End-to-end encryption beyond what matrix-nio does by itself.

- `bootstrap`: the cross-signing identity at start (see `bot.crosssigning`).
- `TrustPolicy`: which member devices get Lotse's room keys — all of them, or only the ones
  their owner cross-signed (checked cryptographically from `/keys/query`).
- `KeyRequests`: answers other members' requests for Lotse's own room keys under that
  policy (nio only answers Lotse's own devices).
- `Undecryptable`: messages Lotse cannot read. It requests the key, waits a little, then
  tells the sender once per room (not per message) and logs what an admin can do.
"""
from __future__ import annotations

import logging
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nio import MegolmEvent, RoomKeyRequest
from nio.exceptions import EncryptionError, LocalProtocolError

from bot.config import EncryptionSettings
from bot.crosssigning import CrossSigning, CrossSigningError, KeyFile, cross_signed_devices
from bot.matrix import MatrixClient

log = logging.getLogger(__name__)

TRUST_CACHE_SECONDS = 300
NOTICE_KEY = "undecryptable-notice:{room}:{sender}"


def cross_signing_for(client: MatrixClient, settings: EncryptionSettings, secret, password: str | None) -> CrossSigning:
    return CrossSigning(client, KeyFile(client.data_dir, secret(settings.key_passphrase_env)), password)


async def bootstrap(cross_signing: CrossSigning, reset: bool = False, out=None) -> bool:
    """Set up or check cross-signing; print a new recovery key once. False on a problem (logged)."""
    try:
        recovery_key = await cross_signing.ensure(reset=reset)
    except CrossSigningError as exc:
        log.error("cross-signing is not set up: %s", exc)
        return False
    if recovery_key:
        # Printed, not logged: log files are collected and kept; this is shown once.
        print(
            "\n"
            "  Lotse's recovery key (shown only this once; keep it somewhere safe, e.g. a password safe):\n\n"
            f"      {recovery_key}\n\n"
            "  With it, `lotse crypto restore` brings back the cross-signing keys if the data directory is lost.\n",
            file=out or sys.stdout, flush=True,
        )
    log.info("device %s is cross-signed", cross_signing.api.device_id)
    return True


class TrustPolicy:
    """Blacklists the devices that must not get room keys, before Lotse shares a session."""

    def __init__(self, client: MatrixClient, mode: str):
        self.client = client
        self.mode = mode
        self._signed: dict[str, tuple[float, set[str]]] = {}  # user -> (checked at, cross-signed devices)

    def forget(self, users) -> None:
        """Device lists changed: check these users again next time."""
        for user in users:
            self._signed.pop(user, None)

    async def refresh(self, users: list[str]) -> dict[str, set[str]]:
        now = time.monotonic()
        stale = [u for u in users if u not in self._signed or now - self._signed[u][0] > TRUST_CACHE_SECONDS]
        if stale:
            status, keys = await self.client.api("POST", "/_matrix/client/v3/keys/query",
                                                 {"device_keys": {u: [] for u in stale}})
            if status == 200:
                for user in stale:
                    self._signed[user] = (now, cross_signed_devices(keys, user))
            else:
                log.warning("could not check cross-signing of room members (%s)", status)
        return {u: self._signed.get(u, (0, set()))[1] for u in users}

    def trusted(self, user_id: str, device_id: str) -> bool:
        return self.mode == "all" or device_id in self._signed.get(user_id, (0, set()))[1]

    async def apply(self, room_id: str) -> None:
        if self.mode == "all":
            return
        nio = self.client.nio
        room = nio.rooms.get(room_id)
        if room is None or not room.encrypted or nio.olm is None:
            return
        users = list(room.users)
        signed = await self.refresh(users)
        changed = False
        for user in users:
            for device in nio.device_store.active_user_devices(user):
                if device.id == nio.device_id:
                    continue
                ok = device.id in signed[user]
                if not ok and not nio.olm.is_device_blacklisted(device):
                    nio.blacklist_device(device)
                    log.info("not sharing room keys with %s's device %s: not cross-signed", user, device.id)
                    changed = True
                elif ok and nio.olm.is_device_blacklisted(device):
                    nio.unblacklist_device(device)
                    changed = True
        if changed:
            # A new session, so that the set of devices holding it follows the policy.
            nio.olm.outbound_group_sessions.pop(room_id, None)


class KeyRequests:
    """Forward Lotse's own room keys to members' devices that ask for them."""

    def __init__(self, client: MatrixClient, policy: TrustPolicy):
        self.client = client
        self.policy = policy

    async def handle(self, events: list) -> None:
        requests = [e for e in events if isinstance(e, RoomKeyRequest) and e.sender != self.client.user_id]
        if not requests:
            return
        await self.policy.refresh(list({e.sender for e in requests}))
        for event in requests:
            refused = await self._answer(event)
            if refused:
                log.info("key request from %s's device %s refused: %s", event.sender, event.requesting_device_id, refused)

    def _device(self, user_id: str, device_id: str):
        return next((d for d in self.client.nio.device_store.active_user_devices(user_id) if d.id == device_id), None)

    async def _answer(self, event: RoomKeyRequest) -> str | None:
        """Forward the key, or say why not."""
        nio = self.client.nio
        olm = nio.olm
        if olm is None:
            return "encryption is off"
        room = nio.rooms.get(event.room_id)
        if room is None or event.sender not in room.users:
            return "not a member of the room"
        if event.sender_key != olm.account.identity_keys["curve25519"]:
            return "not a session Lotse created"
        session = olm.inbound_group_store.get(event.room_id, event.sender_key, event.session_id)
        if session is None:
            return "session unknown"
        device = self._device(event.sender, event.requesting_device_id)
        if device is None and nio.should_query_keys:
            await self.client._call("keys_query", lambda: nio.keys_query())  # a device that is new to Lotse
            device = self._device(event.sender, event.requesting_device_id)
        if device is None:
            return "unknown device"
        if olm.is_device_blacklisted(device) or not self.policy.trusted(event.sender, device.id):
            return "device not trusted under the trust policy"
        if olm.session_store.get(device.curve25519) is None:
            await self.client._call("keys_claim", lambda: nio.keys_claim({device.user_id: [device.id]}))
        olm_session = olm.session_store.get(device.curve25519)
        if olm_session is None:
            return "no Olm session could be made with the device"
        olm.outgoing_to_device_messages.append(olm._encrypt_forwarding_key(event.room_id, session, olm_session, device))
        log.info("forwarded a room key to %s's device %s", event.sender, device.id)
        return None


@dataclass
class Pending:
    room_id: str
    event: MegolmEvent
    since: float


class Undecryptable:
    """Messages Lotse could not decrypt: ask for the key, wait, then tell the sender once."""

    def __init__(self, client: MatrixClient, state, wait_seconds: float,
                 notify: Callable[[str, MegolmEvent], Awaitable[None]]):
        self.client = client
        self.state = state
        self.wait_seconds = wait_seconds
        self.notify = notify
        self.pending: dict[str, Pending] = {}

    async def arrived(self, room_id: str, event: MegolmEvent) -> None:
        if event.event_id in self.pending:
            return
        self.pending[event.event_id] = Pending(room_id, event, time.monotonic())
        await self.client.request_room_key(event)
        log.info("could not decrypt %s in %s from %s (session %s); requested the key",
                 event.event_id, room_id, event.sender, event.session_id)

    async def decrypted(self, room_id: str, sender: str) -> None:
        """A message from this sender could be read again: a later failure is worth a new notice."""
        if await self.state.get(NOTICE_KEY.format(room=room_id, sender=sender)):
            await self.state.set(NOTICE_KEY.format(room=room_id, sender=sender), "")

    async def retry(self, handle: Callable[[str, object], Awaitable[None]]) -> None:
        """Try the pending events again; hand over those that decrypt, give up on old ones."""
        now = time.monotonic()
        for event_id, item in list(self.pending.items()):
            try:
                event = self.client.nio.decrypt_event(item.event)
            except (EncryptionError, LocalProtocolError):
                event = None
            if event is not None and not isinstance(event, MegolmEvent):
                self.pending.pop(event_id, None)
                await handle(item.room_id, event)
                continue
            if now - item.since < self.wait_seconds:
                continue
            self.pending.pop(event_id, None)
            key = NOTICE_KEY.format(room=item.room_id, sender=item.event.sender)
            log.warning(
                "message %s from %s in %s stays undecryptable: the sender's device %s did not share its room key "
                "with Lotse's device %s. Check `lotse crypto status` (is the device cross-signed?), the "
                "encryption.trust setting, and that the sender's client does not block unverified devices; "
                "if Lotse's data directory was restored from an old backup, its sessions are gone.",
                event_id, item.event.sender, item.room_id, item.event.device_id, self.client.nio.device_id,
            )
            if await self.state.get(key):
                continue
            await self.notify(item.room_id, item.event)
            await self.state.set(key, "1")
