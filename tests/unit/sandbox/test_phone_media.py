"""Virtual phones sending and receiving media in-process (sandbox/phone_media.py)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections.abc import Awaitable, Callable

import pytest

from sandbox import phone_media
from sandbox.errors import ApiError
from sandbox.state import SandboxState
from services.message_types.media_payload import MediaPayload
from services.protocol.media import decrypt_media
from tests.unit.sandbox.test_phones import settle

KINDS = ("image", "video", "audio", "voice", "document", "sticker")


def with_two_phones(scenario: Callable[[SandboxState], Awaitable[None]]) -> None:
    async def run() -> None:
        state = SandboxState()
        state.phones.start()
        state.phones.create({"wa_id": "4470001", "name": "Alice"})
        state.phones.create({"wa_id": "4470002", "name": "Bob"})
        try:
            await scenario(state)
        finally:
            await state.phones.stop()

    asyncio.run(run())


def media_body(kind: str, data: bytes, **extra: str) -> dict:
    return {"to": "4470002", "type": kind, kind: {"data": base64.b64encode(data).decode(), **extra}}


def test_every_kind_goes_encrypted_through_the_store_and_is_recorded_with_its_sha256():
    async def scenario(state: SandboxState) -> None:
        alice, bob = state.phones.get("4470001"), state.phones.get("4470002")
        for kind in KINDS:
            data = os.urandom(5000) + kind.encode()
            mid = await state.phones.submit(alice, media_body(kind, data, mime_type="x/y", caption="c", filename="f"))
            await settle(state)
            sent = alice.find(mid)
            assert sent is not None
            payload = MediaPayload.model_validate(sent[kind])
            blob = state.network.media.read(payload.media_id)
            assert data not in blob and len(blob) == payload.digest().encrypted_length
            assert decrypt_media(blob, kind, payload.key(), payload.digest()) == data
            received = bob.find(mid)
            assert received is not None and received["type"] == kind
            assert received[kind] == {"sha256": hashlib.sha256(data).hexdigest(), "mime_type": "x/y",
                                      "caption": "c", "filename": "f", "file_length": len(data)}
        assert not bob.errors
        # Each file got its own key.
        keys = {m[m["type"]]["media_key"] for m in alice.messages}
        assert len(keys) == len(KINDS)

    with_two_phones(scenario)


def test_a_corrupted_or_missing_blob_is_recorded_as_a_failed_download():
    async def scenario(state: SandboxState) -> None:
        alice, bob = state.phones.get("4470001"), state.phones.get("4470002")
        store = state.network.media
        real_put = store.put
        captured: list[str] = []

        async def put_then_corrupt(data: bytes) -> str:
            media_id = await real_put(data)
            captured.append(media_id)
            await store.corrupt(media_id)
            return media_id

        store.put = put_then_corrupt  # type: ignore[method-assign]
        mid = await state.phones.submit(alice, media_body("image", b"photo" * 100, mime_type="image/jpeg"))
        await settle(state)
        record = bob.find(mid)
        assert record is not None
        assert record["image"] == {"error": "media_download_failed", "mime_type": "image/jpeg", "file_length": 500}
        assert bob.errors[-1]["error"] == "media_download_failed" and "BadMediaMac" in bob.errors[-1]["message"]
        assert record["status"] == "received"  # delivered all the same, as WhatsApp does

        store.delete(captured[0])
        record = phone_media.receive("image", alice.find(mid)["image"], store)
        assert record.shown["error"] == "media_download_failed" and record.failure

    with_two_phones(scenario)


@pytest.mark.parametrize(
    ("media", "message"),
    [
        ({"data": "not base64!", "mime_type": "image/png"}, "base64"),
        ({"data": "", "mime_type": "image/png"}, "non-empty"),
        ({"data": "aGk="}, "mime_type"),
        ({"data": "aGk=", "mime_type": "image/png", "caption": 5}, "caption"),
        ({"data": "aGk=", "mime_type": "image/png", "link": "https://x"}, "unknown field"),
        ({"data": "aGk=", "mime_type": "image/png", "caption": "c" * 1025}, "caption"),
    ],
)
def test_bad_media_bodies_are_400_and_store_nothing(media: dict, message: str):
    async def scenario(state: SandboxState) -> None:
        alice = state.phones.get("4470001")
        with pytest.raises(ApiError) as info:
            await state.phones.submit(alice, {"to": "4470002", "type": "image", "image": media})
        assert info.value.status == 400 and message in info.value.message
        assert state.network.media.quota.used == 0 and not alice.messages

    with_two_phones(scenario)


def test_media_to_a_non_user_is_404_and_stores_nothing():
    async def scenario(state: SandboxState) -> None:
        alice = state.phones.get("4470001")
        body = media_body("image", b"x", mime_type="image/png")
        body["to"] = "4479999"
        with pytest.raises(ApiError) as info:
            await state.phones.submit(alice, body)
        assert info.value.code == "not_a_user" and state.network.media.quota.used == 0
        with pytest.raises(ApiError):  # the synchronous path refuses media (it cannot upload)
            state.phones.send(alice, media_body("image", b"x", mime_type="image/png"))

    with_two_phones(scenario)
