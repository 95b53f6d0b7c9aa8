"""Rotating the master key against real MongoDB: everything sealed under key 1, key 2
added, ``python -m services.migrations.reseal`` run, key 1 removed, and every sealed
field still opens."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import uuid

import pytest

from services.account import store as account_store
from services.certificates import store as certificate_store
from services.common.clock import utcnow
from services.common.resealing import reseal_field
from services.media import inbound_media, outbound_media
from services.media import providers as media_providers
from services.message_types.media_payload import MediaPayload
from services.migrations.reseal import RESEALERS, report, reseal_all
from services.protocol import DecryptionError, IdentityKeyPair, PrekeyBundle, Session, SignedPrekey, at_rest
from services.protocol.keyring import Keyring, format_keyring
from services.protocol.media import encrypt_media
from services.sessions import key_store, session_store
from tests.common.factories import v1_sealed

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
K1, K2 = os.urandom(32), os.urandom(32)
OLD = Keyring.single(K1, "k1")
BOTH = Keyring((("k1", K1), ("k2", K2)))
NEW = Keyring.single(K2, "k2")
CONTACTS = ("15550180001", "15550180002")


def _session() -> Session:
    ours, theirs = IdentityKeyPair.generate(), IdentityKeyPair.generate()
    return Session.initiate(ours, PrekeyBundle.from_keys(theirs.public, SignedPrekey.generate(theirs, 1)))


def _payload() -> MediaPayload:
    encrypted = encrypt_media(b"data", "image")
    return MediaPayload.of(media_id="net", media_key=encrypted.media_key, digest=encrypted.digest,
                           mime_type="image/jpeg")


def _seal_everything(db, keys: Keyring) -> dict:
    """One record of every sealed field; what each should open to."""
    new_keys = key_store.create_keys(db, keys)
    sessions = {wa_id: _session() for wa_id in CONTACTS}
    for wa_id, session in sessions.items():
        session_store.save(db, keys, wa_id, session)
    account_store.record_code_requested(db, cc="1", phone_number="5550100", cert="c", vname="Acme")
    account_store.record_registered(db, keys, wa_id="15550100", token="network-token")
    account_store.record_two_step(db, keys, "123456")
    media_providers.save(db, keys, media_providers.Provider("cdn", "www", bearer="provider-token"))
    outbound, inbound = _payload(), _payload()
    db.messages.insert_one({"_id": "out-1", "direction": "outbound",
                            outbound_media.PAYLOAD_FIELD: outbound_media.seal_payload(keys, "out-1", outbound)})
    media_id = str(uuid.uuid4())
    field = inbound_media.new_field(keys, media_id=media_id, kind="image", payload=inbound, auto=True,
                                    now=utcnow())
    db.messages.insert_one({"_id": "in-1", "direction": "inbound", inbound_media.FIELD: field})
    https = certificate_store.ensure_external(db, keys, utcnow(), ["localhost"]).certificate
    return {"keys": new_keys, "sessions": sessions, "outbound": outbound, "inbound": inbound, "https": https}


def _everything_opens(db, keys: Keyring, sealed: dict) -> None:
    new_keys = sealed["keys"]
    assert key_store.load_identity(db, keys).to_bytes() == new_keys.identity.to_bytes()
    assert key_store.load_signed_prekey(db, keys, 1).to_bytes() == new_keys.signed_prekey.to_bytes()
    one_time = new_keys.one_time_prekeys[-1]
    assert key_store.load_one_time_prekey(db, keys, one_time.key_id).to_bytes() == one_time.to_bytes()
    for wa_id, session in sealed["sessions"].items():
        assert session_store.load(db, keys, wa_id).to_bytes() == session.to_bytes()
    assert account_store.load_registered(db, keys).network_token == "network-token"
    assert account_store.two_step_pin(db, keys) == "123456"
    assert media_providers.load(db, keys, "cdn").bearer == "provider-token"
    outbound = outbound_media.open_payload(keys, db.messages.find_one({"_id": "out-1"}))
    assert outbound == sealed["outbound"].dump()
    inbound = db.messages.find_one({"_id": "in-1"})[inbound_media.FIELD]
    assert inbound_media.open_payload(keys, inbound) == sealed["inbound"]
    assert certificate_store.load_external(db, keys).certificate.key_pem == sealed["https"].key_pem


def test_a_rotated_key_can_be_retired_once_everything_is_resealed(db):
    sealed = _seal_everything(db, OLD)
    with pytest.raises(DecryptionError):
        session_store.load(db, NEW, CONTACTS[0])

    first = {(c.collection, c.field): c for c in reseal_all(db, BOTH)}
    assert len(first) == len(RESEALERS)
    assert first[("keys", "sealed")].resealed == 2 + key_store.ONE_TIME_BATCH
    assert first[("sessions", "sealed")].resealed == len(CONTACTS)
    for field in (("account", "network_token_sealed"), ("media_providers", "config_sealed"),
                  ("messages", outbound_media.PAYLOAD_FIELD), ("messages", "received_media.sealed"),
                  ("certificates", "key_sealed"), ("account", account_store.TWO_STEP_FIELD)):
        assert first[field].resealed == 1, field
    assert all(c.already_newest == c.changed_meanwhile == c.unreadable == 0 for c in first.values())

    again = {(c.collection, c.field): c for c in reseal_all(db, BOTH)}  # idempotent
    assert {k: (c.resealed, c.already_newest) for k, c in again.items()} == {
        k: (0, c.resealed) for k, c in first.items()}

    _everything_opens(db, NEW, sealed)
    with pytest.raises(DecryptionError):
        session_store.load(db, OLD, CONTACTS[0])


def test_blobs_from_before_key_ids_are_resealed_in_batches(db):
    """A deployment's first rotation: its blobs are v1 (no key id), sealed under the key
    file's raw key, which the keyring file now lists as ``legacy``."""
    raw = os.urandom(32)
    new_keys = key_store.create_keys(db, raw)
    def context(doc) -> bytes:
        return f"key:{doc['_id']}".encode()

    for doc in db.keys.find():
        opened = at_rest.open_sealed(raw, doc["sealed"], context(doc))
        db.keys.update_one({"_id": doc["_id"]}, {"$set": {"sealed": v1_sealed(raw, opened, context(doc))}})
    assert at_rest.sealed_key_id(db.keys.find_one({"_id": "identity"})["sealed"]) is None
    rotated = Keyring((("legacy", raw), ("k2", K2)))
    count = reseal_field(db.keys, "sealed", context, rotated, batch=7)
    assert (count.resealed, count.already_newest, count.unreadable) == (2 + key_store.ONE_TIME_BATCH, 0, 0)
    assert key_store.load_identity(db, NEW).to_bytes() == new_keys.identity.to_bytes()
    assert at_rest.sealed_key_id(db.keys.find_one({"_id": "identity"})["sealed"]) == "k2"


def test_a_write_during_the_reseal_wins_over_the_stale_blob(db):
    stale, fresh = _session(), _session()
    session_store.save(db, OLD, CONTACTS[0], stale)

    def context_and_a_concurrent_write(doc):
        # Runs between the reseal's read and its compare-and-set, as a core would.
        session_store.save(db, BOTH, CONTACTS[0], fresh)
        return f"session:{doc['_id']}".encode()

    count = reseal_field(db.sessions, "sealed", context_and_a_concurrent_write, BOTH)
    assert (count.resealed, count.changed_meanwhile) == (0, 1)
    assert not count.complete  # not known to be under the newest key until a second run
    assert "run again" in report([count], "k2")
    assert session_store.load(db, NEW, CONTACTS[0]).to_bytes() == fresh.to_bytes()
    assert reseal_field(db.sessions, "sealed", lambda doc: f"session:{doc['_id']}".encode(), BOTH).complete


def test_a_blob_no_configured_key_opens_is_reported_and_fails_the_command(db, servers_env, tmp_path):
    session_store.save(db, Keyring.single(os.urandom(32), "lost"), "15550189999", _session())
    sealed = _seal_everything(db, OLD)
    key_file = tmp_path / "keys"
    key_file.write_text("# newest last\n" + format_keyring(BOTH))
    done = subprocess.run([sys.executable, "-m", "services.migrations.reseal"], cwd=REPO_ROOT,
                          env={**os.environ, **servers_env, "WA_KEY_FILE": str(key_file)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "sessions.sealed: 2 re-sealed, 0 already under it, 0 changed meanwhile, 1 unreadable" in done.stdout
    assert "keep the older keys" in done.stdout and "lost" in done.stderr
    output = done.stdout + done.stderr
    for key in (K1, K2):
        assert base64.b64encode(key).decode() not in output and repr(key) not in output and key.hex() not in output
    _everything_opens(db, NEW, sealed)
