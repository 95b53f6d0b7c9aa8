"""The media service preparing outbound media messages, on the real MongoDB, Redis, S3
server and sandbox network (its media store), with links served from loopback."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import time
import uuid
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from services.account import store as account_store
from services.cluster.shard_shape import CachedShape
from services.common.celery_app import make_celery
from services.common.clock import utcnow
from services.common.egress_rules import parse_allow
from services.common.queues import MEDIA_QUEUE
from services.common.redis_client import connect
from services.media import catalogue, library, outbound_media
from services.media import preparation_rules as rules
from services.media import providers as media_providers
from services.media.measured import MeasuredReader
from services.media.network_media import NetworkMedia
from services.media.object_store import ObjectStore
from services.media_service.outbound import Preparer
from services.message_types.media_payload import MediaPayload
from services.message_types.media_types import MB
from services.messages import message_store
from services.protocol.media import decrypt_media
from tests.common.link_server import LinkServer, Served
from tests.common.listeners import CountingListener, TricklingServer
from tests.integration.sandbox.client import Business
from tests.integration.sandbox.conftest import SandboxProcess

KEY = os.urandom(32)
TO = "15550001"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(300_000)


@pytest.fixture(scope="module")
def sandbox():
    proc = SandboxProcess().start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def links():
    server = LinkServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def other_links():
    """Another host, allowed by the egress policy but named by no provider."""
    server = LinkServer()
    yield server
    server.close()


@pytest.fixture
def config(config):
    return replace(config, s3_bucket=f"test-prep-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def business(sandbox, db):
    number = str(5560000 + int(uuid.uuid4().int % 9999))
    registered = Business(sandbox.url, "1", number)
    registered.register()
    account_store.record_code_requested(db, cc="1", phone_number=number, cert="c", vname="Acme")
    account_store.record_registered(db, KEY, wa_id=registered.wa_id, token=registered.token)
    return registered


@pytest.fixture
def redis(config):
    client = connect(config.redis_url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def preparer(config, db, sandbox, business, redis, links, other_links):
    store = ObjectStore.from_config(config)
    store.ensure_bucket()
    # The link servers' ports, and nothing else of loopback (the sandbox is the network, not a link).
    allow = parse_allow(f"127.0.0.1:{links.port},127.0.0.1:{other_links.port}")
    return Preparer(db=db, store=store, master_key=KEY, network_url=sandbox.url,
                    celery=make_celery(config, "media-test"), flags=redis, shape=CachedShape(db, 1),
                    egress_allow=allow)


def _message(db, kind: str, obj: dict, resolved: dict | None = None) -> str:
    content = {kind: obj, "resolved": resolved or {"source": "link"}}
    doc = message_store.new_outbound(db, message_id=f"gBEG{uuid.uuid4().hex}", wa_id=TO, message_type=kind,
                                     content=content)
    doc.update(outbound_media.initial())
    message_store.store_outbound(db, doc)
    return doc["_id"]


def _received(db, business, message_id: str, kind: str) -> tuple[dict, bytes]:
    """What the phone would get: the payload, and the file fetched and decrypted with it."""
    doc = db.messages.find_one({"_id": message_id})
    assert outbound_media.state_of(doc) == "ready", doc.get("media_prep")
    payload = MediaPayload.model_validate(outbound_media.open_payload(KEY, doc))
    with NetworkMedia(business.base, business.token).download(payload.media_id, 200 * MB) as blob:
        encrypted = b"".join(blob)
    return payload.dump(), decrypt_media(encrypted, kind, payload.key(), payload.digest())


def _kicked_shard(redis) -> bool:
    return redis.llen("core.shard.0") > 0


def test_a_medium_by_id_is_encrypted_into_the_network_store(preparer, db, business, redis):
    medium = library.save(db, preparer.store, MeasuredReader(io.BytesIO(PNG), 5 * MB, len(PNG)),
                          mime_type="image/png", owner="admin")
    db.media.update_one({"_id": medium.id}, {"$set": {"last_used_at": utcnow() - timedelta(days=20)}})
    message_id = _message(db, "image", {"id": medium.id, "caption": "Look"},
                          {"source": "id", "media_id": medium.id, "mime_type": "image/png"})
    assert preparer.prepare(message_id) == "ready"
    payload, plaintext = _received(db, business, message_id, "image")
    assert plaintext == PNG
    assert payload["caption"] == "Look" and payload["mime_type"] == "image/png"
    assert payload["file_length"] == len(PNG)
    assert base64.b64decode(payload["file_sha256"]) == hashlib.sha256(PNG).digest()
    assert utcnow() - catalogue.find(db, medium.id).last_used_at < timedelta(minutes=1)  # the GC clock
    assert _kicked_shard(redis)
    assert preparer.prepare(message_id) == "skipped"  # a second kick does nothing


@pytest.mark.parametrize("credentials", ["none", "bearer", "basic"])
def test_a_link_is_downloaded_with_its_providers_credentials(preparer, db, business, links, credentials):
    provider = None
    hosts = (f"127.0.0.1:{links.port}",)
    if credentials == "bearer":
        provider = media_providers.Provider("cdn", "www", bearer="tok-" + uuid.uuid4().hex, hosts=hosts)
    elif credentials == "basic":
        provider = media_providers.Provider("cdn", "www", username="ann", password="p:w ä", hosts=hosts)
    body = b"%PDF-1.7 " + os.urandom(200_000)
    link = links.serve(f"/docs/{uuid.uuid4().hex}/report.pdf", Served(
        body, "application/octet-stream", authorization=provider.authorization() if provider else None,
        chunked=credentials == "basic"))
    obj = {"link": link, "caption": "Q3", "filename": "report.pdf"}
    if provider is not None:
        media_providers.save(db, KEY, provider)
        obj["provider"] = {"name": "cdn"}
    message_id = _message(db, "document", obj)
    assert preparer.prepare(message_id) == "ready"
    payload, plaintext = _received(db, business, message_id, "document")
    assert plaintext == body
    assert (payload["mime_type"], payload["filename"], payload["caption"]) == ("application/pdf", "report.pdf", "Q3")


def _template(db, header: dict, resolved_header: dict) -> str:
    """A template message whose header carries a medium, as the gateway stores it."""
    obj = {"namespace": "ns", "name": "invoice", "language": {"policy": "deterministic", "code": "en"},
           "components": [{"type": "header", "parameters": [header]},
                          {"type": "body", "parameters": [{"type": "text", "text": "Ann"}]}]}
    content = {"template": obj, "resolved": {"language": "en", "template": {}, "header_media": resolved_header}}
    doc = message_store.new_outbound(db, message_id=f"gBEG{uuid.uuid4().hex}", wa_id=TO, message_type="template",
                                     content=content)
    doc.update(outbound_media.initial())
    message_store.store_outbound(db, doc)
    return doc["_id"]


def test_a_template_header_medium_is_prepared_like_a_media_message(preparer, db, business, links, redis):
    medium = library.save(db, preparer.store, MeasuredReader(io.BytesIO(PNG), 5 * MB, len(PNG)),
                          mime_type="image/png", owner="admin")
    by_id = _template(db, {"type": "image", "image": {"id": medium.id.upper()}},
                      {"source": "id", "media_id": medium.id, "mime_type": "image/png"})
    assert preparer.prepare(by_id) == "ready"
    payload, plaintext = _received(db, business, by_id, "image")
    assert plaintext == PNG and payload["mime_type"] == "image/png"
    assert _kicked_shard(redis)

    body = b"%PDF-1.7 " + os.urandom(50_000)
    link = links.serve(f"/docs/{uuid.uuid4().hex}/invoice", Served(body, "application/pdf"))
    by_link = _template(db, {"type": "document", "document": {"link": link, "filename": "invoice.pdf"}},
                        {"source": "link"})
    assert preparer.prepare(by_link) == "ready"
    payload, plaintext = _received(db, business, by_link, "document")
    assert plaintext == body
    assert (payload["mime_type"], payload["filename"]) == ("application/pdf", "invoice.pdf")


def test_a_link_the_provider_cannot_open_fails_with_the_download_error(preparer, db, links, redis):
    link = links.serve("/private.png", Served(PNG, "image/png", authorization="Bearer right"))
    media_providers.save(db, KEY, media_providers.Provider("cdn", "www", bearer="wrong",
                                                           hosts=(f"127.0.0.1:{links.port}",)))
    message_id = _message(db, "image", {"link": link, "provider": {"name": "cdn"}})
    assert preparer.prepare(message_id) == "failed"
    doc = db.messages.find_one({"_id": message_id})
    assert outbound_media.error_of(doc) == {"code": 400, "title": "Media download error",
                                            "details": "The media link answered HTTP 401"}
    assert doc["status"] == "accepted"  # the core records the failed status, in order
    assert _kicked_shard(redis)
    assert "wrong" not in repr(doc) and outbound_media.PAYLOAD_FIELD not in doc


@pytest.mark.parametrize(("path", "served", "kind", "code", "details"), [
    ("/gone.png", None, "image", 400, "The media link answered HTTP 404"),
    ("/big.png", Served(b"x" * (5 * MB + 1), "image/png"), "image", 400,
     "The media file is larger than the 5 MB an image may have"),
    ("/big-chunked.webp", Served(b"RIFF" + b"x" * (500 * 1024), "image/webp", chunked=True), "sticker", 400,
     "The media file is larger than the 500 KB a sticker may have"),
    ("/still.webp", Served(b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"x" * (100 * 1024), "image/webp"), "sticker", 400,
     "The media file is larger than the 100 KB a sticker may have"),
    ("/page", Served(b"<html></html>", "text/html"), "image", 2008,
     "The media link's type is not one an image may have"),
    ("/empty.mp4", Served(b"", "video/mp4"), "video", 400, "The media link's file is empty"),
])
def test_what_a_link_cannot_give_fails_at_once(preparer, db, links, path, served, kind, code, details):
    link = links.serve(path, served) if served is not None else links.url + path
    message_id = _message(db, kind, {"link": link})
    assert preparer.prepare(message_id) == "failed"
    error = outbound_media.error_of(db.messages.find_one({"_id": message_id}))
    assert (error["code"], error["details"]) == (code, details)


def test_a_transient_failure_is_retried_then_fails(preparer, db, links, redis):
    link = links.serve("/flaky.mp4", Served(b"v", "video/mp4", status=503))
    message_id = _message(db, "video", {"link": link})
    assert preparer.prepare(message_id) == "retry"
    doc = db.messages.find_one({"_id": message_id})
    assert doc["media_prep"]["attempts"] == 1 and doc["media_prep"]["not_before"] > utcnow()
    assert redis.llen(MEDIA_QUEUE) == 1  # the retry's countdown kick
    assert preparer.prepare(message_id) == "skipped"  # not due yet
    for attempt in range(2, rules.MAX_ATTEMPTS + 1):
        db.messages.update_one({"_id": message_id}, {"$unset": {"media_prep.not_before": ""}})
        assert preparer.prepare(message_id) == ("failed" if attempt == rules.MAX_ATTEMPTS else "retry")
    error = outbound_media.error_of(db.messages.find_one({"_id": message_id}))
    assert (error["code"], error["details"]) == (400, "The media link answered HTTP 503")


def test_an_unreachable_network_store_is_retried_with_an_internal_error(preparer, db, links):
    link = links.serve("/ok.png", Served(PNG, "image/png"))
    message_id = _message(db, "image", {"link": link})
    preparer.network_url = "http://127.0.0.1:9"  # nothing listens there
    for _ in range(rules.MAX_ATTEMPTS - 1):
        assert preparer.prepare(message_id) == "retry"
        db.messages.update_one({"_id": message_id}, {"$unset": {"media_prep.not_before": ""}})
    assert preparer.prepare(message_id) == "failed"
    error = outbound_media.error_of(db.messages.find_one({"_id": message_id}))
    assert error["code"] == 1014 and error["details"] == "The encrypted media could not be uploaded to the network"


def test_a_medium_deleted_before_its_preparation_fails_not_found(preparer, db):
    missing = str(uuid.uuid4())
    message_id = _message(db, "image", {"id": missing}, {"source": "id", "media_id": missing, "mime_type": "image/png"})
    assert preparer.prepare(message_id) == "failed"
    error = outbound_media.error_of(db.messages.find_one({"_id": message_id}))
    assert error["code"] == 1006


def test_a_message_no_longer_accepted_is_not_prepared(preparer, db, links):
    link = links.serve("/late.png", Served(PNG, "image/png"))
    message_id = _message(db, "image", {"link": link})
    db.messages.update_one({"_id": message_id}, {"$set": {"status": "failed"}})  # its ttl ran out
    assert preparer.prepare(message_id) == "skipped"
    assert links.requests == [] or all(path != "/late.png" for path, _ in links.requests)


# --- the egress policy, providers bound to hosts, deadlines -------------------------------


def _failure(db, message_id: str) -> tuple[int, str]:
    error = outbound_media.error_of(db.messages.find_one({"_id": message_id}))
    return error["code"], error["details"]


def test_a_provider_without_hosts_sends_its_credentials_nowhere(preparer, db, links):
    link = links.serve(f"/{uuid.uuid4().hex}.png", Served(PNG, "image/png"))
    media_providers.save(db, KEY, media_providers.Provider("legacy", "www", bearer="secret-" + uuid.uuid4().hex))
    message_id = _message(db, "image", {"link": link, "provider": {"name": "legacy"}})
    assert preparer.prepare(message_id) == "failed"
    code, details = _failure(db, message_id)
    assert code == 1009 and "has no 'hosts'" in details and "add 'hosts'" in details
    assert all(path != urlsplit(link).path for path, _ in links.requests)  # nothing was fetched


def test_the_sealed_hosts_decide_not_the_clear_copy(preparer, db, links, other_links):
    """Whoever can write the database cannot point the credentials elsewhere."""
    token = "tok-" + uuid.uuid4().hex
    media_providers.save(db, KEY, media_providers.Provider("cdn", "www", bearer=token,
                                                           hosts=(f"127.0.0.1:{links.port}",)))
    db.media_providers.update_one({"_id": "cdn"}, {"$set": {"hosts": [f"127.0.0.1:{other_links.port}"]}})
    link = other_links.serve(f"/{uuid.uuid4().hex}.png", Served(PNG, "image/png"))
    message_id = _message(db, "image", {"link": link, "provider": {"name": "cdn"}})
    assert preparer.prepare(message_id) == "failed"
    assert _failure(db, message_id)[0] == 1009
    assert all(token not in (auth or "") for _, auth in other_links.requests)


def test_credentials_do_not_follow_a_redirect_to_a_host_the_provider_does_not_name(preparer, db, business, links,
                                                                                   other_links):
    token = "tok-" + uuid.uuid4().hex
    media_providers.save(db, KEY, media_providers.Provider("cdn", "www", bearer=token,
                                                           hosts=(f"127.0.0.1:{links.port}",)))
    target = other_links.serve(f"/signed/{uuid.uuid4().hex}.png", Served(PNG, "image/png"))
    start = links.serve(f"/{uuid.uuid4().hex}.png", Served(b"", status=302, location=target,
                                                           authorization=f"Bearer {token}"))
    message_id = _message(db, "image", {"link": start, "provider": {"name": "cdn"}})
    assert preparer.prepare(message_id) == "ready"
    assert _received(db, business, message_id, "image")[1] == PNG
    assert (urlsplit(start).path, f"Bearer {token}") in links.requests  # the named host got them
    assert [auth for path, auth in other_links.requests if path == urlsplit(target).path] == [None]


@pytest.mark.parametrize("target", ["localhost", "127.0.0.2", "[::1]"])
def test_a_link_or_redirect_to_a_refused_address_fetches_nothing(preparer, db, links, target):
    listener = CountingListener("::1" if target == "[::1]" else "127.0.0.2" if target == "127.0.0.2" else "127.0.0.1")
    try:
        refused_link = f"http://{target}:{listener.port}/a.png"
        direct = _message(db, "image", {"link": refused_link})
        assert preparer.prepare(direct) == "failed"
        code, details = _failure(db, direct)
        assert code == 400 and details.startswith("The media link was refused: ") and "loopback address" in details
        assert details.endswith("which the server does not connect to unless WA_EGRESS_ALLOW allows it")
        redirecting = links.serve(f"/{uuid.uuid4().hex}.png", Served(b"", status=302, location=refused_link))
        via = _message(db, "image", {"link": redirecting})
        assert preparer.prepare(via) == "failed"
        code, details = _failure(db, via)
        assert code == 400 and details.startswith("The media link's redirect was refused: ")
        time.sleep(0.2)
        assert listener.connections == 0
    finally:
        listener.close()


def test_a_redirect_to_another_scheme_is_refused(preparer, db, links):
    redirecting = links.serve(f"/{uuid.uuid4().hex}.png", Served(b"", status=301, location="file:///etc/passwd"))
    message_id = _message(db, "image", {"link": redirecting})
    assert preparer.prepare(message_id) == "failed"
    assert _failure(db, message_id) == (400, "The media link's redirect was refused: only http and https URLs are "
                                             "fetched")


def test_a_trickling_link_is_cut_at_the_deadline_and_not_tried_again(preparer, db):
    trickle = TricklingServer(length=10_000, interval=0.25)
    preparer.egress_allow = parse_allow(f"127.0.0.1:{trickle.port}")
    preparer.download_limits = replace(preparer.download_limits, deadline_s=1.5)
    try:
        message_id = _message(db, "image", {"link": trickle.url})
        started = time.monotonic()
        assert preparer.prepare(message_id) == "failed"
        took = time.monotonic() - started
    finally:
        trickle.close()
    assert _failure(db, message_id) == (400, "The media link took longer to download than the 1.5 s a download "
                                             "may take")
    assert 1.4 < took < 2.5, took


def test_a_link_slower_than_the_minimum_rate_is_cut(preparer, db):
    trickle = TricklingServer(length=10_000, interval=0.05)  # about 20 bytes a second
    preparer.egress_allow = parse_allow(f"127.0.0.1:{trickle.port}")
    preparer.download_limits = replace(preparer.download_limits, min_bytes_per_second=1000, rate_window_s=1.0)
    try:
        message_id = _message(db, "image", {"link": trickle.url})
        started = time.monotonic()
        assert preparer.prepare(message_id) == "failed"
        took = time.monotonic() - started
    finally:
        trickle.close()
    assert _failure(db, message_id) == (400, "The media link downloaded slower than the 1000 bytes per second a "
                                             "download must keep up")
    assert took < 2.5, took
