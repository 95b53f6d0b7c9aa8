"""The registered phone number and its network credential (sealed at rest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo.database import Database

from services.common.clock import utcnow
from services.protocol import at_rest

ACCOUNT_ID = "account"
_TOKEN_CONTEXT = b"network-token"


@dataclass(frozen=True)
class RegisteredAccount:
    wa_id: str
    vname: str
    network_token: str


def load_raw(db: Database) -> dict[str, Any] | None:
    return db.account.find_one({"_id": ACCOUNT_ID})


def load_registered(db: Database, master_key: bytes) -> RegisteredAccount | None:
    doc = load_raw(db)
    if not doc or doc.get("state") != "registered":
        return None
    token = at_rest.open_sealed(master_key, doc["network_token_sealed"], _TOKEN_CONTEXT).decode()
    return RegisteredAccount(wa_id=doc["wa_id"], vname=doc.get("vname", ""), network_token=token)


def record_code_requested(db: Database, *, cc: str, phone_number: str, cert: str, vname: str) -> None:
    # A new code request keeps an existing registration usable until it is verified.
    db.account.update_one(
        {"_id": ACCOUNT_ID},
        {
            "$set": {
                "pending": {"cc": cc, "phone_number": phone_number, "cert": cert, "vname": vname},
                "pending_at": utcnow(),
            },
            "$setOnInsert": {"state": "code_requested"},
        },
        upsert=True,
    )


def record_registered(db: Database, master_key: bytes, *, wa_id: str, token: str) -> None:
    doc = load_raw(db) or {}
    pending = doc.get("pending") or {}
    sealed = at_rest.seal(master_key, token.encode(), _TOKEN_CONTEXT)
    db.account.update_one(
        {"_id": ACCOUNT_ID},
        {
            "$set": {
                "state": "registered",
                "cc": pending.get("cc"),
                "phone_number": pending.get("phone_number"),
                "cert": pending.get("cert"),
                "vname": pending.get("vname", ""),
                "wa_id": wa_id,
                "network_token_sealed": sealed,
                "registered_at": utcnow(),
            },
            "$unset": {"pending": "", "pending_at": ""},
        },
    )
