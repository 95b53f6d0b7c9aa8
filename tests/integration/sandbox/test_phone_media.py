"""Phones' media against a business client over the real network API, and what the
network holds: never a plaintext byte (the store's files, the relay log, the state)."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import requests

from sandbox.network.media_store import media_dir
from sandbox.persistence import journal_path
from services.message_types.media_payload import MediaPayload
from tests.common.waiting import wait_for
from tests.integration.sandbox.client import Business, ack, next_item
from tests.integration.sandbox.conftest import SandboxProcess

KINDS = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/mpeg", "voice": "audio/ogg; codecs=opus",
         "document": "application/pdf", "sticker": "image/webp"}
PATTERN = b"KNOWN-PLAINTEXT-PATTERN:" * 8


def a_file(kind: str) -> bytes:
    return os.urandom(1000) + PATTERN + kind.encode() + os.urandom(30_000)


def make_phone(base: str, wa_id: str) -> None:
    r = requests.post(base + "/sandbox/v1/phones", json={"wa_id": wa_id, "name": "Alice"}, timeout=10)
    assert r.status_code == 201, r.text


def phone_send(base: str, phone: str, to: str, kind: str, data: bytes, **shown: str) -> str:
    body = {"to": to, "type": kind, kind: {"data": base64.b64encode(data).decode(), "mime_type": KINDS[kind], **shown}}
    r = requests.post(f"{base}/sandbox/v1/phones/{phone}/messages", json=body, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def messages(base: str, phone: str) -> list[dict[str, Any]]:
    return requests.get(f"{base}/sandbox/v1/phones/{phone}/messages", timeout=10).json()["messages"]


def received(base: str, phone: str, message_id: str) -> dict[str, Any]:
    return wait_for(lambda: next((m for m in messages(base, phone) if m["id"] == message_id
                                  and m["direction"] == "in"), None))


def test_each_kind_both_ways_and_no_plaintext_anywhere(tmp_path, number: str):
    state_file = tmp_path / "state.json"
    sandbox = SandboxProcess("--state-file", str(state_file)).start()
    phone = "44" + number
    files = {kind: a_file(kind) for kind in KINDS}
    try:
        base = sandbox.url
        biz = Business(base, "1", number).setup(keys=20)
        make_phone(base, phone)
        with biz.connect() as ws:
            # Phone → business: the business fetches and decrypts exactly the file.
            for kind, data in files.items():
                shown = {"caption": f"a {kind}"} | ({"filename": "report.pdf"} if kind == "document" else {})
                message_id = phone_send(base, phone, biz.wa_id, kind, data, **shown)
                item = next_item(ws)
                while item["type"] != "envelope":  # delivered receipts of earlier sends
                    ack(ws, item)
                    item = next_item(ws)
                assert item["envelope"]["id"] == message_id
                plaintext = biz.decrypt(item["envelope"])
                assert plaintext["type"] == kind and plaintext["profile"] == {"name": "Alice"}
                payload = MediaPayload.model_validate(plaintext[kind])
                assert (payload.mime_type, payload.caption, payload.file_length) == (
                    KINDS[kind], f"a {kind}", len(data))
                assert payload.filename == shown.get("filename")
                assert biz.open_media(kind, plaintext[kind]) == data
                ack(ws, item)

            # Business → phone: the phone downloads, checks, decrypts and records the sha256.
            for kind, data in files.items():
                message_id, _ = biz.send_media(phone, kind, data[::-1], KINDS[kind], caption="from acme")
                record = received(base, phone, message_id)
                assert record["type"] == kind
                assert record[kind] == {"sha256": hashlib.sha256(data[::-1]).hexdigest(), "mime_type": KINDS[kind],
                                        "caption": "from acme", "file_length": len(data)}

            # A tampered blob and an unknown id are recorded as failed downloads.
            payload = biz.upload_media("image", files["image"], "image/jpeg")
            r = requests.post(f"{base}/sandbox/v1/media/{payload['media_id']}/corrupt", timeout=10)
            assert r.status_code == 200
            tampered = biz.send_plaintext(phone, {"type": "image", "image": payload})
            missing = biz.send_plaintext(phone, {"type": "image", "image": {**payload, "media_id": "M" * 32}})
            for message_id in (tampered, missing):
                record = received(base, phone, message_id)
                assert record["image"] == {"error": "media_download_failed", "mime_type": "image/jpeg",
                                           "file_length": len(files["image"])}
            summary = requests.get(f"{base}/sandbox/v1/phones/{phone}", timeout=10).json()
            assert [e["error"] for e in summary["errors"][-2:]] == ["media_download_failed"] * 2

        relay_log = requests.get(base + "/sandbox/v1/relay/log", timeout=10).content
    finally:
        sandbox.stop()

    # The network never held a plaintext byte: not raw, not in the base64 the phones
    # were given, not in the store's files, the relay log or the state file.
    blobs = sorted(media_dir(state_file).iterdir())
    assert len(blobs) == 2 * len(KINDS) + 1
    needles = [PATTERN]
    for data in files.values():
        for variant in (data, data[::-1]):
            encoded = base64.b64encode(variant)
            needles += [variant[1000:1100], encoded[2000:2100]]
    haystacks = {path.name: path.read_bytes() for path in blobs}
    haystacks |= {"relay log": relay_log, "state": state_file.read_bytes()}
    if journal_path(state_file).exists():
        haystacks["journal"] = journal_path(state_file).read_bytes()
    for name, haystack in haystacks.items():
        for needle in needles:
            assert needle not in haystack, f"plaintext found in {name}"


def test_phone_media_errors(sandbox: SandboxProcess, number: str):
    phone = "44" + number
    biz = Business(sandbox.url, "1", number).setup()
    make_phone(sandbox.url, phone)
    url = f"{sandbox.url}/sandbox/v1/phones/{phone}/messages"
    r = requests.post(url, json={"to": biz.wa_id, "type": "image", "image": {"data": "%%", "mime_type": "image/png"}},
                      timeout=10)
    assert r.status_code == 400 and "base64" in r.json()["message"]
    r = requests.post(url, json={"to": "4400000001", "type": "image", "image": {"data": "aGk=", "mime_type": "x/y"}},
                      timeout=10)
    assert r.status_code == 404 and r.json()["error"] == "not_a_user"
    # The send body may exceed the app's 8 MiB JSON limit (a 16 MB video), within a bound.
    video = os.urandom(12 * 1024 * 1024)
    assert phone_send(sandbox.url, phone, biz.wa_id, "video", video)
    r = requests.post(url, data=b"{" + b" " * (30 * 1024 * 1024) + b"}", timeout=30,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 413
