"""Cross-signing for Lotse's own device, so that clients that only trust cross-signed
devices (the 2026 default) read Lotse and are read by it.

matrix-nio has no cross-signing (its issue #229); this module adds the part a bot needs:

- three Ed25519 keys (master, self-signing, user-signing), made once and kept in
  `cross-signing.json` in the data directory (mode 0600, optionally sealed with a
  passphrase: Argon2id + XSalsa20-Poly1305 from PyNaCl);
- their upload (`/keys/device_signing/upload`, user-interactive auth with the password)
  and the self-signing key's signature on Lotse's device (`/keys/signatures/upload`);
- a copy of the keys in the account's secret storage (`m.secret_storage.v1.aes-hmac-sha2`,
  the format Element uses), opened by a recovery key that is shown once. With it,
  `lotse crypto restore` brings the keys back after a lost data directory.

Signing and verifying use `signedjson` (canonical JSON + Ed25519, by the Matrix.org team).
"""
from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

import base58
import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from signedjson.key import (
    decode_signing_key_base64,
    decode_verify_key_base64,
    encode_signing_key_base64,
    encode_verify_key_base64,
    generate_signing_key,
    get_verify_key,
)
from signedjson.sign import SignatureVerifyException, sign_json, verify_signed_json

from bot.files import write_private_json

log = logging.getLogger(__name__)

USAGES = ("master", "self_signing", "user_signing")
KEY_FILE = "cross-signing.json"
SSSS_ALGORITHM = "m.secret_storage.v1.aes-hmac-sha2"
RECOVERY_PREFIX = b"\x8b\x01"
ADMIN_HINT = (
    "An administrator of the homeserver can allow a replacement without the password: "
    "POST /_synapse/admin/v1/users/{user_id}/_allow_cross_signing_replacement_without_uia, "
    "then run `lotse crypto bootstrap --reset` within ten minutes."
)


class CrossSigningError(Exception):
    """A problem an administrator has to act on; the message says what to do."""


# ----- keys ----------------------------------------------------------------------------------


def _signing_key(seed_b64: str):
    """An Ed25519 key from its seed, with signedjson's key id set to the Matrix form `ed25519:<public>`."""
    key = decode_signing_key_base64("ed25519", "x", seed_b64)
    key.version = encode_verify_key_base64(get_verify_key(key))
    return key


@dataclass(frozen=True)
class CrossSigningKeys:
    seeds: dict[str, str]  # usage -> unpadded base64 seed

    @classmethod
    def generate(cls) -> CrossSigningKeys:
        return cls({usage: encode_signing_key_base64(generate_signing_key("x")) for usage in USAGES})

    def key(self, usage: str):
        return _signing_key(self.seeds[usage])

    def public(self, usage: str) -> str:
        return self.key(usage).version

    def key_object(self, user_id: str, usage: str) -> dict[str, Any]:
        public = self.public(usage)
        return {"user_id": user_id, "usage": [usage], "keys": {f"ed25519:{public}": public}}

    def upload_body(self, user_id: str) -> dict[str, Any]:
        """The three public keys; the self-signing and user-signing keys signed by the master key."""
        master = self.key("master")
        return {
            "master_key": self.key_object(user_id, "master"),
            "self_signing_key": sign_json(self.key_object(user_id, "self_signing"), user_id, master),
            "user_signing_key": sign_json(self.key_object(user_id, "user_signing"), user_id, master),
        }

    def sign_device(self, user_id: str, device_keys: dict[str, Any]) -> dict[str, Any]:
        """The device's key object with the self-signing key's signature added."""
        return sign_json(copy.deepcopy(device_keys), user_id, self.key("self_signing"))


def key_id_and_public(key_object: dict[str, Any]) -> tuple[str, str]:
    ((key_id, public),) = key_object["keys"].items()
    return key_id, public


def verify(signed: dict[str, Any], user_id: str, key_object: dict[str, Any]) -> bool:
    """True if `signed` carries a valid signature by the (single) key in `key_object`."""
    key_id, public = key_id_and_public(key_object)
    verify_key = decode_verify_key_base64("ed25519", key_id.split(":", 1)[1], public)
    try:
        verify_signed_json(signed, user_id, verify_key)
    except SignatureVerifyException:
        return False
    return True


def cross_signed_devices(keys: dict[str, Any], user_id: str) -> set[str]:
    """Device ids of `user_id` that its self-signing key signed, where the master key signed
    that self-signing key. `keys` is a `/keys/query` answer."""
    master = (keys.get("master_keys") or {}).get(user_id)
    self_signing = (keys.get("self_signing_keys") or {}).get(user_id)
    if not master or not self_signing or not verify(self_signing, user_id, master):
        return set()
    devices = (keys.get("device_keys") or {}).get(user_id) or {}
    return {device_id for device_id, device in devices.items() if verify(device, user_id, self_signing)}


# ----- the key file --------------------------------------------------------------------------


class KeyFile:
    """`cross-signing.json` in the data directory, readable only by Lotse's user."""

    def __init__(self, data_dir: Path, passphrase: str | None = None):
        self.path = data_dir / KEY_FILE
        self.passphrase = passphrase

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> CrossSigningKeys | None:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise CrossSigningError(f"{self.path} is damaged ({exc}); restore it from a backup or with the recovery key") from None
        if data.get("sealed"):
            if not self.passphrase:
                raise CrossSigningError(f"{self.path} is sealed with a passphrase, but none is set in the environment")
            box = nacl.secret.SecretBox(self._derive(base64.b64decode(data["salt"])))
            try:
                seeds = json.loads(box.decrypt(base64.b64decode(data["box"])))
            except nacl.exceptions.CryptoError:
                raise CrossSigningError(f"the passphrase does not open {self.path}") from None
        else:
            seeds = data["keys"]
        return CrossSigningKeys({usage: seeds[usage] for usage in USAGES})

    def save(self, keys: CrossSigningKeys) -> None:
        if self.passphrase:
            salt = nacl.utils.random(nacl.pwhash.argon2id.SALTBYTES)
            box = nacl.secret.SecretBox(self._derive(salt))
            data: dict[str, Any] = {
                "version": 1, "sealed": True, "kdf": "argon2id",
                "salt": base64.b64encode(salt).decode(),
                "box": base64.b64encode(box.encrypt(json.dumps(keys.seeds).encode())).decode(),
            }
        else:
            data = {"version": 1, "sealed": False, "keys": keys.seeds}
        write_private_json(self.path, data)

    def _derive(self, salt: bytes) -> bytes:
        assert self.passphrase
        return nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE, self.passphrase.encode(), salt,
            opslimit=nacl.pwhash.argon2id.OPSLIMIT_MODERATE, memlimit=nacl.pwhash.argon2id.MEMLIMIT_MODERATE,
        )


# ----- secret storage and the recovery key ---------------------------------------------------


def encode_recovery_key(key: bytes) -> str:
    data = RECOVERY_PREFIX + key
    data += bytes([reduce(lambda a, b: a ^ b, data, 0)])
    text = base58.b58encode(data).decode()
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def decode_recovery_key(text: str) -> bytes:
    try:
        data = base58.b58decode("".join(text.split()))
    except ValueError:
        raise CrossSigningError("this is not a recovery key (it has characters a recovery key never has)") from None
    if len(data) != 35 or not data.startswith(RECOVERY_PREFIX) or reduce(lambda a, b: a ^ b, data, 0) != 0:
        raise CrossSigningError("this is not a valid recovery key (check for typos)")
    return data[2:34]


def _secret_keys(key: bytes, name: str) -> tuple[bytes, bytes]:
    derived = HKDF(algorithm=hashes.SHA256(), length=64, salt=bytes(32), info=name.encode()).derive(key)
    return derived[:32], derived[32:]


def encrypt_secret(key: bytes, name: str, secret: str, iv: bytes | None = None) -> dict[str, str]:
    aes_key, mac_key = _secret_keys(key, name)
    iv = bytearray(iv or secrets.token_bytes(16))
    iv[8] &= 0x7F  # the spec clears bit 63 so the counter cannot wrap
    encryptor = Cipher(algorithms.AES(aes_key), modes.CTR(bytes(iv))).encryptor()
    ciphertext = encryptor.update(secret.encode()) + encryptor.finalize()
    mac = hmac.new(mac_key, ciphertext, hashlib.sha256).digest()
    return {k: base64.b64encode(v).decode() for k, v in (("iv", bytes(iv)), ("ciphertext", ciphertext), ("mac", mac))}


def decrypt_secret(key: bytes, name: str, encrypted: dict[str, str]) -> str:
    aes_key, mac_key = _secret_keys(key, name)
    ciphertext = base64.b64decode(encrypted["ciphertext"] + "==")
    mac = hmac.new(mac_key, ciphertext, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, base64.b64decode(encrypted["mac"] + "==")):
        raise CrossSigningError("the recovery key does not fit this account's secret storage")
    decryptor = Cipher(algorithms.AES(aes_key), modes.CTR(base64.b64decode(encrypted["iv"] + "=="))).decryptor()
    return (decryptor.update(ciphertext) + decryptor.finalize()).decode()


def key_description(key: bytes) -> dict[str, str]:
    """The `m.secret_storage.key.*` content: lets a client check a recovery key before using it."""
    check = encrypt_secret(key, "", "\0" * 32)
    return {"algorithm": SSSS_ALGORITHM, "name": "Lotse recovery key", "iv": check["iv"], "mac": check["mac"]}


def key_fits(key: bytes, description: dict[str, Any]) -> bool:
    check = encrypt_secret(key, "", "\0" * 32, iv=base64.b64decode(description["iv"] + "=="))
    return hmac.compare_digest(check["mac"].rstrip("="), str(description.get("mac", "")).rstrip("="))


# ----- talking to the homeserver -------------------------------------------------------------


class Api(Protocol):
    user_id: str
    device_id: str

    async def api(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]: ...


@dataclass
class Status:
    user_id: str
    device_id: str
    local_keys: bool = False
    sealed: bool = False
    server_master: str | None = None
    local_master: str | None = None
    self_signing_valid: bool = False
    device_signed: bool = False
    secret_storage: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def cross_signed(self) -> bool:
        return bool(self.server_master and self.server_master == self.local_master and self.self_signing_valid and self.device_signed)

    def lines(self) -> list[str]:
        yes = {True: "yes", False: "no"}
        return [
            f"user:                 {self.user_id}",
            f"device:               {self.device_id}",
            f"local keys:           {yes[self.local_keys]}{' (sealed with a passphrase)' if self.sealed else ''}",
            f"master key (server):  {self.server_master or 'none'}",
            f"master key (local):   {self.local_master or 'none'}",
            f"self-signing key:     {'signed by the master key' if self.self_signing_valid else 'missing or not signed'}",
            f"this device:          {'cross-signed' if self.device_signed else 'NOT cross-signed'}",
            f"secret storage:       {'holds the keys (recovery key)' if self.secret_storage else 'none'}",
            *[f"problem:              {p}" for p in self.problems],
        ]


def _user_path(user_id: str) -> str:
    return quote(user_id, safe="")


class CrossSigning:
    """Bootstrap, check and restore the cross-signing identity of Lotse's account."""

    def __init__(self, api: Api, key_file: KeyFile, password: str | None):
        self.api = api
        self.key_file = key_file
        self.password = password

    @property
    def user_id(self) -> str:
        return self.api.user_id

    async def _query(self) -> dict[str, Any]:
        status, body = await self.api.api("POST", "/_matrix/client/v3/keys/query", {"device_keys": {self.user_id: []}})
        if status != 200:
            raise CrossSigningError(f"the homeserver refused /keys/query ({status} {body.get('errcode')})")
        return body

    async def status(self) -> Status:
        keys = await self._query()
        st = Status(self.user_id, self.api.device_id)
        try:
            local = self.key_file.load()
        except CrossSigningError as exc:
            local = None
            st.local_keys = self.key_file.exists()
            st.problems.append(str(exc))
        if local:
            st.local_keys, st.local_master = True, local.public("master")
            st.sealed = bool(self.key_file.passphrase)
        master = (keys.get("master_keys") or {}).get(self.user_id)
        if master:
            st.server_master = key_id_and_public(master)[1]
            st.self_signing_valid = bool((keys.get("self_signing_keys") or {}).get(self.user_id)) and verify(
                keys["self_signing_keys"][self.user_id], self.user_id, master)
            st.device_signed = self.api.device_id in cross_signed_devices(keys, self.user_id)
        if st.server_master and st.local_master and st.server_master != st.local_master:
            st.problems.append("the homeserver has other cross-signing keys than this data directory")
        st.secret_storage = await self._account_data("m.cross_signing.master") is not None
        return st

    async def ensure(self, reset: bool = False) -> str | None:
        """Make sure the account has cross-signing keys, Lotse holds them, and this device is
        signed. Returns a new recovery key if secret storage was set up now (show it once)."""
        keys = await self._query()
        server_master = (keys.get("master_keys") or {}).get(self.user_id)
        local = self.key_file.load()
        if local is None or reset:
            if server_master and not reset:
                raise CrossSigningError(
                    "the account already has cross-signing keys, but they are not in the data directory "
                    f"({self.key_file.path}). Bring them back with `lotse crypto restore` and the recovery key, "
                    "or make new ones with `lotse crypto bootstrap --reset` (members' clients will then see "
                    "a changed identity)."
                )
            local = CrossSigningKeys.generate()
            # Stored before the upload: a crash in between leaves keys to upload, never keys lost.
            self.key_file.save(local)
            log.info("created new cross-signing keys in %s", self.key_file.path)
            server_master = None
        if server_master is None:
            await self._upload_keys(local)
            keys = await self._query()
        elif key_id_and_public(server_master)[1] != local.public("master"):
            raise CrossSigningError(
                "the homeserver has other cross-signing keys than the data directory (replaced by another client?). "
                "Restore the matching keys with `lotse crypto restore`, or replace them with `lotse crypto bootstrap --reset`."
            )
        if self.api.device_id not in cross_signed_devices(keys, self.user_id):
            await self._sign_device(local, keys)
        if await self._account_data("m.cross_signing.master") is None or reset:
            return await self._store_in_secret_storage(local)
        return None

    async def restore(self, recovery_key: str) -> None:
        """Bring the keys back from secret storage into the data directory and sign this device."""
        key = decode_recovery_key(recovery_key)
        default = await self._account_data("m.secret_storage.default_key")
        if not default:
            raise CrossSigningError("this account has no secret storage; nothing to restore")
        key_id = default["key"]
        description = await self._account_data(f"m.secret_storage.key.{key_id}")
        if not description or not key_fits(key, description):
            raise CrossSigningError("the recovery key does not fit this account's secret storage")
        seeds = {}
        for usage in USAGES:
            stored = await self._account_data(f"m.cross_signing.{usage}")
            if not stored or key_id not in stored.get("encrypted", {}):
                raise CrossSigningError(f"secret storage holds no {usage.replace('_', '-')} key")
            seeds[usage] = decrypt_secret(key, f"m.cross_signing.{usage}", stored["encrypted"][key_id])
        restored = CrossSigningKeys(seeds)
        keys = await self._query()
        server_master = (keys.get("master_keys") or {}).get(self.user_id)
        if not server_master or key_id_and_public(server_master)[1] != restored.public("master"):
            raise CrossSigningError("the keys in secret storage are not the account's current cross-signing keys")
        self.key_file.save(restored)
        if self.api.device_id not in cross_signed_devices(keys, self.user_id):
            await self._sign_device(restored, keys)

    async def _upload_keys(self, keys: CrossSigningKeys) -> None:
        path = "/_matrix/client/v3/keys/device_signing/upload"
        body = keys.upload_body(self.user_id)
        status, answer = await self.api.api("POST", path, body)
        if status == 401 and "session" in answer:
            if not self.password:
                raise CrossSigningError(
                    "the homeserver asks for the bot's password to upload cross-signing keys, and none is set. "
                    + ADMIN_HINT.format(user_id=self.user_id)
                )
            auth = {"type": "m.login.password", "identifier": {"type": "m.id.user", "user": self.user_id},
                    "password": self.password, "session": answer["session"]}
            status, answer = await self.api.api("POST", path, {**body, "auth": auth})
        if status != 200:
            raise CrossSigningError(
                f"the homeserver refused the cross-signing keys ({status} {answer.get('errcode')}: {answer.get('error')}). "
                + ADMIN_HINT.format(user_id=self.user_id)
            )
        log.info("uploaded cross-signing keys (master key %s)", keys.public("master"))

    async def _sign_device(self, keys: CrossSigningKeys, query: dict[str, Any]) -> None:
        device = ((query.get("device_keys") or {}).get(self.user_id) or {}).get(self.api.device_id)
        if device is None:
            raise CrossSigningError(f"the homeserver does not know the device keys of {self.api.device_id} yet")
        device = {k: v for k, v in device.items() if k != "unsigned"}
        signed = keys.sign_device(self.user_id, device)
        status, answer = await self.api.api(
            "POST", "/_matrix/client/v3/keys/signatures/upload", {self.user_id: {self.api.device_id: signed}})
        if status != 200 or answer.get("failures"):
            raise CrossSigningError(f"the homeserver refused the device signature ({status}: {answer})")
        log.info("signed device %s with the self-signing key", self.api.device_id)

    async def _account_data(self, event_type: str) -> dict[str, Any] | None:
        status, body = await self.api.api(
            "GET", f"/_matrix/client/v3/user/{_user_path(self.user_id)}/account_data/{event_type}")
        if status == 404:
            return None
        if status != 200:
            raise CrossSigningError(f"the homeserver refused to read account data ({status} {body.get('errcode')})")
        return body or None

    async def _put_account_data(self, event_type: str, content: dict[str, Any]) -> None:
        status, body = await self.api.api(
            "PUT", f"/_matrix/client/v3/user/{_user_path(self.user_id)}/account_data/{event_type}", content)
        if status != 200:
            raise CrossSigningError(f"the homeserver refused to store account data ({status} {body.get('errcode')})")

    async def _store_in_secret_storage(self, keys: CrossSigningKeys) -> str:
        key = secrets.token_bytes(32)
        key_id = secrets.token_urlsafe(24)
        await self._put_account_data(f"m.secret_storage.key.{key_id}", key_description(key))
        for usage in USAGES:
            name = f"m.cross_signing.{usage}"
            await self._put_account_data(name, {"encrypted": {key_id: encrypt_secret(key, name, keys.seeds[usage])}})
        await self._put_account_data("m.secret_storage.default_key", {"key": key_id})
        log.info("stored the cross-signing keys in the account's secret storage")
        return encode_recovery_key(key)
