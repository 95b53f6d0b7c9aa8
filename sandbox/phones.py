"""Virtual phones: simulated WhatsApp users living inside the sandbox.

Each phone is an ordinary client of the network: its own identity key, signed prekey
and one-time prekeys are published to the directory; it fetches bundles, encrypts with
``services.protocol`` and submits envelopes and receipts through the same
:class:`~sandbox.network.service.Network` checks as a business over HTTP (so they are
in the relay log). Items addressed to a phone wait in its mailbox; one asyncio task per
phone takes them in order, decrypts them with the phone's own keys, records them and
acknowledges them. Nothing here blocks on network I/O.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox import phone_media
from sandbox.changes import Changes, Key
from sandbox.errors import ApiError, bad_request, conflict, not_a_user, not_found
from sandbox.ids import phone_message_id
from sandbox.network.registration import BUSINESS
from sandbox.network.service import Network
from sandbox.unsupported import UNSUPPORTED_KINDS
from sandbox.validation import is_wa_id, optional_bool, require_digits, require_object, require_str
from services import message_types
from services.common.errors import ApiError as OnPremError
from services.message_types import Plaintext, carried_media
from services.protocol import (
    Envelope,
    IdentityKeyPair,
    MemoryKeyStore,
    MemorySessionStore,
    OneTimePrekey,
    Outgoing,
    ProtocolClient,
    ProtocolError,
    Session,
    SignedPrekey,
)
from services.protocol.media import EncryptedMedia, encrypt_media

log = logging.getLogger(__name__)

INITIAL_ONE_TIME_PREKEYS = 50
REFILL_BELOW = 10
REFILL_COUNT = 50
MAX_ERRORS = 100
MAX_RETRIES_PER_MESSAGE = 2
"""Retry receipts a phone sends per message id it cannot decrypt, and resends it makes
per message id on retry receipts: a broken peer cannot make two parties loop."""
MAX_UNDECRYPTABLE = 1000
"""Failure records kept per phone (oldest dropped first)."""

STATUS_RANK = {"sent": 1, "delivered": 2, "read": 3, "played": 4}

# Journal record kinds (sandbox/changes.py): a phone without its history, and one
# message record of its history by position (the history only grows).
PHONE = "phone"
"""``(PHONE, wa_id)``: keys, sessions, settings, failure records."""
MESSAGE = "message"
"""``(MESSAGE, wa_id, position)``: ``messages[position]``."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


@dataclass
class VirtualPhone:
    wa_id: str
    name: str
    auto_delivered: bool = True
    auto_read: bool = False
    auto_reply: str | None = None
    identity: IdentityKeyPair = field(default_factory=IdentityKeyPair.generate)
    signed_prekeys: dict[int, SignedPrekey] = field(default_factory=dict)
    one_time_prekeys: dict[int, OneTimePrekey] = field(default_factory=dict)
    next_key_id: int = 1
    sessions: dict[str, Session] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    installs: int = 1
    undecryptable: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Message ids this phone could not decrypt and has not received since:
    ``{id: {"peer", "retries": retry receipts sent}}``."""
    peer_identities: dict[str, str] = field(default_factory=dict)
    """The identity fingerprint of each peer's latest session."""
    security_code_changes: list[dict[str, Any]] = field(default_factory=list)
    """``{"peer", "identity", "timestamp"}`` each time a peer's session came with another
    identity than its previous one: the "security code changed" notice a user sees (a
    contact reinstalled, or a business restored a backup with a new identity)."""

    def __post_init__(self) -> None:
        self._index: dict[str, dict[str, Any]] = {m["id"]: m for m in self.messages}
        self._positions: dict[str, int] = {m["id"]: i for i, m in enumerate(self.messages)}
        self._touched: dict[int, None] = {}  # positions changed since the journal last looked

    # -- keys ----------------------------------------------------------------
    def fingerprint(self) -> str:
        return self.identity.public.fingerprint()

    def _new_key_ids(self, count: int) -> int:
        start = self.next_key_id
        self.next_key_id += count
        return start

    def generate_keys(self) -> dict[str, Any]:
        """A fresh signed prekey and one-time prekeys; the upload body for the directory."""
        spk = SignedPrekey.generate(self.identity, self._new_key_ids(1))
        self.signed_prekeys = {spk.key_id: spk}
        otpks = OneTimePrekey.generate_batch(self._new_key_ids(INITIAL_ONE_TIME_PREKEYS), INITIAL_ONE_TIME_PREKEYS)
        self.one_time_prekeys = {k.key_id: k for k in otpks}
        return {
            "identity": self.identity.public.to_dict(),
            "signed_prekey": spk.to_public_dict(),
            "one_time_prekeys": [k.to_public_dict() for k in otpks],
        }

    def more_one_time_prekeys(self, count: int) -> dict[str, Any]:
        otpks = OneTimePrekey.generate_batch(self._new_key_ids(count), count)
        self.one_time_prekeys.update({k.key_id: k for k in otpks})
        return {"one_time_prekeys": [k.to_public_dict() for k in otpks]}

    def protocol(self) -> ProtocolClient:
        """The protocol client over this phone's own fields (the stores wrap them, so
        its changes land here). Built per use: a reinstall replaces these fields."""
        keys = MemoryKeyStore(self.identity, self.signed_prekeys, self.one_time_prekeys)
        return ProtocolClient(keys, MemorySessionStore(self.sessions))

    # -- history -------------------------------------------------------------
    def record(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        self._index[message["id"]] = message
        self._positions[message["id"]] = len(self.messages) - 1
        self._touched[len(self.messages) - 1] = None

    def touch(self, message_id: str) -> None:
        """The record ``find(message_id)`` returns was changed in place."""
        position = self._positions.get(message_id)
        if position is not None:
            self._touched[position] = None

    def take_touched(self) -> list[int]:
        touched, self._touched = list(self._touched), {}
        return touched

    def put_message(self, position: int, message: dict[str, Any]) -> None:
        """``messages[position]`` is ``message`` (a journal replay)."""
        if position < len(self.messages):
            self.messages[position] = message
            if self._positions.get(message["id"], -1) <= position:
                self._index[message["id"]] = message
                self._positions[message["id"]] = position
        else:
            if position > len(self.messages):
                log.warning("phone %s: journal history gap at %d", self.wa_id, position)
            self.record(message)
        self._touched.clear()

    def find(self, message_id: str) -> dict[str, Any] | None:
        return self._index.get(message_id)

    def note_peer_identity(self, peer: str) -> None:
        """Compare the identity of the session now held with ``peer`` to the last one seen."""
        session = self.sessions.get(peer)
        if session is None:
            return
        identity = session.remote_identity.fingerprint()
        known = self.peer_identities.get(peer)
        if known is not None and known != identity:
            self.security_code_changes.append({"peer": peer, "identity": identity, "timestamp": int(time.time())})
            del self.security_code_changes[:-MAX_ERRORS]
        self.peer_identities[peer] = identity

    def note_error(self, error: str, **extra: Any) -> None:
        self.errors.append({"error": error, "timestamp": int(time.time()), **extra})
        del self.errors[:-MAX_ERRORS]

    def summary(self) -> dict[str, Any]:
        return {
            "wa_id": self.wa_id,
            "name": self.name,
            "auto_delivered": self.auto_delivered,
            "auto_read": self.auto_read,
            "auto_reply": self.auto_reply,
            "identity": self.fingerprint(),
            "installs": self.installs,
            "sessions": sorted(self.sessions),
            "messages": len(self.messages),
            "errors": self.errors[-20:],
            "undecryptable": list(self.undecryptable)[-20:],
            "security_code_changes": self.security_code_changes[-20:],
        }

    # -- persistence ---------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {**self.core_dict(), "messages": self.messages}

    def core_dict(self) -> dict[str, Any]:
        """Everything but the history (journaled message by message)."""
        return {
            "wa_id": self.wa_id,
            "name": self.name,
            "auto_delivered": self.auto_delivered,
            "auto_read": self.auto_read,
            "auto_reply": self.auto_reply,
            "identity": _b64(self.identity.to_bytes()),
            "signed_prekeys": [_b64(k.to_bytes()) for k in self.signed_prekeys.values()],
            "one_time_prekeys": [_b64(k.to_bytes()) for k in self.one_time_prekeys.values()],
            "next_key_id": self.next_key_id,
            "sessions": {peer: s.to_dict() for peer, s in self.sessions.items()},
            "errors": self.errors,
            "installs": self.installs,
            "undecryptable": self.undecryptable,
            "peer_identities": self.peer_identities,
            "security_code_changes": self.security_code_changes,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], previous: VirtualPhone | None = None) -> VirtualPhone:
        """``previous``: this phone as it was before (a journal replay sets a phone many
        times); its keys are reused where the bytes are the same, as deriving their
        public halves is most of the cost."""
        known: dict[str, Any] = {}
        if previous is not None:
            keys: list[Any] = [previous.identity, *previous.signed_prekeys.values(),
                               *previous.one_time_prekeys.values()]
            known = {f"{type(k).__name__}:{_b64(k.to_bytes())}": k for k in keys}

        def parse(kind: Any, text: str) -> Any:
            return known.get(f"{kind.__name__}:{text}") or kind.from_bytes(_unb64(text))

        spks = [parse(SignedPrekey, k) for k in data["signed_prekeys"]]
        otpks = [parse(OneTimePrekey, k) for k in data["one_time_prekeys"]]
        return cls(
            wa_id=data["wa_id"],
            name=data["name"],
            auto_delivered=data["auto_delivered"],
            auto_read=data["auto_read"],
            auto_reply=data["auto_reply"],
            identity=parse(IdentityKeyPair, data["identity"]),
            signed_prekeys={k.key_id: k for k in spks},
            one_time_prekeys={k.key_id: k for k in otpks},
            next_key_id=data["next_key_id"],
            sessions={peer: Session.from_dict(s) for peer, s in data["sessions"].items()},
            messages=data["messages"],
            errors=data.get("errors", []),
            installs=data.get("installs", 1),
            undecryptable=data.get("undecryptable", {}),
            peer_identities=data.get("peer_identities", {}),
            security_code_changes=data.get("security_code_changes", []),
        )


def _sendable_types() -> list[str]:
    return sorted(
        name for name, t in message_types.REGISTRY.items() if (t.inbound is not None and t.available) or t.media
    )


def _check_message_body(body: Any) -> tuple[str, str, Any, str | None]:
    """``(to, type, object, quoted message id)`` of what a user asks their phone to send,
    checked against the type's declared inbound model."""
    body = require_object(body)
    to = require_digits(body, "to", 5, 20)
    kind = body.get("type", "text")
    declared = message_types.get(kind) if isinstance(kind, str) else None
    if kind in UNSUPPORTED_KINDS:
        payload = body.get(kind, {})
        if not isinstance(payload, dict):
            raise bad_request(f"'{kind}' must be an object")
    elif declared is not None and declared.media:
        raise bad_request("media is sent with POST /sandbox/v1/phones/{wa_id}/messages (PhoneBook.submit)")
    elif declared is None or declared.inbound is None or not declared.available:
        raise bad_request(f"'type' must be one of {', '.join(_sendable_types())}, or content the business "
                          f"does not support: {', '.join(UNSUPPORTED_KINDS)}")
    else:
        try:
            payload = message_types.parse(declared.inbound, body.get(kind), kind)
        except OnPremError as exc:
            raise bad_request(exc.details or exc.title) from None
    quoted = None
    if "context" in body:
        context = require_object(body["context"])
        quoted = require_str(context, "message_id")
    return to, kind, payload, quoted


class PhoneBook:
    """All virtual phones, their workers, and what the sandbox routes ask of them."""

    def __init__(self, network: Network, changes: Changes | None = None) -> None:
        self.network = network
        self._changes = changes or Changes()
        self.phones: dict[str, VirtualPhone] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._running = False

    # -- lookup ------------------------------------------------------------
    def all(self) -> list[VirtualPhone]:
        return list(self.phones.values())

    def get(self, wa_id: str) -> VirtualPhone:
        phone = self.phones.get(wa_id)
        if phone is None:
            raise not_found(f"no virtual phone {wa_id}", code="phone_not_found")
        return phone

    # -- lifecycle ---------------------------------------------------------
    def create(self, body: Any) -> VirtualPhone:
        body = require_object(body)
        wa_id = body.get("wa_id")
        if not is_wa_id(wa_id):
            raise bad_request("'wa_id' must be a string of 5-20 digits")
        name = require_str(body, "name")
        auto_delivered = optional_bool(body, "auto_delivered", True)
        auto_read = optional_bool(body, "auto_read", False)
        auto_reply = body.get("auto_reply")
        if auto_reply not in (None, "echo"):
            raise bad_request("'auto_reply' must be null or 'echo'")
        user = self.network.registry.get(wa_id)
        if user is not None and user.kind == BUSINESS:
            raise conflict("this number is registered by a business", code="number_in_use")
        phone = self.phones.get(wa_id)
        if phone is not None:  # re-creating a phone updates its settings, keeps keys and history
            phone.name, phone.auto_delivered, phone.auto_read = name, auto_delivered, auto_read
            phone.auto_reply = auto_reply
            self.network.registry.add_phone(wa_id, name)
            self._changed(phone)
            return phone
        phone = VirtualPhone(wa_id, name, auto_delivered, auto_read, auto_reply)
        self.network.registry.add_phone(wa_id, name)
        self.network.publish_keys(wa_id, phone.generate_keys())
        self.phones[wa_id] = phone
        self._changed(phone)
        if self._running:
            self._spawn(phone)
        log.info("virtual phone %s created", wa_id)
        return phone

    def reinstall(self, phone: VirtualPhone) -> None:
        """New identity, new prekeys, no sessions: as after reinstalling WhatsApp."""
        phone.identity = IdentityKeyPair.generate()
        phone.sessions.clear()
        phone.installs += 1
        self.network.publish_keys(phone.wa_id, phone.generate_keys())
        self._changed(phone)
        log.info("virtual phone %s reinstalled", phone.wa_id)

    def change_number(self, phone: VirtualPhone, body: Any) -> list[str]:
        """The user moves to a new number on the same phone: keys, sessions and history
        stay; the old number stops being a user; every business the phone exchanged
        messages with is told. Returns those businesses."""
        body = require_object(body)
        new = body.get("new_wa_id")
        if not is_wa_id(new):
            raise bad_request("'new_wa_id' must be a string of 5-20 digits")
        old = phone.wa_id
        if new == old:
            raise bad_request("'new_wa_id' is already this phone's number")
        if self.network.registry.get(new) is not None or new in self.phones:
            raise conflict("this number is already a WhatsApp user", code="number_in_use")
        registry = self.network.registry
        peers = sorted({message["peer"] for message in phone.messages} | set(phone.sessions))
        businesses = [p for p in peers if (user := registry.get(p)) is not None and user.kind == BUSINESS]
        worker = self._workers.pop(old, None)
        if worker is not None:
            worker.cancel()  # it watches the old number's mailbox
        self.network.change_phone_number(old, new, businesses)
        del self.phones[old]
        phone.wa_id = new
        self.phones[new] = phone
        self._changes.mark(PHONE, old)
        self._changed(phone, whole_history=True)
        if self._running:
            self._spawn(phone)
        log.info("virtual phone %s changed number", new)
        return businesses

    # -- sending -----------------------------------------------------------
    async def submit(self, phone: VirtualPhone, body: Any) -> str:
        """What ``POST …/messages`` asks: :meth:`send`, or for media first the file
        encrypted (in a thread) and its ciphertext in the network's media store."""
        if not isinstance(body, dict) or not phone_media.is_media(body.get("type")):
            return self.send(phone, body)
        media = phone_media.check_send(body)
        if media.to == phone.wa_id:
            raise bad_request("a phone cannot message itself")
        if not self.network.registry.is_user(media.to):
            raise not_a_user(media.to)  # before storing a blob nobody would fetch
        encrypted: EncryptedMedia = await asyncio.to_thread(encrypt_media, media.data, media.kind)
        store = self.network.media
        media_id = await store.put(encrypted.data)
        try:
            payload = phone_media.payload(media, media_id, encrypted)
            return self._send_checked(phone, media.to, media.kind, payload, media.quoted)
        except Exception:
            store.delete(media_id)
            raise

    def send(self, phone: VirtualPhone, body: Any) -> str:
        to, kind, payload, quoted = _check_message_body(body)
        if to == phone.wa_id:
            raise bad_request("a phone cannot message itself")
        return self._send_checked(phone, to, kind, payload, quoted)

    def _send_checked(self, phone: VirtualPhone, to: str, kind: str, payload: Any, quoted: str | None) -> str:
        try:
            return self._send(phone, to, kind, payload, self._context(phone, quoted))
        finally:  # a failed submit may still have moved the session on
            self._changed(phone)

    @staticmethod
    def _context(phone: VirtualPhone, quoted: str | None) -> dict[str, str] | None:
        """A reply's context: the quoted message and who wrote it, as WhatsApp sends it."""
        if quoted is None:
            return None
        message = phone.find(quoted)
        if message is None:
            return {"id": quoted}
        return {"id": quoted, "from": message["peer"] if message["direction"] == "in" else phone.wa_id}

    def templates(self, namespace: str, name: str) -> list[dict[str, Any]]:
        """The network's translations of a template, to render a template message (PhoneEnvironment)."""
        return self.network.templates.translations(namespace, name)

    @staticmethod
    def _outgoing(
        phone: VirtualPhone, message_id: str, timestamp: int, kind: str, payload: Any,
        context: dict[str, str] | None = None,
    ) -> Outgoing:
        plaintext = Plaintext(kind, payload, context=context, profile_name=phone.name).encode()
        return Outgoing(message_id, timestamp, plaintext)

    def _seal(self, phone: VirtualPhone, to: str, messages: list[Outgoing]) -> list[Envelope]:
        """Encrypted in the session with ``to``, stored before anything is submitted; a
        new session from the directory's bundle (an ApiError 404 when ``to`` is no user)."""
        envelopes = phone.protocol().seal(phone.wa_id, to, messages, self.network.fetch_bundle)
        phone.note_peer_identity(to)
        return envelopes

    def _submit(
        self, phone: VirtualPhone, to: str, message_id: str, timestamp: int, kind: str, payload: Any,
        context: dict[str, str] | None = None,
    ) -> None:
        [envelope] = self._seal(phone, to, [self._outgoing(phone, message_id, timestamp, kind, payload, context)])
        self.network.submit_envelope(phone.wa_id, envelope.to_dict())

    def _send(
        self, phone: VirtualPhone, to: str, kind: str, payload: Any, context: dict[str, str] | None = None
    ) -> str:
        message_id = phone_message_id()
        timestamp = int(time.time())
        self._submit(phone, to, message_id, timestamp, kind, payload, context)
        record: dict[str, Any] = {
            "direction": "out",
            "id": message_id,
            "peer": to,
            "type": kind,
            kind: payload,
            "timestamp": timestamp,
            "status": "sent",
            "statuses": {"sent": timestamp},
        }
        if context:
            record["context"] = context
        phone.record(record)
        self._changed(phone)
        return message_id

    def _receipt(self, phone: VirtualPhone, to: str, status: str, message_ids: list[str]) -> None:
        self.network.submit_receipt(phone.wa_id, {"to": to, "status": status, "message_ids": message_ids})

    def mark_read(self, phone: VirtualPhone, message_id: str) -> None:
        message = phone.find(message_id)
        if message is None or message["direction"] != "in":
            raise not_found("this phone received no message with that id", code="message_not_found")
        self._receipt(phone, message["peer"], "read", [message_id])
        message["status"] = "read"
        message.setdefault("statuses", {})["read"] = int(time.time())
        phone.touch(message_id)
        self._changed(phone)

    # -- receiving ---------------------------------------------------------
    def process(self, phone: VirtualPhone, item: dict[str, Any]) -> None:
        if item.get("type") == "envelope":
            self._on_envelope(phone, item["envelope"])
        elif item.get("type") == "receipt":
            self._on_receipt(phone, item["receipt"])

    def _on_receipt(self, phone: VirtualPhone, receipt: dict[str, Any]) -> None:
        status = receipt["status"]
        if status == "retry":
            self._on_retry(phone, receipt["from"], receipt["message_ids"])
            return
        for message_id in receipt["message_ids"]:
            message = phone.find(message_id)
            if message is None or message["direction"] != "out" or message["peer"] != receipt["from"]:
                continue
            message.setdefault("statuses", {}).setdefault(status, receipt["timestamp"])
            phone.touch(message_id)
            if STATUS_RANK.get(status, 0) > STATUS_RANK.get(message.get("status", ""), 0):
                message["status"] = status

    def _on_retry(self, phone: VirtualPhone, peer: str, message_ids: list[str]) -> None:
        """The peer could not decrypt these messages of ours: start a new session from
        a fresh bundle (the peer may have reinstalled) and send them again, same ids and
        timestamps, at most ``MAX_RETRIES_PER_MESSAGE`` times each."""
        wanted: list[dict[str, Any]] = []
        for message_id in dict.fromkeys(message_ids):
            message = phone.find(message_id)
            if message is None or message["direction"] != "out" or message["peer"] != peer:
                continue
            if message.get("resent", 0) >= MAX_RETRIES_PER_MESSAGE:
                phone.note_error("retry_limit", id=message_id, peer=peer)
                continue
            wanted.append(message)
        if not wanted:
            return
        phone.protocol().reset_session(peer)
        outgoing = [
            self._outgoing(phone, m["id"], m["timestamp"], m["type"], m.get(m["type"]), m.get("context"))
            for m in wanted
        ]
        try:
            envelopes = self._seal(phone, peer, outgoing)
        except ApiError as exc:  # the peer is gone or published no keys
            phone.note_error("resend_failed", ids=[m["id"] for m in wanted], peer=peer, message=exc.message)
            return
        for message, envelope in zip(wanted, envelopes, strict=True):
            self.network.submit_envelope(phone.wa_id, envelope.to_dict())
            message["resent"] = message.get("resent", 0) + 1
            phone.touch(message["id"])
        self._changed(phone)

    def _request_retry(self, phone: VirtualPhone, envelope: Envelope, exc: Exception) -> None:
        """Could not decrypt: tell the sender (a ``retry`` receipt), at most
        ``MAX_RETRIES_PER_MESSAGE`` times per message id."""
        peer = envelope.sender
        phone.note_error(type(exc).__name__, id=envelope.id, peer=peer, message=str(exc))
        failure = phone.undecryptable.get(envelope.id)
        if failure is None or failure["peer"] != peer:
            failure = phone.undecryptable[envelope.id] = {"peer": peer, "retries": 0}
            for old in list(phone.undecryptable)[:-MAX_UNDECRYPTABLE]:
                del phone.undecryptable[old]
        if failure["retries"] >= MAX_RETRIES_PER_MESSAGE:
            return
        try:
            self._receipt(phone, peer, "retry", [envelope.id])
        except ApiError as exc2:  # the sender is no longer a user
            phone.note_error("retry_failed", id=envelope.id, peer=peer, message=exc2.message)
            return
        failure["retries"] += 1

    def _on_envelope(self, phone: VirtualPhone, raw: dict[str, Any]) -> None:
        envelope = Envelope.from_dict(raw)
        peer = envelope.sender
        seen = phone.find(envelope.id)
        if seen is not None and seen["direction"] == "in" and seen["peer"] == peer:
            # A retransmission of something already stored: confirm again, record once.
            if phone.auto_delivered:
                self._receipt(phone, peer, "delivered", [envelope.id])
            return
        try:
            plaintext = self._decrypt(phone, envelope)
        except ProtocolError as exc:  # DecryptionError, no session, unknown prekeys, ...
            self._request_retry(phone, envelope, exc)
            return
        failure = phone.undecryptable.get(envelope.id)
        if failure is not None and failure["peer"] == peer:
            del phone.undecryptable[envelope.id]
        try:
            message = message_types.decode(plaintext)
        except message_types.BadPlaintext:
            phone.note_error("bad_plaintext", id=envelope.id, peer=peer)
            return
        kind, payload = message.type, message.body
        record: dict[str, Any] = {
            "direction": "in",
            "id": envelope.id,
            "peer": peer,
            "type": kind,
            kind: self._shown(phone, envelope, kind, payload),
            "timestamp": envelope.timestamp,
            "status": "received",
        }
        if message.context:
            record["context"] = message.context
        if message.profile_name:
            record["profile"] = {"name": message.profile_name}
        phone.record(record)
        if phone.auto_delivered:
            self._receipt(phone, peer, "delivered", [envelope.id])
        if phone.auto_read:
            self.mark_read(phone, envelope.id)
        if phone.auto_reply == "echo" and kind == "text" and isinstance(payload, dict):
            self._send(phone, peer, "text", {"body": str(payload.get("body", ""))})

    def _shown(self, phone: VirtualPhone, envelope: Envelope, kind: str, payload: Any) -> Any:
        """The received object as the user sees it; a media file (a media message's, a
        template's media header) is fetched, checked and decrypted now (in the event
        loop: a few ms per MB). A template with a media header records it as
        ``header_media: {"type", "sha256", "mime_type", ...}``, and its header parameter
        shows the same instead of the payload (the media key is never recorded)."""
        declared = message_types.get(kind)
        if declared is None:
            return payload
        if declared.media:
            return self._fetched(phone, envelope, kind, payload)
        shown = declared.display(payload, self)
        carried = carried_media.media_of(kind, payload)
        if carried is None or not isinstance(shown, dict):
            return shown
        media_kind, media_obj = carried
        fetched = self._fetched(phone, envelope, media_kind, media_obj)
        return {**carried_media.with_media(kind, shown, fetched), "header_media": {"type": media_kind, **fetched}}

    def _fetched(self, phone: VirtualPhone, envelope: Envelope, kind: str, payload: Any) -> dict[str, Any]:
        received = phone_media.receive(kind, payload, self.network.media)
        if received.failure is not None:
            phone.note_error(phone_media.DOWNLOAD_FAILED, id=envelope.id, peer=envelope.sender,
                             message=received.failure)
        return received.shown

    def _decrypt(self, phone: VirtualPhone, envelope: Envelope) -> bytes:
        opened = phone.protocol().open(envelope)
        if opened.new_session:
            phone.note_peer_identity(envelope.sender)
            self._refill_prekeys(phone)
        return opened.plaintext

    def _refill_prekeys(self, phone: VirtualPhone) -> None:
        if self.network.directory.count(phone.wa_id) < REFILL_BELOW:
            self.network.add_one_time_prekeys(phone.wa_id, phone.more_one_time_prekeys(REFILL_COUNT))

    # -- workers -----------------------------------------------------------
    async def _work(self, phone: VirtualPhone) -> None:
        relay = self.network.relay
        wa_id = phone.wa_id  # the number this worker serves (a number change starts a new one)
        wakeup = asyncio.Event()
        relay.watch(wa_id, wakeup)
        try:
            while True:
                await wakeup.wait()
                wakeup.clear()
                for item in relay.pending(wa_id):
                    current = self.phones.get(wa_id)
                    if current is None:
                        return
                    try:
                        self.process(current, item)
                    except Exception as exc:  # one bad item must not stop the phone
                        log.warning("phone %s could not process item %s: %s", wa_id, item.get("id"), exc)
                        current.note_error(type(exc).__name__, item=item.get("id"), message=str(exc))
                    relay.ack(wa_id, [item["id"]])
                    self._changed(current)
                    await asyncio.sleep(0)
        finally:
            relay.unwatch(wa_id, wakeup)

    def _spawn(self, phone: VirtualPhone) -> None:
        task = self._workers.get(phone.wa_id)
        if task is None or task.done():
            self._workers[phone.wa_id] = asyncio.create_task(self._work(phone), name=f"phone-{phone.wa_id}")

    def start(self) -> None:
        self._running = True
        for phone in self.phones.values():
            self._spawn(phone)

    async def stop(self) -> None:
        self._running = False
        tasks = list(self._workers.values())
        self._workers.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- persistence -------------------------------------------------------
    def _changed(self, phone: VirtualPhone, whole_history: bool = False) -> None:
        """``phone`` may have changed (keys, sessions, failure records, settings) and so
        may the history records it was told about (or, after a number change, all)."""
        self._changes.mark(PHONE, phone.wa_id)
        touched = phone.take_touched()
        for position in range(len(phone.messages)) if whole_history else touched:
            self._changes.mark(MESSAGE, phone.wa_id, position)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.phones.values()]

    def load(self, data: list[dict[str, Any]]) -> None:
        self.phones = {p.wa_id: p for p in (VirtualPhone.from_dict(d) for d in data)}

    def dump_record(self, key: Key) -> Any:
        phone = self.phones.get(key[1])
        if phone is None:
            return None
        if key[0] == PHONE:
            return phone.core_dict()
        position = key[2]
        return phone.messages[position] if position < len(phone.messages) else None

    def apply_record(self, key: Key, value: Any) -> None:
        wa_id = key[1]
        phone = self.phones.get(wa_id)
        if key[0] == PHONE:
            if value is None:
                self.phones.pop(wa_id, None)
            else:
                messages = phone.messages if phone is not None else []
                self.phones[wa_id] = VirtualPhone.from_dict({**value, "messages": messages}, previous=phone)
        elif phone is not None and value is not None:
            phone.put_message(key[2], value)
