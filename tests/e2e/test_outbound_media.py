"""Outbound media messages through the real processes (gateway, core, media service,
dispatcher, sandbox) on the real S3 server: every kind by id and by link (served from
loopback, with and without a provider's credentials), received by the phone byte for
byte (its sha256), captions and filenames, order behind a large video, failures. The
egress policy's refusals are tests/e2e/test_egress.py's."""

from __future__ import annotations

import base64
import hashlib
import os
import uuid
from typing import Any

import pytest
import redis as redis_lib

from services.message_types.media_types import KB, MB
from tests.common.link_server import LinkServer, Served
from tests.e2e.test_messaging import _phone_messages

PNG = b"\x89PNG\r\n\x1a\n"
STILL_WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 "

# kind -> (MIME type, file bytes, extra fields of the send)
FILES: dict[str, tuple[str, bytes, dict[str, Any]]] = {
    "image": ("image/png", PNG + os.urandom(200 * KB), {"caption": "A picture"}),
    "video": ("video/mp4", os.urandom(600 * KB), {"caption": "A film"}),
    "audio": ("audio/ogg; codecs=opus", os.urandom(90 * KB), {}),
    "document": ("application/pdf", b"%PDF-1.7 " + os.urandom(300 * KB), {"caption": "Q3", "filename": "q3.pdf"}),
    "sticker": ("image/webp", STILL_WEBP + os.urandom(40 * KB), {}),
}


@pytest.fixture(scope="module")
def links(stack):
    server = LinkServer(stack.egress.take())
    yield server
    server.close()


def _send(api, to: str, kind: str, obj: dict[str, Any]) -> str:
    answer = api("POST", "/v1/messages", json={"to": to, "type": kind, kind: obj})
    assert answer.status_code == 201, answer.text
    return answer.json()["messages"][0]["id"]


def _upload(api, content_type: str, data: bytes) -> str:
    answer = api("POST", "/v1/media", data=data, headers={"Content-Type": content_type})
    assert answer.status_code == 201, answer.text
    return answer.json()["media"][0]["id"]


def _seen(webhook, network, phone: str, message_id: str) -> dict[str, Any]:
    found = webhook.wait_for(lambda: [m for m in _phone_messages(network, phone, "in") if m["id"] == message_id],
                             timeout=60)
    return found[0]


def _expected(kind: str, mime_type: str, data: bytes, extra: dict[str, Any]) -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "mime_type": mime_type, "file_length": len(data), **extra}


@pytest.mark.parametrize("kind", list(FILES))
def test_every_kind_by_id_reaches_the_phone_byte_identical(api, webhook, network, new_phone, customer_writes, kind):
    mime_type, data, extra = FILES[kind]
    phone = new_phone("Media by id")
    customer_writes(phone)
    message_id = _send(api, phone, kind, {"id": _upload(api, mime_type, data), **extra})
    seen = _seen(webhook, network, phone, message_id)
    assert seen["type"] == kind and seen[kind] == _expected(kind, mime_type, data, extra)
    webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == "delivered"])


@pytest.mark.parametrize("credentials", ["none", "bearer", "basic"])
@pytest.mark.parametrize("kind", list(FILES))
def test_every_kind_by_link_with_and_without_a_provider(api, webhook, network, new_phone, customer_writes, links,
                                                        kind, credentials):
    mime_type, data, extra = FILES[kind]
    provider = f"p{uuid.uuid4().hex[:8]}"
    if credentials == "bearer":
        config: dict[str, Any] = {"bearer": uuid.uuid4().hex}
        authorization = f"Bearer {config['bearer']}"
    elif credentials == "basic":
        config = {"basic": {"username": "ann", "password": f"s3cret {uuid.uuid4().hex[:6]}"}}
        authorization = "Basic " + base64.b64encode(f"ann:{config['basic']['password']}".encode()).decode()
    else:
        config, authorization = {}, None
    link = links.serve(f"/{uuid.uuid4().hex}/file", Served(data, mime_type, authorization=authorization,
                                                           chunked=credentials == "basic"))
    obj: dict[str, Any] = {"link": link, **extra}
    if config:
        # Its credentials go only to the hosts it names (plain http: the stack's WA_EGRESS_ALLOW names the port).
        answer = api("POST", "/v1/settings/application/media/providers",
                     json=[{"name": provider, "type": "www", "config": config, "hosts": [f"127.0.0.1:{links.port}"]}])
        assert answer.status_code == 200, answer.text
        obj["provider"] = {"name": provider}
    phone = new_phone("Media by link")
    customer_writes(phone)
    message_id = _send(api, phone, kind, obj)
    seen = _seen(webhook, network, phone, message_id)
    assert seen["type"] == kind and seen[kind] == _expected(kind, mime_type, data, extra)


def test_a_text_sent_right_after_a_large_video_arrives_after_it(api, webhook, network, new_phone, customer_writes):
    phone = new_phone("Order")
    other = new_phone("Other contact")
    customer_writes(phone)
    customer_writes(other)
    video = os.urandom(15 * MB)
    video_id = _send(api, phone, "video", {"id": _upload(api, "video/mp4", video), "caption": "big"})
    text_id = _send(api, phone, "text", {"body": "after the video"})
    other_id = _send(api, other, "text", {"body": "not held"})
    # Another contact is not held by the video's preparation.
    webhook.wait_for(lambda: [m for m in _phone_messages(network, other, "in") if m["id"] == other_id])
    _seen(webhook, network, phone, text_id)
    received = [m["id"] for m in _phone_messages(network, phone, "in")]
    assert received.index(video_id) < received.index(text_id)
    assert _seen(webhook, network, phone, video_id)["video"]["sha256"] == hashlib.sha256(video).hexdigest()


def test_a_link_that_404s_fails_with_the_media_download_error(api, webhook, network, new_phone, customer_writes,
                                                             links):
    phone = new_phone("Broken link")
    customer_writes(phone)
    failed_id = _send(api, phone, "image", {"link": links.url + "/no/such/file.png"})
    text_id = _send(api, phone, "text", {"body": "still here"})
    [status] = webhook.wait_for(lambda: [s for s in webhook.statuses(failed_id) if s["status"] == "failed"])
    assert status["errors"] == [{"code": 400, "title": "Media download error",
                                 "details": "The media link answered HTTP 404"}]
    _seen(webhook, network, phone, text_id)  # the contact is released
    assert failed_id not in [m["id"] for m in _phone_messages(network, phone, "in")]


def test_limits_and_types_of_links_fail_with_their_codes(api, webhook, new_phone, customer_writes, links):
    phone = new_phone("Limits")
    customer_writes(phone)
    sent = {
        _send(api, phone, "image", {"link": links.serve("/huge.png", Served(PNG + bytes(5 * MB), "image/png"))}):
            (400, "The media file is larger than the 5 MB an image may have"),
        _send(api, phone, "sticker", {"link": links.serve("/big.webp", Served(STILL_WEBP + bytes(101 * KB),
                                                                              "image/webp"))}):
            (400, "The media file is larger than the 100 KB a sticker may have"),
        _send(api, phone, "image", {"link": links.serve("/page.html", Served(b"<html/>", "text/html"))}):
            (2008, "The media link's type is not one an image may have"),
    }
    for message_id, (code, details) in sent.items():
        [status] = webhook.wait_for(lambda m=message_id: [s for s in webhook.statuses(m) if s["status"] == "failed"])
        assert (status["errors"][0]["code"], status["errors"][0]["details"]) == (code, details)


def test_sync_errors(api, new_phone):
    pdf = _upload(api, "application/pdf", b"%PDF-1.4 x")
    answer = api("POST", "/v1/messages", json={"to": new_phone("Sync"), "type": "image", "image": {"id": pdf}})
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == 2008
    answer = api("POST", "/v1/messages", json={"to": "15550009999", "type": "video",
                                               "video": {"link": "https://x.example/v.mp4",
                                                         "provider": {"name": "nobody"}}})
    assert answer.status_code == 400 and answer.json()["errors"][0]["code"] == 1009


def test_a_media_message_waiting_for_its_link_still_expires(api, webhook, network, new_phone, customer_writes,
                                                           links):
    """A link that keeps answering 503 is tried again and again; meanwhile the message's
    ttl runs out: it fails with 410 (the core's send-time rules apply to what waits) and
    the contact is released."""
    phone = new_phone("Expiring")
    customer_writes(phone)
    link = links.serve(f"/{uuid.uuid4().hex}/busy.png", Served(PNG, "image/png", status=503))
    answer = api("POST", "/v1/messages", json={"to": phone, "type": "image", "image": {"link": link}, "ttl": 2})
    assert answer.status_code == 201, answer.text
    message_id = answer.json()["messages"][0]["id"]
    [status] = webhook.wait_for(lambda: [s for s in webhook.statuses(message_id) if s["status"] == "failed"],
                                timeout=40)
    assert status["errors"][0]["code"] == 410
    text_id = _send(api, phone, "text", {"body": "after the expired one"})
    _seen(webhook, network, phone, text_id)


def test_a_lost_preparation_kick_is_found_by_the_media_sweep(stack, api, webhook, network, new_phone,
                                                             customer_writes):
    """Redis loses the kick (here: the media worker is stopped and its queue emptied);
    the message is in MongoDB, and the media service's sweep prepares it once it runs."""
    phone = new_phone("Lost kick")
    customer_writes(phone)
    mime_type, data, extra = FILES["image"]
    media_id = _upload(api, mime_type, data)
    stack.stop("media")
    try:
        message_id = _send(api, phone, "image", {"id": media_id, **extra})
        flags = redis_lib.Redis.from_url(stack.env["WA_REDIS_URL"])
        assert flags.delete("media") == 1  # the kick, gone
        flags.close()
    finally:
        stack.start("media")
    seen = _seen(webhook, network, phone, message_id)
    assert seen["image"]["sha256"] == hashlib.sha256(data).hexdigest()
