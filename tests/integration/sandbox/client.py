"""A minimal business client, written against the network API the way the project's
core worker talks to it: certificate + code registration, key upload, sessions from
``services.protocol`` (its ProtocolClient over memory stores), envelopes over HTTP, items
over the WebSocket."""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import replace
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

from services.media.network_media import NetworkMedia
from services.message_types.media_payload import MAX_FILE_LENGTH, MediaPayload
from services.protocol import (
    Envelope,
    IdentityKeyPair,
    MemoryKeyStore,
    MemorySessionStore,
    OneTimePrekey,
    Outgoing,
    PrekeyBundle,
    ProtocolClient,
    Session,
    SignedPrekey,
)
from services.protocol.media import decrypt_media, encrypt_media, encrypted_length


def business_message_id() -> str:
    while True:
        text = base64.b64encode(b"\x80\x11\x06" + os.urandom(17)).decode().rstrip("=")
        if text.isalnum():
            return text


class Business:
    def __init__(self, base_url: str, cc: str, phone_number: str, vname: str = "Acme") -> None:
        self.base = base_url
        self.cc = cc
        self.phone_number = phone_number
        self.wa_id = cc + phone_number
        self.vname = vname
        self.token = ""
        self.identity = IdentityKeyPair.generate()
        self.signed_prekey = SignedPrekey.generate(self.identity, 1)
        self.one_time: dict[int, OneTimePrekey] = {}
        self.sessions: dict[str, Session] = {}

    # -- http --------------------------------------------------------------
    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, path: str, body: Any, auth: bool = True) -> requests.Response:
        return requests.post(self.base + path, json=body, headers=self.headers if auth else {}, timeout=10)

    def get(self, path: str) -> requests.Response:
        return requests.get(self.base + path, headers=self.headers, timeout=10)

    # -- registration and keys ---------------------------------------------
    def certificate(self) -> str:
        r = requests.post(
            self.base + "/sandbox/v1/certificates",
            json={"cc": self.cc, "phone_number": self.phone_number, "vname": self.vname},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        return r.json()["cert"]

    def register(self) -> None:
        r = self.post(
            "/network/v1/registration/code",
            {"cc": self.cc, "phone_number": self.phone_number, "method": "sms", "cert": self.certificate()},
            auth=False,
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"vname": self.vname}
        code = requests.get(f"{self.base}/sandbox/v1/verification-codes/{self.wa_id}", timeout=10).json()["code"]
        r = self.post(
            "/network/v1/registration/verify",
            {"cc": self.cc, "phone_number": self.phone_number, "code": code},
            auth=False,
        )
        assert r.status_code == 200, r.text
        assert r.json()["wa_id"] == self.wa_id
        self.token = r.json()["auth_token"]

    def publish_keys(self, count: int = 5) -> None:
        otpks = OneTimePrekey.generate_batch(1, count)
        self.one_time = {k.key_id: k for k in otpks}
        r = requests.put(
            self.base + "/network/v1/keys",
            json={
                "identity": self.identity.public.to_dict(),
                "signed_prekey": self.signed_prekey.to_public_dict(),
                "one_time_prekeys": [k.to_public_dict() for k in otpks],
            },
            headers=self.headers,
            timeout=10,
        )
        assert r.status_code == 200, r.text
        assert r.json() == {"one_time_prekeys": count}

    def setup(self, keys: int = 5) -> Business:
        self.register()
        self.publish_keys(keys)
        return self

    # -- messages ----------------------------------------------------------
    def protocol(self) -> ProtocolClient:
        """The shared protocol client over this business's own fields."""
        keys = MemoryKeyStore(self.identity, {self.signed_prekey.key_id: self.signed_prekey}, self.one_time)
        return ProtocolClient(keys, MemorySessionStore(self.sessions))

    def fetch_bundle(self, wa_id: str) -> dict[str, Any]:
        r = self.get(f"/network/v1/keys/{wa_id}")
        assert r.status_code == 200, r.text
        return r.json()

    def bundle(self, wa_id: str) -> PrekeyBundle:
        return PrekeyBundle.from_dict(self.fetch_bundle(wa_id))

    def seal_texts(self, to: str, bodies: list[str], message_ids: list[str] | None = None) -> list[Envelope]:
        """One batch in the session with ``to`` (a new one from a fresh bundle when
        there is none)."""
        ids = message_ids or [business_message_id() for _ in bodies]
        ts = int(time.time())
        outgoing = [
            Outgoing(message_id, ts, json.dumps(
                {"type": "text", "text": {"body": body}, "profile": {"name": self.vname}}).encode())
            for message_id, body in zip(ids, bodies, strict=True)
        ]
        return self.protocol().seal(self.wa_id, to, outgoing, self.fetch_bundle)

    def send_text(
        self, to: str, body: str, message_id: str | None = None, *, garble: bool = False
    ) -> tuple[str, dict[str, Any]]:
        """Encrypt in the session with ``to`` and submit. ``message_id`` re-sends under a
        known id; ``garble`` seals it under another id and then relabels it (what a
        tampering relay would do), so it is well-formed but cannot be decrypted."""
        message_id = message_id or business_message_id()
        labelled = message_id + "0" if garble else message_id
        [envelope] = self.seal_texts(to, [body], [labelled])
        r = self.post("/network/v1/envelopes", replace(envelope, id=message_id).to_dict())
        assert r.status_code == 200, r.text
        return message_id, r.json()

    def send_plaintext(self, to: str, message: dict[str, Any]) -> str:
        """Seal one plaintext object (``{"type", <type>: ...}``) and submit it; its id."""
        message_id = business_message_id()
        outgoing = Outgoing(message_id, int(time.time()),
                            json.dumps({**message, "profile": {"name": self.vname}}).encode())
        [envelope] = self.protocol().seal(self.wa_id, to, [outgoing], self.fetch_bundle)
        r = self.post("/network/v1/envelopes", envelope.to_dict())
        assert r.status_code == 200, r.text
        return message_id

    # -- media ---------------------------------------------------------------
    def media(self) -> NetworkMedia:
        return NetworkMedia(self.base, self.token)

    def upload_media(self, kind: str, data: bytes, mime_type: str, **shown: str) -> dict[str, Any]:
        """Encrypt with a fresh key and upload (in pieces, through the project's client);
        the MediaPayload to send."""
        encrypted = encrypt_media(data, kind)
        pieces = (encrypted.data[i:i + 65536] for i in range(0, len(encrypted.data), 65536))
        media_id = self.media().upload(pieces, len(encrypted.data))
        return MediaPayload.of(media_id=media_id, media_key=encrypted.media_key, digest=encrypted.digest,
                               mime_type=mime_type, **shown).dump()

    def send_media(self, to: str, kind: str, data: bytes, mime_type: str, **shown: str) -> tuple[str, dict[str, Any]]:
        payload = self.upload_media(kind, data, mime_type, **shown)
        return self.send_plaintext(to, {"type": kind, kind: payload}), payload

    def open_media(self, kind: str, payload: dict[str, Any]) -> bytes:
        """Download, check and decrypt the file a received MediaPayload names."""
        media = MediaPayload.model_validate(payload)
        blob = b"".join(self.media().download(media.media_id, encrypted_length(MAX_FILE_LENGTH)))
        return decrypt_media(blob, kind, media.key(), media.digest())

    def decrypt(self, raw: dict[str, Any]) -> dict[str, Any]:
        return json.loads(self.protocol().open(Envelope.from_dict(raw)).plaintext)

    def receipt(self, to: str, status: str, message_ids: list[str]) -> requests.Response:
        return self.post("/network/v1/receipts", {"to": to, "status": status, "message_ids": message_ids})

    # -- connection --------------------------------------------------------
    def connect(self) -> ClientConnection:
        url = self.base.replace("http://", "ws://") + "/network/v1/connect"
        return connect(url, additional_headers=self.headers, open_timeout=10)


def next_item(ws: ClientConnection, timeout: float = 10.0, skip_pings: bool = True) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        item = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if skip_pings and item.get("type") == "ping":
            continue
        return item


def ack(ws: ClientConnection, *items: dict[str, Any]) -> None:
    ws.send(json.dumps({"type": "ack", "ids": [i["id"] for i in items]}))
