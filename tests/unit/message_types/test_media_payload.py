import pytest
from pydantic import ValidationError

from services.message_types.media_payload import MediaPayload
from services.protocol.media import decrypt_media, encrypt_media


def test_a_payload_carries_what_the_receiver_needs_to_decrypt_the_file():
    encrypted = encrypt_media(b"\xff\xd8 a photo", "image")
    payload = MediaPayload.of(media_id="m1", media_key=encrypted.media_key, digest=encrypted.digest,
                              mime_type="image/jpeg", caption="look")
    received = MediaPayload.model_validate(payload.dump())
    assert decrypt_media(encrypted.data, "image", received.key(), received.digest()) == b"\xff\xd8 a photo"
    assert received.caption == "look" and received.filename is None


def test_keys_and_hashes_must_be_32_bytes_of_base64():
    good = MediaPayload.of(media_id="m1", media_key=b"k" * 32, digest=encrypt_media(b"x", "image").digest,
                           mime_type="image/jpeg").dump()
    for field, value in (("media_key", "not base64!"), ("file_sha256", "AAAA"), ("file_length", -1)):
        with pytest.raises(ValidationError):
            MediaPayload.model_validate({**good, field: value})
