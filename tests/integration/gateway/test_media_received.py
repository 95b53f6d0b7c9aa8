"""``GET /v1/media/{id}`` of a contact's medium not stored yet: the gateway asks the
media service (a control RPC on the ``media`` queue) and answers within its bounded
wait. With a media worker running, tests/e2e/test_media_inbound.py; here, without one."""

from __future__ import annotations

import time
import uuid

from services.common.clock import utcnow
from services.media import inbound_media
from services.message_types.media_payload import MediaPayload
from services.protocol.media import encrypt_media
from tests.integration.gateway.conftest import assert_error


def _received(db, master_key: bytes, download: str) -> str:
    media_id = str(uuid.uuid4())
    encrypted = encrypt_media(b"data", "image")
    payload = MediaPayload.of(media_id="net", media_key=encrypted.media_key, digest=encrypted.digest,
                              mime_type="image/jpeg")
    field = inbound_media.new_field(master_key, media_id=media_id, kind="image", payload=payload,
                                    auto=download == inbound_media.PENDING, now=utcnow())
    field["download"] = download
    db.messages.insert_one({"_id": f"ABGG{media_id[:8]}", "direction": "inbound", "wa_id": "16315551234",
                            "type": "image", "content": {"image": {"id": media_id}}, "received_media": field})
    return media_id


def test_a_medium_whose_download_failed_is_not_found_with_the_reason(client, auth, db):
    media_id = _received(db, b"\x01" * 32, inbound_media.FAILED)
    response = client.get(f"/v1/media/{media_id}", headers=auth)
    assert_error(response, 404, 1006)
    assert "could not be downloaded" in response.get_json()["errors"][0]["details"]


def test_without_a_media_service_the_fetch_answers_1014_within_the_rpc_wait(client, auth, db, redis):
    media_id = _received(db, b"\x01" * 32, inbound_media.ON_DEMAND)
    started = time.monotonic()
    response = client.get(f"/v1/media/{media_id}", headers=auth)
    assert time.monotonic() - started < 3
    assert_error(response, 500, 1014)
    assert "media service" in response.get_json()["errors"][0]["details"]
    # The request went to the media queue (and expires there: a late worker drops it).
    assert redis.llen("media") == 1


def test_an_id_no_message_names_is_not_found_without_asking(client, auth, db, redis):
    response = client.get(f"/v1/media/{uuid.uuid4()}", headers=auth)
    assert_error(response, 404, 1006)
    assert redis.llen("media") == 0
