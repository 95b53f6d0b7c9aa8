"""The backup blob: it opens with its password only, and refuses anything altered."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.backup import blob_rules
from services.backup.blob_rules import BadBlob, KdfParams, WrongPassword

FAST = KdfParams(time_cost=1, memory_kib=1024, parallelism=1)
PAYLOAD = {"account": {"wa_id": "15550100", "token": "secret-token"}, "settings": {"sent_status": True}}


def _seal(payload=PAYLOAD, password="correct horse", params=FAST) -> str:
    return blob_rules.seal(password, payload, params)


def _parts(blob: str) -> tuple[bytes, dict, bytes]:
    data = base64.b64decode(blob)
    end = 7 + int.from_bytes(data[5:7], "big")
    return data[:7], json.loads(data[7:end]), data[end:]


def _join(prefix: bytes, header: dict, rest: bytes) -> str:
    raw = json.dumps(header).encode()
    prefix = prefix[:5] + len(raw).to_bytes(2, "big")
    return base64.b64encode(prefix + raw + rest).decode()


def test_round_trip_gives_back_the_payload():
    assert blob_rules.open_blob("correct horse", _seal()) == PAYLOAD


def test_each_seal_has_its_own_salt_and_nonce():
    first, second = _seal(), _seal()
    assert first != second
    assert _parts(first)[1]["salt"] != _parts(second)[1]["salt"]


def test_secrets_are_not_readable_in_the_blob():
    raw = base64.b64decode(_seal())
    assert b"secret-token" not in raw and b"15550100" not in raw


def test_the_header_records_the_kdf_parameters():
    _, header, _ = _parts(_seal())
    assert header["kdf"] == "argon2id" and (header["t"], header["m"], header["p"]) == (1, 1024, 1)


def test_wrong_password_is_refused():
    with pytest.raises(WrongPassword):
        blob_rules.open_blob("wrong horse", _seal())


def test_a_flipped_ciphertext_byte_is_refused():
    raw = bytearray(base64.b64decode(_seal()))
    raw[-20] ^= 0x01
    with pytest.raises(WrongPassword):
        blob_rules.open_blob("correct horse", base64.b64encode(bytes(raw)).decode())


def test_an_edited_header_is_refused_even_with_valid_parameters():
    prefix, header, rest = _parts(_seal())
    header["t"] = 2  # valid, but not what the key was derived with and not what the tag covers
    with pytest.raises(WrongPassword):
        blob_rules.open_blob("correct horse", _join(prefix, header, rest))


@pytest.mark.parametrize("blob", ["", "not base64!", base64.b64encode(b"XXXX\x01\x00\x02{}").decode(),
                                  base64.b64encode(b"WABK").decode()])
def test_not_a_backup_is_a_bad_blob(blob):
    with pytest.raises(BadBlob):
        blob_rules.open_blob("correct horse", blob)


def test_an_unknown_format_version_is_a_bad_blob():
    raw = bytearray(base64.b64decode(_seal()))
    raw[4] = 9
    with pytest.raises(BadBlob, match="version 9"):
        blob_rules.open_blob("correct horse", base64.b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("change", [{"kdf": "scrypt"}, {"m": 64 * 1024 * 1024}, {"t": 1000}, {"p": 0},
                                    {"salt": "***"}, {"t": "three"}])
def test_a_header_out_of_bounds_is_a_bad_blob_before_any_key_is_derived(change):
    prefix, header, rest = _parts(_seal())
    header.update(change)
    with pytest.raises(BadBlob):
        blob_rules.open_blob("correct horse", _join(prefix, header, rest))


def test_a_truncated_blob_is_a_bad_blob():
    blob = _seal()
    prefix, header, rest = _parts(blob)
    with pytest.raises(BadBlob, match="truncated"):
        blob_rules.open_blob("correct horse", _join(prefix, header, rest[:20]))


def test_a_blob_sealed_with_other_parameters_still_opens():
    # Made before the defaults changed: opening reads the parameters from the blob.
    older = KdfParams(time_cost=2, memory_kib=2048, parallelism=1)
    assert older != blob_rules.DEFAULT_KDF
    assert blob_rules.open_blob("correct horse", _seal(params=older)) == PAYLOAD


def test_default_parameters_are_within_the_accepted_bounds():
    blob_rules.DEFAULT_KDF.check()


def _join_raw(prefix: bytes, raw_header: bytes, rest: bytes) -> str:
    return base64.b64encode(prefix[:5] + len(raw_header).to_bytes(2, "big") + raw_header + rest).decode()


@pytest.mark.parametrize("raw_header", [
    b"[" * 60000,  # deep enough to exhaust the JSON parser's recursion
    b'{"kdf": "argon2id", "t": 1e400, "m": 1024, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="}',
    b'{"kdf": "argon2id", "t": 1.0, "m": 1024, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="}',
    b'{"kdf": "argon2id", "t": true, "m": 1024, "p": 1, "salt": "AAAAAAAAAAAAAAAAAAAAAA=="}',
    b'{"kdf": "argon2id", "t": 1, "m": 1024, "p": 1, "salt": 7}',
    b'"argon2id"',
])
def test_a_crafted_header_is_a_bad_blob_not_a_crash(raw_header):
    prefix, _, rest = _parts(_seal())
    with pytest.raises(BadBlob):
        blob_rules.read_sealed(_join_raw(prefix, raw_header, rest))


@pytest.mark.parametrize("params", [KdfParams(5, 1024, 1), KdfParams(1, 256 * 1024 + 1, 1), KdfParams(1, 1024, 5)])
def test_the_kdf_costs_are_capped(params):
    with pytest.raises(BadBlob):
        params.check()


def test_the_dearest_accepted_parameters_are_a_few_times_the_defaults():
    KdfParams(time_cost=4, memory_kib=256 * 1024, parallelism=4).check()


def test_reading_the_header_derives_nothing(monkeypatch):
    blob = _seal()
    monkeypatch.setattr(blob_rules, "_derive", lambda *args: pytest.fail("derived while reading the header"))
    sealed = blob_rules.read_sealed(blob)
    assert sealed.params == FAST


def test_a_crafted_payload_under_the_right_password_is_a_bad_blob_not_a_crash():
    blob = _seal()
    sealed = blob_rules.read_sealed(blob)
    key = blob_rules._derive("correct horse", sealed.salt, sealed.params)
    ciphertext = AESGCM(key).encrypt(sealed.nonce, b"[" * 60000, sealed.aad)
    with pytest.raises(BadBlob):
        blob_rules.open_sealed("correct horse", replace(sealed, ciphertext=ciphertext))
