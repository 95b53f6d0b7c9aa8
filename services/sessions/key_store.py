"""Our identity key and prekeys (the ``keys`` collection), private parts sealed with the
master key."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from pymongo.database import Database

from services.common.resealing import ResealCount, reseal_field
from services.messages.message_store import reserve_seq
from services.protocol import IdentityKeyPair, OneTimePrekey, SignedPrekey, at_rest

ONE_TIME_BATCH = 100
REPLENISH_BELOW = 25


@dataclass(frozen=True)
class NewKeys:
    identity: IdentityKeyPair
    signed_prekey: SignedPrekey
    one_time_prekeys: list[OneTimePrekey]


def _context(key_id: str) -> bytes:
    return f"key:{key_id}".encode()


def _store(db: Database, master_key: at_rest.Keys, key_id: str, private: bytes, public: dict) -> None:
    db.keys.replace_one(
        {"_id": key_id},
        {"_id": key_id, "public": public, "sealed": at_rest.seal(master_key, private, _context(key_id))},
        upsert=True,
    )


def _open(db: Database, master_key: at_rest.Keys, key_id: str) -> bytes | None:
    doc = db.keys.find_one({"_id": key_id})
    if doc is None:
        return None
    return at_rest.open_sealed(master_key, doc["sealed"], _context(key_id))


def create_keys(db: Database, master_key: at_rest.Keys) -> NewKeys:
    """A fresh identity for a (re-)registration; older keys are dropped."""
    db.keys.delete_many({})
    identity = IdentityKeyPair.generate()
    _store(db, master_key, "identity", identity.to_bytes(), identity.public.to_dict())
    signed = SignedPrekey.generate(identity, 1)
    _store(db, master_key, f"spk:{signed.key_id}", signed.to_bytes(), signed.to_public_dict())
    return NewKeys(identity, signed, generate_one_time_prekeys(db, master_key, ONE_TIME_BATCH))


def generate_one_time_prekeys(db: Database, master_key: at_rest.Keys, count: int) -> list[OneTimePrekey]:
    start = reserve_seq(db, "one_time_prekey", count)
    batch = OneTimePrekey.generate_batch(start, count)
    for key in batch:
        _store(db, master_key, f"otpk:{key.key_id}", key.to_bytes(), key.to_public_dict())
    return batch


def export_keys(db: Database, master_key: at_rest.Keys) -> list[dict]:
    """Every key of ours for a backup: ``{"id", "public", "private"}`` (private in base64,
    in the clear: only ever inside the backup's AEAD, services/backup/)."""
    return [{"id": doc["_id"], "public": doc["public"],
             "private": base64.b64encode(at_rest.open_sealed(master_key, doc["sealed"], _context(doc["_id"]))).decode()}
            for doc in db.keys.find({}).sort("_id", 1)]


def load_identity(db: Database, master_key: at_rest.Keys) -> IdentityKeyPair:
    raw = _open(db, master_key, "identity")
    if raw is None:
        raise LookupError("no identity key: the client is not registered")
    return IdentityKeyPair.from_bytes(raw)


def load_signed_prekey(db: Database, master_key: at_rest.Keys, key_id: int) -> SignedPrekey | None:
    raw = _open(db, master_key, f"spk:{key_id}")
    return SignedPrekey.from_bytes(raw) if raw else None


def load_one_time_prekey(db: Database, master_key: at_rest.Keys, key_id: int) -> OneTimePrekey | None:
    raw = _open(db, master_key, f"otpk:{key_id}")
    return OneTimePrekey.from_bytes(raw) if raw else None


def discard_one_time_prekey(db: Database, key_id: int) -> None:
    # Forward secrecy: a one-time prekey is deleted as soon as a session used it.
    db.keys.delete_one({"_id": f"otpk:{key_id}"})


def one_time_prekey_count(db: Database) -> int:
    return db.keys.count_documents({"_id": {"$regex": "^otpk:"}})


class MongoKeyStore:
    """Our keys as ``services.protocol`` stores (identity, signed and one-time prekeys).

    Built for one batch of work: the identity is read (and unsealed) at most once, and
    only if the batch needs it (a new session), however many contacts it covers.
    """

    def __init__(self, db: Database, master_key: at_rest.Keys) -> None:
        self._db = db
        self._master_key = master_key
        self._identity: IdentityKeyPair | None = None

    def own_identity(self) -> IdentityKeyPair:
        if self._identity is None:
            self._identity = load_identity(self._db, self._master_key)
        return self._identity

    def signed_prekey(self, key_id: int) -> SignedPrekey | None:
        return load_signed_prekey(self._db, self._master_key, key_id)

    def one_time_prekey(self, key_id: int) -> OneTimePrekey | None:
        return load_one_time_prekey(self._db, self._master_key, key_id)

    def remove_one_time_prekey(self, key_id: int) -> None:
        discard_one_time_prekey(self._db, key_id)


def reseal(db: Database, keys: at_rest.Keys) -> ResealCount:
    """Our identity key and prekeys under the newest master key (services/common/resealing.py)."""
    return reseal_field(db.keys, "sealed", lambda doc: _context(doc["_id"]), keys)
