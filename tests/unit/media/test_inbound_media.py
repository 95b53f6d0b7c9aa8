"""The sealed payload of an inbound media message."""

from __future__ import annotations

import os

import pytest

from services.common.clock import utcnow
from services.media import inbound_media
from services.message_types.media_payload import MediaPayload
from services.protocol import ProtocolError
from services.protocol.media import encrypt_media

MASTER = os.urandom(32)


def _payload() -> MediaPayload:
    encrypted = encrypt_media(b"voice note", "voice")
    return MediaPayload.of(media_id="net-9", media_key=encrypted.media_key, digest=encrypted.digest,
                           mime_type="audio/ogg; codecs=opus")


def test_the_payload_is_sealed_and_opens_only_with_its_key_and_media_id():
    payload = _payload()
    field = inbound_media.new_field(MASTER, media_id="m-1", kind="voice", payload=payload, auto=True, now=utcnow())
    assert field["download"] == inbound_media.PENDING and field["id"] == "m-1"
    assert payload.media_key.encode() not in field["sealed"] and payload.key() not in field["sealed"]
    assert b"net-9" not in field["sealed"]
    assert inbound_media.open_payload(MASTER, field) == payload
    with pytest.raises(ProtocolError):
        inbound_media.open_payload(os.urandom(32), field)
    with pytest.raises(ProtocolError):  # moved onto another medium's record
        inbound_media.open_payload(MASTER, {**field, "id": "m-2"})


def test_a_type_not_auto_downloaded_is_fetched_on_demand():
    field = inbound_media.new_field(MASTER, media_id="m-1", kind="voice", payload=_payload(), auto=False, now=utcnow())
    assert field["download"] == inbound_media.ON_DEMAND
