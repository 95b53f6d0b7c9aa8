"""Registration: verification codes, users and network auth tokens.

A business registers with a verified-name certificate and a 6-digit code "sent by
SMS" (readable at ``GET /sandbox/v1/verification-codes/{wa_id}``); verifying the code
issues a random bearer token. Only the SHA-256 of a token is kept; registering the
same number again issues a new token and invalidates the old one. Virtual phones
are users too (they reach the network in-process and hold no token).

A business may turn two-step verification on: the registry then keeps its PIN's
verifier (sandbox/network/two_step.py) and a code is sent for that number only to a
request carrying the PIN, or asking for a wipe, which removes the verifier once its
code is verified (whoever receives the number's codes owns it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from sandbox.changes import Changes, Key
from sandbox.network import two_step

BUSINESS = "business"
PHONE = "phone"

# Journal record kinds (sandbox/changes.py), each keyed by wa_id.
USER = "user"
PENDING_CODE = "pending_code"
LAST_CODE = "last_code"
TWO_STEP = "two_step"
RECORD_KINDS = (USER, PENDING_CODE, LAST_CODE, TWO_STEP)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class PendingCode:
    cc: str
    phone_number: str
    vname: str
    code: str
    method: str
    wipe: bool = False  # verifying this code removes the number's two-step verification


@dataclass
class User:
    wa_id: str
    kind: str  # BUSINESS or PHONE
    name: str
    token_hash: str | None = None


class Registry:
    def __init__(self, changes: Changes | None = None) -> None:
        self._changes = changes or Changes()
        self.users: dict[str, User] = {}
        self.pending: dict[str, PendingCode] = {}
        self.last_codes: dict[str, str] = {}
        self.two_step: dict[str, dict[str, Any]] = {}
        """wa_id -> the verifier of its two-step PIN (never the PIN)."""
        self._by_token: dict[str, str] = {}

    # -- queries -----------------------------------------------------------
    def is_user(self, wa_id: str) -> bool:
        return wa_id in self.users

    def get(self, wa_id: str) -> User | None:
        return self.users.get(wa_id)

    def authenticate(self, token: str) -> str | None:
        """The wa_id a bearer token belongs to, or None."""
        if not token:
            return None
        wa_id = self._by_token.get(hash_token(token))
        if wa_id is None:
            return None
        user = self.users.get(wa_id)
        if user is None or user.token_hash is None:
            return None
        # Constant-time comparison of the stored hash (defence in depth).
        return wa_id if hmac.compare_digest(user.token_hash, hash_token(token)) else None

    def has_two_step(self, wa_id: str) -> bool:
        return wa_id in self.two_step

    def two_step_matches(self, wa_id: str, pin: Any) -> bool:
        verifier = self.two_step.get(wa_id)
        return verifier is not None and two_step.matches(verifier, pin)

    # -- businesses --------------------------------------------------------
    def request_code(self, cc: str, phone_number: str, vname: str, method: str, *, wipe: bool = False) -> str:
        wa_id = cc + phone_number
        code = f"{secrets.randbelow(1_000_000):06d}"
        self.pending[wa_id] = PendingCode(cc, phone_number, vname, code, method, wipe)
        self.last_codes[wa_id] = code
        self._changes.mark(PENDING_CODE, wa_id)
        self._changes.mark(LAST_CODE, wa_id)
        return code

    def verify_code(self, cc: str, phone_number: str, code: str) -> tuple[str, str] | None:
        """(wa_id, token) when the code matches the pending one, else None."""
        wa_id = cc + phone_number
        pending = self.pending.get(wa_id)
        if pending is None or not hmac.compare_digest(pending.code.encode(), code.encode()):
            return None
        del self.pending[wa_id]
        self._changes.mark(PENDING_CODE, wa_id)
        if pending.wipe:
            self.clear_two_step(wa_id)
        token = secrets.token_urlsafe(32)
        old = self.users.get(wa_id)
        if old is not None and old.token_hash is not None:
            self._by_token.pop(old.token_hash, None)
        user = User(wa_id=wa_id, kind=BUSINESS, name=pending.vname, token_hash=hash_token(token))
        self.users[wa_id] = user
        self._by_token[user.token_hash or ""] = wa_id
        self._changes.mark(USER, wa_id)
        return wa_id, token

    def set_two_step(self, wa_id: str, pin: str) -> None:
        self.two_step[wa_id] = two_step.make_verifier(pin)
        self._changes.mark(TWO_STEP, wa_id)

    def clear_two_step(self, wa_id: str) -> None:
        if self.two_step.pop(wa_id, None) is not None:
            self._changes.mark(TWO_STEP, wa_id)

    # -- phones ------------------------------------------------------------
    def add_phone(self, wa_id: str, name: str) -> None:
        self._set_user(wa_id, User(wa_id=wa_id, kind=PHONE, name=name))
        self._changes.mark(USER, wa_id)

    def change_phone_number(self, old: str, new: str) -> None:
        """The phone user ``old`` is ``new`` from now on; ``old`` is no user any more."""
        user = self.users.pop(old)
        self.users[new] = User(wa_id=new, kind=PHONE, name=user.name)
        self._changes.mark(USER, old)
        self._changes.mark(USER, new)

    # -- persistence -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "users": [asdict(u) for u in self.users.values()],
            "pending": {k: asdict(v) for k, v in self.pending.items()},
            "last_codes": dict(self.last_codes),
            "two_step": dict(self.two_step),
        }

    def dump_record(self, key: Key) -> Any:
        kind, wa_id = key
        if kind == USER:
            user = self.users.get(wa_id)
            return asdict(user) if user else None
        if kind == PENDING_CODE:
            pending = self.pending.get(wa_id)
            return asdict(pending) if pending else None
        if kind == TWO_STEP:
            return self.two_step.get(wa_id)
        return self.last_codes.get(wa_id)

    def apply_record(self, key: Key, value: Any) -> None:
        kind, wa_id = key
        if kind == USER:
            self._set_user(wa_id, User(**value) if value is not None else None)
        elif kind == PENDING_CODE:
            if value is None:
                self.pending.pop(wa_id, None)
            else:
                self.pending[wa_id] = PendingCode(**value)
        elif kind == TWO_STEP:
            self._apply_two_step(wa_id, value)
        elif value is None:
            self.last_codes.pop(wa_id, None)
        else:
            self.last_codes[wa_id] = value

    def _apply_two_step(self, wa_id: str, verifier: dict[str, Any] | None) -> None:
        if verifier is None:
            self.two_step.pop(wa_id, None)
        else:
            self.two_step[wa_id] = verifier

    def _set_user(self, wa_id: str, user: User | None) -> None:
        """Replace (or remove) a user, keeping the token index right."""
        old = self.users.get(wa_id)
        if old is not None and old.token_hash is not None:
            self._by_token.pop(old.token_hash, None)
        if user is None:
            self.users.pop(wa_id, None)
            return
        self.users[wa_id] = user
        if user.token_hash:
            self._by_token[user.token_hash] = wa_id

    def load(self, data: dict[str, Any]) -> None:
        self.users = {u["wa_id"]: User(**u) for u in data.get("users", [])}
        self.pending = {k: PendingCode(**v) for k, v in data.get("pending", {}).items()}
        self.last_codes = dict(data.get("last_codes", {}))
        self.two_step = dict(data.get("two_step", {}))
        self._by_token = {u.token_hash: u.wa_id for u in self.users.values() if u.token_hash}
