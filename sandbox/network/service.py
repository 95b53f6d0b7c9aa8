"""The network as one object: what the ``/network/v1`` routes and the virtual phones
both call. Phones reach it in-process but go through exactly the same checks,
logging and queueing as a business client over HTTP."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

from sandbox.changes import Changes
from sandbox.errors import ApiError, bad_request, forbidden, not_a_user, not_found
from sandbox.network import keys, two_step
from sandbox.network.certificates import CertificateAuthority, CertificateError
from sandbox.network.directory import Directory
from sandbox.network.media_store import MediaStore
from sandbox.network.profiles import ProfileStore, check_profile
from sandbox.network.registration import BUSINESS, PHONE, Registry
from sandbox.network.relay import Relay
from sandbox.network.templates import TemplateStore
from sandbox.validation import is_wa_id, require_digits, require_object, require_str


@dataclass(frozen=True)
class CodeRequest:
    """A code request checked but for its PIN."""

    cc: str
    phone_number: str
    vname: str
    method: str
    wipe: bool
    verifier: dict[str, Any] | None = field(repr=False)  # None: no PIN to check
    pin: str | None = field(repr=False)

    def pin_matches(self) -> bool:
        """The PBKDF2 check: pure, so it may run on any thread."""
        return self.verifier is None or two_step.matches(self.verifier, self.pin)


RECEIPT_STATUSES = ("delivered", "read", "played", "retry")
"""``retry``: the recipient could not decrypt these message ids; the sender should fetch
a fresh bundle, start a new session and send them again (same ids)."""
MAX_IDS_PER_RECEIPT = 1000
MAX_ENVELOPES_PER_BATCH = 500
MAX_NUMBERS_PER_CONTACTS_CHECK = 1000


class Network:
    def __init__(self, changes: Changes | None = None, ca: CertificateAuthority | None = None) -> None:
        changes = changes or Changes()
        self.ca = ca or CertificateAuthority()
        self.registry = Registry(changes)
        self.directory = Directory(changes)
        self.relay = Relay(changes)
        self.templates = TemplateStore(changes)
        self.media = MediaStore()
        """Encrypted media files; in memory unless the app gives it a directory (--state-file)."""
        self.profiles = ProfileStore(changes)
        self.pin_guesses = two_step.PinGuesses()

    # -- registration ------------------------------------------------------
    def request_code(self, body: Any) -> dict[str, Any]:
        """The whole request at once, the PIN checked on the caller's thread (the route
        checks it off the event loop: ``begin_code_request``/``finish_code_request``)."""
        request = self.begin_code_request(body)
        return self.finish_code_request(request, request.pin_matches())

    def begin_code_request(self, body: Any) -> CodeRequest:
        """The request checked, all but its PIN (``CodeRequest.pin_matches``, ~20 ms of
        PBKDF2): the part that reads and changes the network's state."""
        body = require_object(body)
        cc = require_digits(body, "cc", 1, 3)
        phone_number = require_digits(body, "phone_number", 4, 14)
        method = body.get("method", "sms")
        if method not in ("sms", "voice"):
            raise bad_request("'method' must be 'sms' or 'voice'")
        try:
            details = self.ca.verify(body.get("cert"), cc=cc, phone_number=phone_number)
        except CertificateError as exc:
            raise ApiError(400, "invalid_certificate", str(exc)) from exc
        user = self.registry.get(cc + phone_number)
        if user is not None and user.kind == PHONE:
            raise ApiError(409, "number_in_use", "this number belongs to a virtual phone")
        wipe, verifier, pin = self._check_two_step(cc + phone_number, body)
        return CodeRequest(cc, phone_number, details.vname, method, wipe, verifier, pin)

    def finish_code_request(self, request: CodeRequest, pin_matched: bool) -> dict[str, Any]:
        wa_id = request.cc + request.phone_number
        if request.verifier is not None:
            if not pin_matched:
                raise forbidden("the two-step verification PIN is wrong", code="wrong_pin")
            self.pin_guesses.forget(wa_id)
        self.registry.request_code(request.cc, request.phone_number, request.vname, request.method,
                                   wipe=request.wipe)
        return {"vname": request.vname}

    def _check_two_step(self, wa_id: str, body: dict[str, Any]) -> tuple[bool, dict[str, Any] | None, str | None]:
        """Whether the request asks for a wipe, and the verifier its PIN is to be checked
        against (None: no check) with that PIN; refuses a request the number's two-step
        verification does not let through, and a guess past the lockout."""
        reset, pin = body.get("reset"), body.get("pin")
        if reset not in (None, "wipe"):
            raise bad_request("'reset' must be 'wipe'")
        if pin is not None and not two_step.is_pin(pin):
            raise bad_request("'pin' must be 6 digits")
        if reset == "wipe":
            if pin is not None:
                raise bad_request("'pin' is not allowed with 'reset': 'wipe'")
            return True, None, None
        verifier = self.registry.two_step.get(wa_id)
        if verifier is None:
            return False, None, None
        if pin is None:
            raise forbidden("two-step verification is enabled for this number: 'pin' is required",
                            code="two_step_required")
        if not self.pin_guesses.start(wa_id):
            raise ApiError(429, "too_many_guesses",
                           f"too many wrong two-step verification PINs: try again within "
                           f"{int(two_step.LOCKOUT_SECONDS)} s")
        return False, verifier, pin

    def verify_code(self, body: Any) -> dict[str, Any]:
        body = require_object(body)
        cc = require_digits(body, "cc", 1, 3)
        phone_number = require_digits(body, "phone_number", 4, 14)
        code = body.get("code")
        if isinstance(code, int) and not isinstance(code, bool):
            code = f"{code:06d}"
        if not isinstance(code, str) or not code:
            raise bad_request("'code' must be a string")
        result = self.registry.verify_code(cc, phone_number, code.replace("-", "").strip())
        if result is None:
            raise ApiError(403, "invalid_code", "the verification code is wrong or was not requested")
        wa_id, token = result
        return {"wa_id": wa_id, "auth_token": token}

    def set_two_step(self, wa_id: str, body: Any) -> dict[str, Any]:
        pin = require_object(body).get("pin")
        if not two_step.is_pin(pin):
            raise bad_request("'pin' must be 6 digits")
        self.registry.set_two_step(wa_id, pin)
        self.pin_guesses.forget(wa_id)
        return {"two_step": True}

    def clear_two_step(self, wa_id: str) -> dict[str, Any]:
        self.registry.clear_two_step(wa_id)
        self.pin_guesses.forget(wa_id)
        return {"two_step": False}

    def verification_code(self, wa_id: str) -> str | None:
        return self.registry.last_codes.get(wa_id)

    # -- keys --------------------------------------------------------------
    def publish_keys(self, wa_id: str, body: Any) -> dict[str, Any]:
        body = require_object(body)
        identity, signed_prekey, otpks = keys.check_upload(
            body.get("identity"), body.get("signed_prekey"), body.get("one_time_prekeys", [])
        )
        n = self.directory.publish(wa_id, identity, signed_prekey, otpks)
        return {"one_time_prekeys": n}

    def add_one_time_prekeys(self, wa_id: str, body: Any) -> dict[str, Any]:
        body = require_object(body)
        if not self.directory.has_keys(wa_id):
            raise ApiError(409, "no_keys", "publish your identity and signed prekey first (PUT /network/v1/keys)")
        otpks = keys.check_one_time_prekeys(body.get("one_time_prekeys"))
        return {"one_time_prekeys": self.directory.add_one_time(wa_id, otpks)}

    def key_count(self, wa_id: str) -> dict[str, Any]:
        return {"one_time_prekeys": self.directory.count(wa_id), "published": self.directory.has_keys(wa_id)}

    def fetch_bundle(self, wa_id: str) -> dict[str, Any]:
        if not self.registry.is_user(wa_id):
            raise not_a_user(wa_id)
        taken = self.directory.take(wa_id)
        if taken is None:
            raise not_a_user(wa_id)
        entry, otpk = taken
        return keys.build_bundle(entry, otpk)

    # -- contacts ----------------------------------------------------------
    def check_contacts(self, body: Any) -> dict[str, Any]:
        """Which of these numbers (wa_id digits) are WhatsApp users: phones and businesses."""
        numbers = require_object(body).get("numbers")
        if (
            not isinstance(numbers, list)
            or not 1 <= len(numbers) <= MAX_NUMBERS_PER_CONTACTS_CHECK
            or not all(is_wa_id(number) for number in numbers)
        ):
            raise bad_request(
                f"'numbers' must be a list of 1 to {MAX_NUMBERS_PER_CONTACTS_CHECK} strings of 5-20 digits"
            )
        return {"results": [
            {"number": number, "wa_id": number if self.registry.is_user(number) else None} for number in numbers
        ]}

    # -- relay -------------------------------------------------------------
    def submit_envelope(self, sender: str, body: Any) -> dict[str, Any]:
        envelope = keys.check_envelope(require_object(body))
        if envelope["from"] != sender:
            raise forbidden("'from' must be your own wa_id", code="sender_mismatch")
        recipient = envelope["to"]
        if not self.registry.is_user(recipient):
            raise not_a_user(recipient)
        item = self.relay.queue_envelope(recipient, body)
        return {"id": item["id"], "timestamp": int(time.time())}

    def submit_envelopes(self, sender: str, body: Any) -> dict[str, Any]:
        """Several envelopes in one request, relayed in order; each gets its own result,
        as pipelined stanzas on a real client connection would."""
        envelopes = require_object(body).get("envelopes")
        if not isinstance(envelopes, list) or not 1 <= len(envelopes) <= MAX_ENVELOPES_PER_BATCH:
            raise bad_request(f"'envelopes' must be a list of 1 to {MAX_ENVELOPES_PER_BATCH} envelopes")
        results: list[dict[str, Any]] = []
        for envelope in envelopes:
            try:
                results.append(self.submit_envelope(sender, envelope))
            except ApiError as error:
                results.append(error.to_dict())
        return {"results": results}

    def submit_receipt(self, sender: str, body: Any) -> dict[str, Any]:
        body = require_object(body)
        to = require_str(body, "to")
        status = body.get("status")
        if status not in RECEIPT_STATUSES:
            raise bad_request(f"'status' must be one of {', '.join(RECEIPT_STATUSES)}")
        ids = body.get("message_ids")
        if (
            not isinstance(ids, list)
            or not ids
            or len(ids) > MAX_IDS_PER_RECEIPT
            or not all(isinstance(i, str) and i for i in ids)
        ):
            raise bad_request("'message_ids' must be a non-empty list of strings")
        if not self.registry.is_user(to):
            raise not_a_user(to)
        receipt = {"from": sender, "to": to, "status": status, "message_ids": ids, "timestamp": int(time.time())}
        self.relay.queue_receipt(to, receipt)
        return {}

    # -- templates -----------------------------------------------------------
    def put_template(self, body: Any) -> dict[str, Any]:
        """Create or replace a template and tell every registered business that its
        templates changed (a ``templates`` notification: they fetch them again)."""
        template = self.templates.put(body)
        for user in self.registry.users.values():
            if user.kind == BUSINESS:
                self.relay.queue_notification(user.wa_id, {"kind": "templates"})
        return template

    # -- business profiles -----------------------------------------------------
    def publish_profile(self, wa_id: str, body: Any) -> dict[str, Any]:
        """A business's whole profile (sandbox/network/profiles.py); its photo must be
        a blob it uploaded first. Answers the revision the network holds."""
        user = self.registry.get(wa_id)
        if user is None or user.kind != BUSINESS:
            raise forbidden("only a business publishes a profile", code="not_a_business")
        profile = check_profile(body)
        if profile["photo"] is not None and self.media.size(profile["photo"]["id"]) != profile["photo"]["size"]:
            raise bad_request("'photo.size' is not the size of the blob", code="photo_size_mismatch")
        return {"revision": self.profiles.publish(wa_id, profile)}

    def business_profile(self, wa_id: str) -> dict[str, Any]:
        """What a phone is shown of business ``wa_id``: its name and what it published
        (empty until it publishes). 404 ``not_a_business`` for anyone else."""
        user = self.registry.get(wa_id)
        if user is None or user.kind != BUSINESS:
            raise not_found(f"{wa_id} is not a business", code="not_a_business")
        published = self.profiles.get(wa_id) or {}
        photo = published.get("photo")
        return {"wa_id": wa_id, "name": user.name, "revision": published.get("revision", 0),
                "about": published.get("about", ""), "business_profile": published.get("business_profile"),
                "photo": {key: photo[key] for key in ("mime_type", "size", "sha256")} if photo else None}

    def business_photo(self, wa_id: str) -> dict[str, Any]:
        """The published photo's blob id and type; 404 ``no_photo`` when there is none."""
        self.business_profile(wa_id)
        photo = (self.profiles.get(wa_id) or {}).get("photo")
        if photo is None:
            raise not_found(f"{wa_id} has no profile photo", code="no_photo")
        return photo

    def ack(self, wa_id: str, ids: list[str]) -> int:
        return self.relay.ack(wa_id, ids)

    # -- number changes ----------------------------------------------------
    def change_phone_number(self, old: str, new: str, tell: list[str]) -> None:
        """A phone user moves to a new number, keeping its device (keys, pending items);
        ``old`` stops being a user. Each business in ``tell`` gets a
        ``user_changed_number`` notification, as WhatsApp tells the chats of a user who
        changed number."""
        self.registry.change_phone_number(old, new)
        self.directory.move(old, new)
        self.relay.move_mailbox(old, new)
        timestamp = int(time.time())
        for business in tell:
            self.relay.queue_notification(business, {
                "kind": "user_changed_number", "from": old, "old_wa_id": old, "new_wa_id": new,
                "timestamp": timestamp,
            })

    # -- persistence -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "ca_key": base64.b64encode(self.ca.private_bytes()).decode(),
            "registry": self.registry.to_dict(),
            "directory": self.directory.to_dict(),
            "relay": self.relay.to_dict(),
            "templates": self.templates.to_dict(),
            "profiles": self.profiles.to_dict(),
        }

    def load(self, data: dict[str, Any]) -> None:
        if "ca_key" in data:
            self.ca = CertificateAuthority.from_private_bytes(base64.b64decode(data["ca_key"]))
        self.registry.load(data.get("registry", {}))
        self.directory.load(data.get("directory", {}))
        self.relay.load(data.get("relay", {}))
        self.templates.load(data.get("templates", []))
        self.profiles.load(data.get("profiles", {}))
