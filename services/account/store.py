"""The registered phone number, its network credential and its two-step verification
PIN (both sealed at rest): the one module that reads or writes the ``account`` document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.common.clock import utcnow
from services.common.resealing import ResealCount, reseal_field
from services.protocol import at_rest

ACCOUNT_ID = "account"
REGISTERED = "registered"
CODE_REQUESTED = "code_requested"
_TOKEN_CONTEXT = b"network-token"
_PIN_CONTEXT = b"two-step-pin"
TWO_STEP_FIELD = "two_step_pin_sealed"
_REGISTRATION_FIELDS = {"state": 1, "cc": 1, "phone_number": 1, "wa_id": 1, "vname": 1}


@dataclass(frozen=True)
class RegisteredAccount:
    wa_id: str
    vname: str
    network_token: str


@dataclass(frozen=True)
class Registration:
    """What the API reads of the account: the business's number and whether it is
    registered; never its network credential. ``cc``, ``phone_number`` and ``wa_id``
    are those of the registered number (None before the first registration)."""

    state: str | None
    cc: str | None
    phone_number: str | None
    wa_id: str | None
    vname: str | None = None

    @property
    def registered(self) -> bool:
        return self.state == REGISTERED


def load_registration(db: Database) -> Registration | None:
    """The account's registration state and number; None when no registration was
    ever asked for."""
    doc = db.account.find_one({"_id": ACCOUNT_ID}, _REGISTRATION_FIELDS)
    if doc is None:
        return None
    return Registration(state=doc.get("state"), cc=doc.get("cc"), phone_number=doc.get("phone_number"),
                        wa_id=doc.get("wa_id"), vname=doc.get("vname"))


def is_registered(db: Database) -> bool:
    registration = load_registration(db)
    return registration is not None and registration.registered


def registered_wa_id(db: Database) -> str | None:
    """The business's wa_id while it is registered, else None."""
    registration = load_registration(db)
    if registration is None or not registration.registered:
        return None
    return registration.wa_id or None


def load_raw(db: Database) -> dict[str, Any] | None:
    return db.account.find_one({"_id": ACCOUNT_ID})


def load_registered(db: Database, master_key: at_rest.Keys) -> RegisteredAccount | None:
    registration = export_registration(db, master_key)
    if registration is None:
        return None
    return RegisteredAccount(wa_id=registration.wa_id, vname=registration.vname,
                             network_token=registration.network_token)


def record_code_requested(db: Database, *, cc: str, phone_number: str, cert: str, vname: str,
                          wipe: bool = False) -> None:
    """``wipe``: the network removes the number's two-step verification once this code
    is verified, and so does :func:`record_registered`."""
    # A new code request keeps an existing registration usable until it is verified.
    db.account.update_one(
        {"_id": ACCOUNT_ID},
        {
            "$set": {
                "pending": {"cc": cc, "phone_number": phone_number, "cert": cert, "vname": vname, "wipe": wipe},
                "pending_at": utcnow(),
            },
            "$setOnInsert": {"state": CODE_REQUESTED},
        },
        upsert=True,
    )


def record_registered(db: Database, master_key: at_rest.Keys, *, wa_id: str, token: str) -> None:
    doc = load_raw(db) or {}
    pending = doc.get("pending") or {}
    unset = {"pending": "", "pending_at": ""}
    same_number = (doc.get("cc"), doc.get("phone_number")) == (pending.get("cc"), pending.get("phone_number"))
    if pending.get("wipe") or not same_number:
        # The PIN kept is the registered number's, as the network knows it.
        unset[TWO_STEP_FIELD] = ""
    _set_registered(db, master_key, RestorableRegistration(
        cc=pending.get("cc"), phone_number=pending.get("phone_number"), cert=pending.get("cert"),
        vname=pending.get("vname", ""), wa_id=wa_id, network_token=token,
    ), unset)


@dataclass(frozen=True, repr=False)
class RestorableRegistration:
    """What a backup carries of the account: enough to reconnect to the network as the
    same number without registering again (the network token in the clear: only ever
    inside the backup's AEAD, services/backup/)."""

    cc: str | None
    phone_number: str | None
    cert: str | None
    vname: str
    wa_id: str
    network_token: str

    def to_dict(self) -> dict[str, Any]:
        return {"cc": self.cc, "phone_number": self.phone_number, "cert": self.cert, "vname": self.vname,
                "wa_id": self.wa_id, "network_token": self.network_token}

    @classmethod
    def from_dict(cls, data: Any) -> RestorableRegistration:
        """Raises ValueError for a dict that is not one ``to_dict`` made: a number that is
        not digits, a field of another type."""
        if not isinstance(data, dict) or not all(isinstance(data.get(k), str) and data[k]
                                                 for k in ("wa_id", "network_token")):
            raise ValueError("the backup holds no registration")
        if not _is_digits(data["wa_id"], 32) or not all(
                data.get(k) is None or _is_digits(data[k], 32) for k in ("cc", "phone_number")):
            raise ValueError("the backup's phone number is not digits")
        if not all(data.get(k) is None or isinstance(data[k], str) for k in ("cert", "vname")):
            raise ValueError("the backup's registration is unreadable")
        return cls(cc=data.get("cc"), phone_number=data.get("phone_number"), cert=data.get("cert"),
                   vname=data.get("vname") or "", wa_id=data["wa_id"], network_token=data["network_token"])


def _is_digits(value: Any, max_length: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_length and value.isascii() and value.isdigit()


def export_registration(db: Database, master_key: at_rest.Keys) -> RestorableRegistration | None:
    """The registration for a backup; None while not registered."""
    doc = load_raw(db)
    if not doc or doc.get("state") != REGISTERED:
        return None
    token = at_rest.open_sealed(master_key, doc["network_token_sealed"], _TOKEN_CONTEXT).decode()
    return RestorableRegistration(cc=doc.get("cc"), phone_number=doc.get("phone_number"), cert=doc.get("cert"),
                                  vname=doc.get("vname", ""), wa_id=doc["wa_id"], network_token=token)


def record_restored(db: Database, master_key: at_rest.Keys, registration: RestorableRegistration) -> None:
    """Registered from a backup: the number and its token, no code asked for."""
    _set_registered(db, master_key, registration, {"pending": "", "pending_at": ""})


RESTORING = "restoring"


def claim_restore(db: Database, owner: str, seconds: float) -> bool:
    """Whether the restore ``owner`` may go on: the account is not registered and no
    other restore holds it. A claim lapses after ``seconds``, so a core that died
    mid-restore blocks the next one only that long."""
    now = utcnow()
    try:
        db.account.update_one(
            {"_id": ACCOUNT_ID, "state": {"$ne": REGISTERED}, "restoring_until": {"$not": {"$gt": now}}},
            {"$set": {"restoring_by": owner, "restoring_until": now + timedelta(seconds=seconds)},
             "$setOnInsert": {"state": RESTORING}},
            upsert=True,
        )
    except DuplicateKeyError:  # the document exists and did not match: registered, or claimed
        return False
    return True


def release_restore(db: Database, owner: str) -> None:
    """The claim of ``owner`` given up; the document it created, if nothing else was
    recorded in it, removed (a failed restore leaves the account as it found it). A code
    requested while the restore ran stays, as the request made it."""
    db.account.delete_one({"_id": ACCOUNT_ID, "state": RESTORING, "restoring_by": owner,
                           "pending": {"$exists": False}})
    db.account.update_one({"_id": ACCOUNT_ID, "state": RESTORING, "restoring_by": owner},
                          {"$set": {"state": CODE_REQUESTED}})
    db.account.update_one({"_id": ACCOUNT_ID, "restoring_by": owner},
                          {"$unset": {"restoring_by": "", "restoring_until": ""}})


def _set_registered(db: Database, master_key: at_rest.Keys, registration: RestorableRegistration,
                    unset: dict[str, str]) -> None:
    sealed = at_rest.seal(master_key, registration.network_token.encode(), _TOKEN_CONTEXT)
    db.account.update_one(
        {"_id": ACCOUNT_ID},
        {
            "$set": {
                "state": REGISTERED,
                "cc": registration.cc,
                "phone_number": registration.phone_number,
                "cert": registration.cert,
                "vname": registration.vname,
                "wa_id": registration.wa_id,
                "network_token_sealed": sealed,
                "registered_at": utcnow(),
            },
            "$unset": unset,
        },
        upsert=True,
    )


def record_two_step(db: Database, master_key: at_rest.Keys, pin: str) -> None:
    """Two-step verification is on with ``pin`` (the network has its verifier already)."""
    sealed = at_rest.seal(master_key, pin.encode(), _PIN_CONTEXT)
    db.account.update_one({"_id": ACCOUNT_ID}, {"$set": {TWO_STEP_FIELD: sealed, "two_step_at": utcnow()}})


def clear_two_step(db: Database) -> None:
    db.account.update_one({"_id": ACCOUNT_ID}, {"$unset": {TWO_STEP_FIELD: "", "two_step_at": ""}})


def two_step_pin(db: Database, master_key: at_rest.Keys) -> str | None:
    """The two-step verification PIN, or None while two-step verification is off."""
    doc = db.account.find_one({"_id": ACCOUNT_ID}, {TWO_STEP_FIELD: 1})
    if not doc or doc.get(TWO_STEP_FIELD) is None:
        return None
    return at_rest.open_sealed(master_key, doc[TWO_STEP_FIELD], _PIN_CONTEXT).decode()


def reseal(db: Database, keys: at_rest.Keys) -> ResealCount:
    """The network credential under the newest master key (services/common/resealing.py)."""
    return reseal_field(db.account, "network_token_sealed", lambda doc: _TOKEN_CONTEXT, keys)


def reseal_two_step(db: Database, keys: at_rest.Keys) -> ResealCount:
    """The two-step verification PIN under the newest master key."""
    return reseal_field(db.account, TWO_STEP_FIELD, lambda doc: _PIN_CONTEXT, keys)
