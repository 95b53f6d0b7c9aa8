"""Inbound media through the real processes: a phone sends every media type (encrypted,
uploaded to the sandbox's media store), the webhook carries the §15.2 media object, and
``GET /v1/media/{id}`` serves the very bytes; auto-download on and off; a corrupted blob
is never stored and reaches the webhook with the §3.2 media download error; the media
key never appears in a webhook body or unsealed in MongoDB."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
from typing import Any

import pytest
from pymongo import MongoClient

from tests.common.waiting import wait_for
from tests.e2e.test_messaging import _phone_messages

KINDS = [
    ("image", "image/jpeg", {"caption": "a view"}),
    ("video", "video/mp4", {"caption": "a clip"}),
    ("audio", "audio/mpeg", {"filename": "song.mp3"}),
    ("voice", "audio/ogg; codecs=opus", {}),
    ("document", "application/pdf", {"caption": "the contract", "filename": "contract.pdf"}),
    ("sticker", "image/webp", {}),
]
ALL = [kind for kind, _, _ in KINDS]


def _phone_sends_media(network, phone: str, to: str, kind: str, data: bytes, mime_type: str,
                       **shown: str) -> str:
    obj = {"data": base64.b64encode(data).decode(), "mime_type": mime_type, **shown}
    answer = network("POST", f"/sandbox/v1/phones/{phone}/messages", json={"to": to, "type": kind, kind: obj})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _callback(webhook, message_id: str, timeout: float = 60.0) -> dict[str, Any]:
    return webhook.wait_for(lambda: [body for body in webhook.bodies()
                                     if any(m.get("id") == message_id for m in body.get("messages", []))],
                            timeout=timeout)[0]


def _downloaded(api, media_id: str) -> tuple[int, bytes, str]:
    answer = api("GET", f"/v1/media/{media_id}")
    return answer.status_code, answer.content, answer.headers.get("Content-Type", "")


def _media_key(network, phone: str, message_id: str) -> bytes | None:
    """The media key the phone used (its record of a sent message keeps the payload)."""
    record = next((m for m in _phone_messages(network, phone, "out") if m["id"] == message_id), {})
    found = [value for value in record.values() if isinstance(value, dict) and "media_key" in value]
    return base64.b64decode(found[0]["media_key"]) if found else None


@pytest.fixture
def auto_download(api):
    def set_to(kinds: list[str]) -> None:
        answer = api("PATCH", "/v1/settings/application", json={"media": {"auto_download": kinds}})
        assert answer.status_code == 200, answer.text

    yield set_to
    set_to(ALL)


@pytest.fixture
def mongo(stack):
    client = MongoClient(stack.env["WA_MONGO_URL"], tz_aware=True)
    yield client[stack.env["WA_MONGO_DB"]]
    client.close()


@pytest.mark.parametrize("auto", [True, False], ids=["auto_download", "on_demand"])
def test_every_kind_a_phone_sends_reaches_the_webhook_and_downloads_byte_identical(
        api, network, webhook, registration, new_phone, auto_download, mongo, auto):
    auto_download(ALL if auto else [])
    phone = new_phone("Media Mary")
    for kind, mime_type, shown in KINDS:
        data = os.urandom(20_000 if kind == "sticker" else 300_000)
        message_id = _phone_sends_media(network, phone, registration["wa_id"], kind, data, mime_type, **shown)
        body = _callback(webhook, message_id)
        item = body["messages"][0]
        assert item["type"] == kind and "errors" not in item, item
        obj = item[kind]
        assert obj["sha256"] == hashlib.sha256(data).hexdigest()
        assert obj["mime_type"] == mime_type
        for name, value in shown.items():
            assert obj[name] == value
        stored = mongo.media.find_one({"_id": obj["id"]})
        if auto:  # stored before the callback went
            assert stored is not None and stored["state"] == "ready" and stored["origin"] == "inbound"
        else:  # fetched by the first GET
            assert stored is None
        status, content, content_type = _downloaded(api, obj["id"])
        assert status == 200 and hashlib.sha256(content).hexdigest() == obj["sha256"], kind
        assert content_type.startswith(mime_type.split(";")[0])
        message = mongo.messages.find_one({"_id": message_id})
        assert message["received_media"]["download"] == "done" and "sealed" not in message["received_media"]
        key = _media_key(network, phone, message_id)  # the phone's own record keeps its payload
        assert key is not None
        text = repr(body)
        assert base64.b64encode(key).decode() not in text and key.hex() not in text
        for name in ("messages", "media", "pending_callbacks", "contacts"):
            stored_text = repr(list(mongo[name].find()))
            assert base64.b64encode(key).decode() not in stored_text and repr(key)[2:-1] not in stored_text, name


def test_a_corrupted_blob_is_never_stored_and_reaches_the_webhook_with_the_download_error(
        api, network, webhook, registration, new_phone, auto_download, mongo):
    phone = new_phone("Tampered Tom")
    # On demand, so that the blob can be corrupted between the upload and the download.
    auto_download([])
    data = os.urandom(50_000)
    message_id = _phone_sends_media(network, phone, registration["wa_id"], "image", data, "image/jpeg")
    obj = _callback(webhook, message_id)["messages"][0]["image"]
    record = next(m for m in _phone_messages(network, phone, "out") if m["id"] == message_id)
    store_id = _store_id(record)
    assert network("POST", f"/sandbox/v1/media/{store_id}/corrupt").status_code in (200, 204)

    answer = api("GET", f"/v1/media/{obj['id']}")
    assert answer.status_code == 404, answer.text
    error = answer.json()["errors"][0]
    assert error["code"] == 1006 and "could not be downloaded" in error["details"]
    assert mongo.media.find_one({"_id": obj["id"]}) is None



def test_an_auto_download_survives_a_media_service_crash_and_a_corrupted_blob_gets_the_error(
        stack, api, network, webhook, registration, new_phone, auto_download, mongo):
    """The media service is down (SIGKILLed) when the message arrives: the core stores it
    and hands over without waiting; the blob is corrupted meanwhile; once the media
    service is back it fetches it (its kick or the sweep), the MAC fails, nothing is
    stored and the callback carries the §3.2 error."""
    auto_download(ALL)
    phone = new_phone("Crashy Carl")
    stack.stop("media", signal.SIGKILL)
    try:
        message_id = _phone_sends_media(network, phone, registration["wa_id"], "document", os.urandom(40_000),
                                        "application/pdf", filename="x.pdf")
        mongo_wait(mongo, message_id)
        record = next(m for m in _phone_messages(network, phone, "out") if m["id"] == message_id)
        assert network("POST", f"/sandbox/v1/media/{_store_id(record)}/corrupt").status_code in (200, 204)
        assert not [body for body in webhook.bodies()
                    if any(m.get("id") == message_id for m in body.get("messages", []))]
    finally:
        stack.start("media")
    item = _callback(webhook, message_id)["messages"][0]
    assert item["errors"][0]["code"] == 400 and item["errors"][0]["title"] == "Media download error"
    assert item["document"]["filename"] == "x.pdf"
    assert mongo.media.find_one({"_id": item["document"]["id"]}) is None
    assert api("GET", f"/v1/media/{item['document']['id']}").status_code == 404


def mongo_wait(mongo, message_id: str, timeout: float = 30.0) -> dict[str, Any]:
    return wait_for(lambda: mongo.messages.find_one({"_id": message_id}), timeout=timeout, interval=0.1,
                    message=f"message {message_id} never stored")


def _store_id(record: dict[str, Any]) -> str:
    """The network media store's id of what the phone sent, from the phone's record."""
    for value in record.values():
        if isinstance(value, dict):
            for key in ("media_id", "store_id", "network_media_id"):
                if isinstance(value.get(key), str):
                    return value[key]
    raise AssertionError(f"the phone's record names no store id: {sorted(record)}")
