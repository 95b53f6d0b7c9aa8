"""A media plaintext becomes the §15.2 media object; the payload with its key is kept apart."""

from __future__ import annotations

import base64
import hashlib

import pytest

from services.message_types import Plaintext, media_names
from services.message_types.media_payload import MediaPayload
from services.message_types.received import receive
from services.protocol.media import encrypt_media

MEDIA_ID = "0b6f7cbe-33c3-4b8e-9a7d-3c0e9f6f1a55"


def _payload(kind: str, *, mime_type: str = "image/jpeg", **extra) -> tuple[dict, bytes]:
    data = b"\xff\xd8 a small picture"
    encrypted = encrypt_media(data, kind)
    payload = MediaPayload.of(media_id="net-1", media_key=encrypted.media_key, digest=encrypted.digest,
                              mime_type=mime_type, **extra)
    return payload.dump(), data


def _received(kind: str, body):
    return receive(Plaintext(kind, body), allocate_media_id=lambda: MEDIA_ID)


def test_every_media_type_is_received_with_an_id_a_hex_sha256_and_no_key():
    assert set(media_names()) == {"image", "video", "audio", "voice", "document", "sticker"}
    for kind in media_names():
        body, data = _payload(kind)
        received = _received(kind, body)
        assert received.type == kind
        assert received.body == {"id": MEDIA_ID, "mime_type": "image/jpeg", "sha256": hashlib.sha256(data).hexdigest()}
        assert received.media is not None and received.media.media_key == body["media_key"]
        fields = received.webhook_fields()
        flat = repr(fields) + repr(received)
        assert body["media_key"] not in flat and "net-1" not in flat
        assert base64.b64decode(body["media_key"]).hex() not in flat


@pytest.mark.parametrize(("kind", "shown"), [
    ("image", {"caption"}), ("video", {"caption"}), ("document", {"caption", "filename"}),
    ("audio", {"filename"}), ("voice", set()), ("sticker", set()),
])
def test_captions_and_filenames_where_the_spec_shows_them(kind, shown):
    body, _ = _payload(kind, caption="look", filename="a.pdf")
    received = _received(kind, body).body
    assert set(received) - {"id", "mime_type", "sha256"} == shown


def test_a_mime_type_is_normalised_or_made_neutral():
    body, _ = _payload("voice", mime_type="Audio/OGG;  codecs=opus")
    assert _received("voice", body).body["mime_type"] == "audio/ogg; codecs=opus"
    body, _ = _payload("document", mime_type="not a type\r\nX-Evil: 1")
    assert _received("document", body).body["mime_type"] == "application/octet-stream"


@pytest.mark.parametrize("mangle", [
    lambda body: None,
    lambda body: [body],
    lambda body: {**body, "media_key": "short"},
    lambda body: {**body, "file_length": -1},
    lambda body: {**body, "extra": 1},
    lambda body: {key: value for key, value in body.items() if key != "file_sha256"},
])
def test_a_malformed_payload_is_an_unknown_message(mangle):
    body, _ = _payload("image")
    received = _received("image", mangle(body))
    assert received.type == "unknown" and received.media is None
    assert received.webhook_fields()["errors"][0]["code"] == 501


def test_each_media_message_gets_a_fresh_uuid4_by_default():
    body, _ = _payload("image")
    first, second = receive(Plaintext("image", body)), receive(Plaintext("image", body))
    assert first.body["id"] != second.body["id"] and first.body["id"][14] == "4"
