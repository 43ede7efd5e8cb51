"""Cross-signing building blocks: keys, signatures, the key file, secret storage, recovery keys."""
from __future__ import annotations

import os
import stat
from functools import reduce

import base58
import pytest

from bot.crosssigning import (
    CrossSigningError,
    CrossSigningKeys,
    KeyFile,
    cross_signed_devices,
    decode_recovery_key,
    decrypt_secret,
    encode_recovery_key,
    encrypt_secret,
    key_description,
    key_fits,
)

USER = "@lotse:example.org"


def query_answer(keys: CrossSigningKeys, device: dict) -> dict:
    body = keys.upload_body(USER)
    return {
        "master_keys": {USER: body["master_key"]},
        "self_signing_keys": {USER: body["self_signing_key"]},
        "device_keys": {USER: {device["device_id"]: device}},
    }


def device(device_id: str = "DEVICE") -> dict:
    return {"user_id": USER, "device_id": device_id, "algorithms": ["m.megolm.v1.aes-sha2"],
            "keys": {f"ed25519:{device_id}": "abc", f"curve25519:{device_id}": "def"}}


def test_a_device_signed_by_the_self_signing_key_counts_as_cross_signed():
    keys = CrossSigningKeys.generate()
    signed = keys.sign_device(USER, device())
    assert cross_signed_devices(query_answer(keys, signed), USER) == {"DEVICE"}
    assert cross_signed_devices(query_answer(keys, device()), USER) == set()


def test_a_tampered_device_or_a_foreign_master_key_is_not_cross_signed():
    keys = CrossSigningKeys.generate()
    signed = keys.sign_device(USER, device())
    tampered = {**signed, "keys": {**signed["keys"], "curve25519:DEVICE": "evil"}}
    assert cross_signed_devices(query_answer(keys, tampered), USER) == set()
    answer = query_answer(keys, signed)
    answer["master_keys"][USER] = CrossSigningKeys.generate().upload_body(USER)["master_key"]
    assert cross_signed_devices(answer, USER) == set()


def test_the_key_file_is_private_and_round_trips(tmp_path):
    keys = CrossSigningKeys.generate()
    file = KeyFile(tmp_path)
    file.save(keys)
    assert stat.S_IMODE(file.path.stat().st_mode) == 0o600
    assert KeyFile(tmp_path).load() == keys


def test_a_sealed_key_file_needs_the_right_passphrase(tmp_path):
    keys = CrossSigningKeys.generate()
    KeyFile(tmp_path, "correct horse").save(keys)
    assert keys.seeds["master"] not in (tmp_path / "cross-signing.json").read_text()
    assert KeyFile(tmp_path, "correct horse").load() == keys
    with pytest.raises(CrossSigningError, match="passphrase does not open"):
        KeyFile(tmp_path, "wrong").load()
    with pytest.raises(CrossSigningError, match="none is set"):
        KeyFile(tmp_path).load()


def test_a_damaged_key_file_is_reported_not_replaced(tmp_path):
    (tmp_path / "cross-signing.json").write_text("{not json")
    with pytest.raises(CrossSigningError, match="damaged"):
        KeyFile(tmp_path).load()


def test_recovery_keys_round_trip_and_typos_are_caught():
    key = os.urandom(32)
    text = encode_recovery_key(key)
    # The spec's format: base58 of 0x8B 0x01, the key and a parity byte, in groups of four.
    # Every such key starts "Es"; the third character depends on the key (EsT, EsU, rarely EsS).
    assert text.startswith("Es") and all(len(group) == 4 for group in text.split()[:-1])
    raw = base58.b58decode(text.replace(" ", ""))
    assert raw[:2] == bytes([0x8B, 0x01]) and raw[2:34] == key and len(raw) == 35
    assert reduce(lambda a, b: a ^ b, raw, 0) == 0
    for extreme in (bytes(32), bytes([255]) * 32):  # the smallest and largest keys decode too
        assert decode_recovery_key(encode_recovery_key(extreme)) == extreme
    assert decode_recovery_key(text) == key
    assert decode_recovery_key(text.replace(" ", "")) == key
    typo = text[:5] + ("a" if text[5] != "a" else "b") + text[6:]
    with pytest.raises(CrossSigningError):
        decode_recovery_key(typo)
    with pytest.raises(CrossSigningError):
        decode_recovery_key("0OIl")


def test_secrets_decrypt_only_with_their_key_and_name():
    key = os.urandom(32)
    sealed = encrypt_secret(key, "m.cross_signing.master", "seed-value")
    assert decrypt_secret(key, "m.cross_signing.master", sealed) == "seed-value"
    with pytest.raises(CrossSigningError):
        decrypt_secret(os.urandom(32), "m.cross_signing.master", sealed)
    with pytest.raises(CrossSigningError):
        decrypt_secret(key, "m.cross_signing.self_signing", sealed)
    description = key_description(key)
    assert key_fits(key, description) and not key_fits(os.urandom(32), description)
