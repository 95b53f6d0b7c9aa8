"""Inbound media on the real MongoDB, Redis and S3: the core stores a media message with
its payload sealed, the media service fetches, verifies and decrypts it into the object
store, and the callback follows. The network's media store is an in-process stand-in of
``NetworkMedia`` here (tests/e2e cover the real one)."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from services.common.celery_app import make_celery
from services.common.clock import utcnow
from services.common.queues import FETCH_INBOUND_MEDIA
from services.core_worker import inbound as core_inbound
from services.core_worker.context import CoreContext
from services.media import catalogue, inbound_media
from services.media.network_media import MediaNotFound, MediaTransferError
from services.media.object_store import ObjectStore
from services.media_service import inbound
from services.message_types import Plaintext
from services.message_types.media_payload import MediaPayload
from services.protocol import Envelope, IdentityKeyPair, PrekeyBundle, Session
from services.protocol.media import encrypt_media
from services.sessions import key_store
from services.settings import app_settings

SENDER = "15550007"


class Blobs:
    """The network's media store, in memory: what the phone uploaded, by store id."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.fail: Exception | None = None

    def download(self, media_id: str, max_bytes: int) -> Iterator[bytes]:
        if self.fail is not None:
            raise self.fail
        if media_id not in self.blobs:
            raise MediaNotFound(media_id)
        data = self.blobs[media_id]
        if len(data) > max_bytes:
            raise MediaTransferError("over max_bytes")
        for start in range(0, len(data), 64 * 1024):
            yield data[start:start + 64 * 1024]


@pytest.fixture
def ctx(config, db):
    context = CoreContext(config, make_celery(config, "core-test"))
    context.redis.flushdb()
    yield context
    context.redis.flushdb()


@pytest.fixture
def store(config):
    own = ObjectStore.from_config(replace(config, s3_bucket=f"test-inbound-{uuid.uuid4().hex[:12]}"))
    own.ensure_bucket()
    yield own
    client = own._client
    for item in client.list_objects(own.bucket, recursive=True):
        client.remove_object(own.bucket, item.object_name)
    client.remove_bucket(own.bucket)


@pytest.fixture
def blobs():
    return Blobs()


@pytest.fixture
def deps(ctx, store, blobs):
    return inbound.Fetching(db=ctx.db, store=store, celery=ctx.celery, master_key=ctx.master_key,
                            source=lambda: blobs)


class Phone:
    """A user's phone: encrypts a file, puts the ciphertext in ``blobs``, sends the payload."""

    def __init__(self, ctx: CoreContext, blobs: Blobs) -> None:
        keys = key_store.create_keys(ctx.db, ctx.master_key)
        self.session = Session.initiate(IdentityKeyPair.generate(),
                                        PrekeyBundle.from_keys(keys.identity.public, keys.signed_prekey))
        self.ctx, self.blobs, self.sent = ctx, blobs, 0

    def send(self, kind: str, data: bytes, **shown) -> tuple[str, MediaPayload]:
        encrypted = encrypt_media(data, kind)
        store_id = f"blob-{self.sent}"
        self.blobs.blobs[store_id] = encrypted.data
        payload = MediaPayload.of(media_id=store_id, media_key=encrypted.media_key, digest=encrypted.digest,
                                  mime_type=shown.pop("mime_type", "image/jpeg"), **shown)
        message_id = f"ABGGmedia{self.sent}"
        routing = Envelope(message_id, SENDER, "15550100", 1700000000 + self.sent, {})
        plaintext = Plaintext(kind, payload.dump(), profile_name="Ann").encode()
        content = self.session.encrypt(plaintext, routing.associated_data())
        envelope = Envelope(routing.id, SENDER, routing.recipient, routing.timestamp, content).to_dict()
        self.ctx.db.inbound_events.insert_one({"_id": f"e{self.sent}", "kind": "envelope", "payload": envelope,
                                               "server_shard": 0, "seq": self.sent, "received_at": utcnow()})
        self.sent += 1
        assert core_inbound.drain(self.ctx, 0) == 1
        return message_id, payload


@pytest.fixture
def phone(ctx, blobs):
    return Phone(ctx, blobs)


def _fetch_kicks(ctx) -> list[bytes]:
    queued = [ctx.redis.lindex("media", i) for i in range(ctx.redis.llen("media"))]
    return [message for message in queued if FETCH_INBOUND_MEDIA.encode() in message]


def _contains_secret(document, payload: MediaPayload) -> bool:
    """Whether ``document`` holds the media key (or the network's store id) in the clear."""
    secrets = (payload.media_key, payload.key().hex(), payload.media_id)

    def walk(value) -> bool:
        if isinstance(value, dict):
            return any(walk(v) for v in value.values())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        if isinstance(value, str):
            return any(secret in value for secret in secrets)
        if isinstance(value, bytes):
            return payload.key() in value or payload.media_key.encode() in value
        return False

    return walk(document)


def test_an_auto_downloaded_image_is_stored_then_announced(ctx, db, deps, store, phone):
    data = os.urandom(300_000)
    message_id, payload = phone.send("image", data, caption="the view")
    message = db.messages.find_one({"_id": message_id})
    shown = message["content"]["image"]
    media_id = shown["id"]
    assert uuid.UUID(media_id).version == 4
    assert shown == {"id": media_id, "mime_type": "image/jpeg", "sha256": hashlib.sha256(data).hexdigest(),
                     "caption": "the view"}
    assert message["received_media"]["download"] == inbound_media.PENDING
    assert not _contains_secret(message, payload)  # the key is only there sealed
    assert db.pending_callbacks.count_documents({}) == 0  # announced once the file is stored
    assert len(_fetch_kicks(ctx)) == 1

    assert inbound.fetch(deps, media_id) == inbound.STORED
    medium = catalogue.find(db, media_id)
    assert medium.origin == catalogue.INBOUND and medium.size == len(data)
    assert medium.sha256 == hashlib.sha256(data).hexdigest()
    assert store.get(medium.object_key).data == data
    callback = db.pending_callbacks.find_one({"_id": f"in:{message_id}"})["payload"]
    assert callback["messages"][0]["type"] == "image" and callback["messages"][0]["image"] == shown
    assert "errors" not in callback["messages"][0]
    assert not _contains_secret(callback, payload)
    done = db.messages.find_one({"_id": message_id})
    assert done["received_media"]["download"] == inbound_media.DONE and "sealed" not in done["received_media"]
    # A duplicate kick changes nothing.
    assert inbound.fetch(deps, media_id) == inbound.STORED
    assert db.pending_callbacks.count_documents({}) == 1


def test_a_blob_failing_its_mac_is_never_stored_and_the_webhook_gets_the_download_error(db, deps, store, blobs,
                                                                                          phone):
    message_id, payload = phone.send("document", os.urandom(70_000), mime_type="application/pdf",
                                     filename="contract.pdf")
    tampered = bytearray(blobs.blobs[payload.media_id])
    tampered[1234] ^= 0x01
    blobs.blobs[payload.media_id] = bytes(tampered)
    media_id = db.messages.find_one({"_id": message_id})["content"]["document"]["id"]

    assert inbound.fetch(deps, media_id) == inbound.FAILED
    assert db.media.count_documents({}) == 0
    assert list(store._client.list_objects(store.bucket, recursive=True)) == []
    item = db.pending_callbacks.find_one({"_id": f"in:{message_id}"})["payload"]["messages"][0]
    assert item["errors"] == [{"code": 400, "title": "Media download error",
                               "details": "The sender's media failed its integrity check"}]
    assert item["document"]["filename"] == "contract.pdf"
    failed = db.messages.find_one({"_id": message_id})
    assert failed["received_media"]["download"] == inbound_media.FAILED and "sealed" not in failed["received_media"]
    assert inbound.fetch(deps, media_id) == inbound.FAILED


def test_a_type_not_auto_downloaded_is_announced_at_once_and_fetched_on_demand(ctx, db, deps, store, phone):
    app_settings.apply_patch(db, {"media.auto_download": ["image"]})
    data = os.urandom(5000)
    message_id, payload = phone.send("voice", data, mime_type="audio/ogg; codecs=opus")
    message = db.messages.find_one({"_id": message_id})
    media_id = message["content"]["voice"]["id"]
    assert message["received_media"]["download"] == inbound_media.ON_DEMAND
    assert _fetch_kicks(ctx) == []
    callback = db.pending_callbacks.find_one({"_id": f"in:{message_id}"})["payload"]
    assert callback["messages"][0]["voice"]["id"] == media_id
    assert not _contains_secret(callback, payload)
    assert catalogue.find(db, media_id) is None
    assert inbound.overdue(db, utcnow() + timedelta(hours=1)) == []  # not the sweep's

    assert inbound.wait_for(deps, media_id, 1.0) == inbound.STORED
    assert store.get(catalogue.find(db, media_id).object_key).data == data
    assert db.pending_callbacks.count_documents({}) == 1  # no second callback


def test_an_unreachable_store_is_retried_later_and_a_lost_kick_is_swept(ctx, db, deps, blobs, phone):
    message_id, _ = phone.send("video", os.urandom(1000), mime_type="video/mp4")
    media_id = db.messages.find_one({"_id": message_id})["content"]["video"]["id"]
    assert inbound.overdue(db) == []  # fresh: its kick is on its way
    assert inbound.overdue(db, utcnow() + timedelta(seconds=11)) == [media_id]

    blobs.fail = MediaTransferError("connection refused")
    assert inbound.fetch(deps, media_id) == inbound.RETRY
    media = db.messages.find_one({"_id": message_id})["received_media"]
    assert media["attempts"] == 1 and media["next_attempt_at"] > utcnow()
    assert media["download"] == inbound_media.PENDING and db.pending_callbacks.count_documents({}) == 0
    assert inbound.fetch(deps, media_id) == inbound.BUSY  # the retry's time has not come

    blobs.fail = None
    db.messages.update_one({"_id": message_id},
                           {"$set": {"received_media.next_attempt_at": utcnow() - timedelta(minutes=1)}})
    ctx.redis.delete("media")
    assert inbound.sweep(deps) == 1 and len(_fetch_kicks(ctx)) == 1
    assert inbound.fetch(deps, media_id) == inbound.STORED
    assert db.pending_callbacks.count_documents({"_id": f"in:{message_id}"}) == 1


def test_a_fetch_that_died_mid_transfer_is_taken_over_once_its_claim_ran_out(db, deps, store, phone):
    data = os.urandom(2000)
    message_id, _ = phone.send("sticker", data, mime_type="image/webp")
    media_id = db.messages.find_one({"_id": message_id})["content"]["sticker"]["id"]
    # A fetch claimed it and died after writing the document (its object half written).
    db.messages.update_one({"_id": message_id}, {"$set": {"received_media.next_attempt_at": utcnow()
                                                          + inbound.CLAIM}, "$inc": {"received_media.attempts": 1}})
    catalogue.begin_download(db, media_id, mime_type="image/webp", message_id=message_id)
    assert inbound.fetch(deps, media_id) == inbound.BUSY
    assert inbound.overdue(db, utcnow() + inbound.CLAIM + timedelta(seconds=11)) == [media_id]
    db.messages.update_one({"_id": message_id}, {"$set": {"received_media.next_attempt_at": utcnow()}})
    assert inbound.fetch(deps, media_id) == inbound.STORED
    assert store.get(catalogue.find(db, media_id).object_key).data == data


def test_a_blob_the_network_no_longer_has_fails_with_the_download_error(db, deps, blobs, phone):
    message_id, payload = phone.send("audio", os.urandom(100), mime_type="audio/mpeg")
    del blobs.blobs[payload.media_id]
    media_id = db.messages.find_one({"_id": message_id})["content"]["audio"]["id"]
    assert inbound.fetch(deps, media_id) == inbound.FAILED
    item = db.pending_callbacks.find_one({"_id": f"in:{message_id}"})["payload"]["messages"][0]
    assert item["errors"][0]["code"] == 400 and db.media.count_documents({}) == 0


def test_a_replayed_envelope_of_a_pending_download_kicks_the_fetch_not_the_callback(ctx, db, phone):
    message_id, _ = phone.send("image", os.urandom(100))
    ctx.redis.delete("media")
    stored = db.messages.find_one({"_id": message_id})
    # The network pushes the same envelope again (our ack was lost).
    db.inbound_events.insert_one({"_id": "again", "kind": "envelope", "server_shard": 0, "seq": 99,
                                  "received_at": utcnow(),
                                  "payload": {"id": message_id, "from": SENDER, "to": "15550100",
                                              "timestamp": 1700000000, "content": {}}})
    assert core_inbound.drain(ctx, 0) == 1
    assert db.messages.find_one({"_id": message_id}) == stored  # the same media id, once
    assert len(_fetch_kicks(ctx)) == 1 and db.pending_callbacks.count_documents({}) == 0


def test_the_media_key_never_reaches_mongodb_unsealed(db, phone):
    _, payload = phone.send("image", os.urandom(100))
    for name in db.list_collection_names():
        for document in db[name].find():
            assert not _contains_secret(document, payload), name
    assert base64.b64decode(payload.media_key)  # (the payload did hold a key)
