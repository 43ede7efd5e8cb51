"""matrix-nio behind a small surface that raises instead of returning error responses.

Nothing outside this module checks nio response types. Rate limits (M_LIMIT_EXCEEDED)
are retried here with the server's `retry_after_ms`; connection problems surface as
`HomeserverUnavailable` so the sync loop can back off.
"""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from nio import (
    AsyncClient,
    AsyncClientConfig,
    ErrorResponse,
    JoinResponse,
    LoginResponse,
    MegolmEvent,
    MessageDirection,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
    WhoamiResponse,
)
from nio.exceptions import EncryptionError, LocalProtocolError

from bot.files import write_private_json

log = logging.getLogger(__name__)

MAX_RATE_LIMIT_RETRIES = 8
TRANSIENT = (aiohttp.ClientError, asyncio.TimeoutError, ConnectionError, OSError)


class MatrixError(Exception):
    """The homeserver answered with an error."""

    def __init__(self, what: str, errcode: str | None, message: str, status: int | None = None):
        super().__init__(f"{what}: {errcode or status} {message}")
        self.errcode = errcode
        self.status = status

    @property
    def transient(self) -> bool:
        """Worth retrying later: server trouble rather than a refusal."""
        return self.status is None or self.status >= 500 or self.errcode == "M_LIMIT_EXCEEDED"


class HomeserverUnavailable(Exception):
    """The homeserver could not be reached at all."""


@dataclass(frozen=True)
class Session:
    user_id: str
    device_id: str
    access_token: str


def transaction_id(event_id: str, purpose: str) -> str:
    """A transaction id derived from the triggering event: a resend after a crash is deduplicated."""
    return "lotse-" + hashlib.sha256(f"{purpose}\0{event_id}".encode()).hexdigest()[:40]


def notice_content(
    body: str, html: str, in_reply_to: str | None = None, mention: str | None = None, mention_room: bool = False
) -> dict[str, Any]:
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": html,
        # Intentional mentions: only the person replied to, never the whole room.
        "m.mentions": {"room": True} if mention_room else ({"user_ids": [mention]} if mention else {}),
    }
    if in_reply_to:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": in_reply_to}}
    return content


class MatrixClient:
    """One device, kept for life: the session (device id, token) is stored in the data dir."""

    def __init__(self, homeserver: str, user_id: str, device_name: str, data_dir: Path):
        self.homeserver = homeserver
        self.user_id = user_id
        self.device_name = device_name
        self.data_dir = data_dir
        self.session_file = data_dir / "session.json"
        self.store_dir = data_dir / "crypto-store"
        self.nio = AsyncClient(
            homeserver,
            user_id,
            store_path=str(self.store_dir),
            config=AsyncClientConfig(
                max_limit_exceeded=0,  # rate limits surface here and are retried with retry_after_ms
                max_timeouts=0,
                request_timeout=30,
                store_sync_tokens=False,  # the sync token lives in Lotse's database
            ),
        )
        # Called before Lotse sends into an encrypted room (the trust policy blacklists devices).
        self.before_encrypted_send: Callable[[str], Awaitable[None]] | None = None

    @property
    def device_id(self) -> str:
        return self.nio.device_id

    # ----- session -------------------------------------------------------------------------

    def _load_session(self) -> Session | None:
        try:
            data = json.loads(self.session_file.read_text())
            return Session(data["user_id"], data["device_id"], data["access_token"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError):
            log.warning("session file %s is unreadable; logging in again", self.session_file)
            return None

    def _save_session(self, session: Session) -> None:
        write_private_json(self.session_file, session.__dict__)

    async def login(self, password: str | None, access_token: str | None) -> Session:
        """Restore the stored device, or log in once and store it. Never a second device."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        stored = self._load_session()
        if stored and stored.user_id == self.user_id:
            self.nio.restore_login(stored.user_id, stored.device_id, stored.access_token)
            whoami = await self._call("whoami", self.nio.whoami(), allow_error=True)
            if isinstance(whoami, WhoamiResponse):
                log.info("restored device %s", stored.device_id)
                return stored
            log.warning("stored access token no longer valid; logging in again with the same device")
            self.nio.access_token = ""
        if access_token:
            self.nio.access_token = access_token
            whoami = await self._call("whoami", self.nio.whoami())
            session = Session(self.user_id, whoami.device_id, access_token)
        elif password:
            device_id = stored.device_id if stored and stored.user_id == self.user_id else None
            if device_id:
                self.nio.device_id = device_id
            resp = await self._call("login", self.nio.login(password, device_name=self.device_name))
            assert isinstance(resp, LoginResponse)
            session = Session(resp.user_id, resp.device_id, resp.access_token)
        else:
            raise MatrixError("login", "M_MISSING_TOKEN", "no password or access token in the environment")
        self._save_session(session)
        self.nio.restore_login(session.user_id, session.device_id, session.access_token)
        log.info("logged in as device %s", session.device_id)
        return session

    # ----- requests ------------------------------------------------------------------------

    async def _call(self, what: str, request, allow_error: bool = False):
        """Await a nio request; retry rate limits; raise MatrixError/HomeserverUnavailable."""
        factory = request if callable(request) else None
        attempt = 0
        while True:
            try:
                resp = await (factory() if factory else request)
            except TRANSIENT as exc:
                raise HomeserverUnavailable(f"{what}: {type(exc).__name__}") from exc
            if not isinstance(resp, ErrorResponse):
                return resp
            if resp.status_code == "M_LIMIT_EXCEEDED" and factory and attempt < MAX_RATE_LIMIT_RETRIES:
                attempt += 1
                wait = (resp.retry_after_ms or 1000) / 1000
                log.warning("%s rate limited; retrying in %.1f s", what, wait)
                await asyncio.sleep(wait)
                continue
            if allow_error:
                return resp
            status = getattr(resp, "transport_response", None)
            raise MatrixError(what, resp.status_code, resp.message, status.status if status else None)

    async def sync(self, since: str | None, timeout_ms: int, full_state: bool) -> SyncResponse:
        sync_filter = {
            "presence": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
            "room": {"timeline": {"limit": 100}, "account_data": {"not_types": ["*"]}},
        }
        return await self._call(
            "sync",
            lambda: self.nio.sync(
                timeout=timeout_ms, since=since, full_state=full_state, sync_filter=sync_filter
            ),
        )

    async def after_sync(self) -> None:
        """Encryption housekeeping nio's own sync_forever would do: keys and to-device messages."""
        if not self.nio.olm:
            return
        await self._call("to_device", lambda: self.nio.send_to_device_messages())
        if self.nio.should_upload_keys:
            await self._call("keys_upload", lambda: self.nio.keys_upload())
        if self.nio.should_query_keys:
            await self._call("keys_query", lambda: self.nio.keys_query())
        if self.nio.should_claim_keys:
            await self._call(
                "keys_claim", lambda: self.nio.keys_claim(self.nio.get_users_for_key_claiming())
            )

    async def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        """A client-API request nio has no method for: (HTTP status, JSON body). Rate limits retried."""
        headers = {"Authorization": f"Bearer {self.nio.access_token}", "Content-Type": "application/json"}
        for _attempt in range(MAX_RATE_LIMIT_RETRIES + 1):
            try:
                resp = await self.nio.send(method, path, json.dumps(body) if body is not None else None, headers)
                async with resp:
                    data = await resp.json(content_type=None) if resp.content_length != 0 else {}
            except TRANSIENT as exc:
                raise HomeserverUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
            data = data if isinstance(data, dict) else {}
            if resp.status != 429:
                return resp.status, data
            wait = (data.get("retry_after_ms") or 1000) / 1000
            log.warning("%s rate limited; retrying in %.1f s", path, wait)
            await asyncio.sleep(wait)
        return resp.status, data

    async def upload_device_keys(self) -> None:
        """Publish this device's identity keys now (cross-signing needs them before the first sync)."""
        self._accept_forwards_from_the_session_creator()
        if self.nio.olm and self.nio.should_upload_keys:
            await self._call("keys_upload", lambda: self.nio.keys_upload())

    async def request_room_key(self, event) -> None:
        """Ask for a missing room key: nio asks Lotse's own devices; the sender's device is asked too,
        because a bot usually has no other device that could hold the key."""
        try:
            await self._call("room_key_request", self.nio.request_room_key(event), allow_error=True)
        except LocalProtocolError:
            return  # already requested for this session
        message = event.as_key_request(event.sender, self.nio.device_id, event.session_id, event.device_id)
        await self._call("to_device", self.nio.to_device(message), allow_error=True)

    def _accept_forwards_from_the_session_creator(self) -> None:
        """nio takes forwarded room keys only from Lotse's own verified devices. A key that the
        device which created the session forwards itself (in answer to Lotse's request) is as good
        as the original m.room_key, so it is accepted too."""
        olm = self.nio.olm
        if olm is None or getattr(olm, "_lotse_forward_rule", False):
            return
        accept = olm._should_accept_forward

        def should_accept(sender: str, sender_key: str, event) -> bool:
            if accept(sender, sender_key, event):
                return True
            content = event.source.get("content", {})
            request = olm.outgoing_key_requests.get(event.session_id)
            return bool(
                request is not None
                and request.room_id == event.room_id
                and content.get("sender_key") == sender_key
                and not content.get("forwarding_curve25519_key_chain")
            )

        olm._should_accept_forward = should_accept
        olm._lotse_forward_rule = True

    async def send(self, room_id: str, content: dict[str, Any], txn_id: str, event_type: str = "m.room.message") -> str:
        room = self.nio.rooms.get(room_id)
        if self.before_encrypted_send and room is not None and room.encrypted:
            await self.before_encrypted_send(room_id)
        resp = await self._call(
            "send",
            lambda: self.nio.room_send(
                room_id, event_type, content, tx_id=txn_id, ignore_unverified_devices=True
            ),
        )
        assert isinstance(resp, RoomSendResponse)
        return resp.event_id

    async def react(self, room_id: str, event_id: str, key: str, txn_id: str) -> None:
        content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": key}}
        await self.send(room_id, content, txn_id, event_type="m.reaction")

    async def join(self, room: str) -> str:
        resp = await self._call("join", lambda: self.nio.join(room))
        assert isinstance(resp, JoinResponse)
        return resp.room_id

    async def send_file(self, room_id: str, filename: str, content: bytes, mimetype: str, txn_id: str,
                        in_reply_to: str | None = None) -> str:
        """Upload a file (encrypted in encrypted rooms) and post it as m.file."""
        room = self.nio.rooms.get(room_id)
        encrypt = bool(room and room.encrypted)
        resp, keys = await self.nio.upload(lambda *_: io.BytesIO(content), content_type=mimetype, filename=filename,
                                           filesize=len(content), encrypt=encrypt)
        if isinstance(resp, ErrorResponse):
            raise MatrixError("upload", resp.status_code, resp.message)
        message = {"msgtype": "m.file", "body": filename, "filename": filename, "info": {"mimetype": mimetype, "size": len(content)}}
        if encrypt:
            message["file"] = {**keys, "url": resp.content_uri}
        else:
            message["url"] = resp.content_uri
        if in_reply_to:
            message["m.relates_to"] = {"m.in_reply_to": {"event_id": in_reply_to}}
        return await self.send(room_id, message, txn_id)

    async def redact(self, room_id: str, event_id: str, reason: str, txn_id: str) -> None:
        await self._call("redact", lambda: self.nio.room_redact(room_id, event_id, reason=reason, tx_id=txn_id))

    async def create_direct_room(self, user_id: str) -> str:
        resp = await self._call(
            "room_create",
            lambda: self.nio.room_create(is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat),
        )
        return resp.room_id

    async def leave(self, room_id: str) -> None:
        await self._call("leave", lambda: self.nio.room_leave(room_id))

    async def messages_before(self, room_id: str, token: str, limit: int = 100) -> tuple[list, str | None]:
        """One page of room history before `token`, newest first, and the token for the next page."""
        resp = await self._call(
            "messages", lambda: self.nio.room_messages(room_id, start=token, direction=MessageDirection.back, limit=limit)
        )
        return list(resp.chunk), resp.end if resp.chunk else None

    async def get_event(self, room_id: str, event_id: str) -> tuple[str, dict] | None:
        """Sender and content of one event, or None if it cannot be read (gone, or not allowed)."""
        resp = await self._call("get_event", lambda: self.nio.room_get_event(room_id, event_id), allow_error=True)
        event = getattr(resp, "event", None)
        if isinstance(event, MegolmEvent) and self.nio.olm:
            try:
                event = self.nio.decrypt_event(event)
            except (EncryptionError, LocalProtocolError):
                return None
        if event is None or isinstance(event, MegolmEvent):
            return None
        return event.sender, event.source.get("content", {})

    async def resolve_alias(self, alias: str) -> str | None:
        resp = await self._call("resolve_alias", lambda: self.nio.room_resolve_alias(alias), allow_error=True)
        return getattr(resp, "room_id", None)

    async def close(self) -> None:
        await self.nio.close()
