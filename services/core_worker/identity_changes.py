"""A contact's identity key: the first one seen and every change (they reinstalled WhatsApp).

``identity_hash`` is the one definition of On-Prem's identity "hash" (spec §7.2): the
session record, the contacts document, the ``customer_identity_changed`` callback and
``GET /v1/contacts/{wa_id}/identity`` all carry it.

The first identity of a contact is recorded acknowledged; a change is recorded with
``identity_acknowledged: False`` (until ``PUT /v1/contacts/{wa_id}/identity``) and, with
the ``show_security_notifications`` setting on, the business also gets the On-Prem
``customer_identity_changed`` system message on its webhook.
"""

from __future__ import annotations

import hashlib
import logging
import time

from services.callbacks import payloads as callback_payloads
from services.callbacks.outbox import enqueue_callback
from services.common.clock import utcnow
from services.core_worker.context import CoreContext
from services.protocol import IdentityPublic, Session

log = logging.getLogger(__name__)


def identity_hash(identity: IdentityPublic) -> str:
    """Base64 of 8 bytes (``UKD6Y/5SqDU=``): the first 8 bytes of SHA-256 of the public
    identity key, which is the protocol's fingerprint (the sandbox shows phones' keys
    the same way, so the two can be compared by eye)."""
    return identity.fingerprint()


def notice(ctx: CoreContext, wa_id: str, before: Session | None, after: Session | None) -> None:
    """Record the identity of a contact's new session ``after``: a change when it differs
    from the session it replaced, or (no session before: a first contact, or sessions
    lost at re-registration) from the identity recorded for the contact."""
    if after is None:
        return
    new = identity_hash(after.remote_identity)
    if before is not None:
        if identity_hash(before.remote_identity) != new:
            record(ctx, wa_id, new)
        return
    known = (ctx.db.contacts.find_one({"_id": wa_id}, {"identity_hash": 1}) or {}).get("identity_hash")
    if known is None:
        record_first(ctx, wa_id, new)
    elif known != new:
        record(ctx, wa_id, new)


def record_first(ctx: CoreContext, wa_id: str, hash_: str) -> None:
    ctx.db.contacts.update_one(
        {"_id": wa_id},
        {"$set": {"identity_hash": hash_, "identity_created_at": utcnow(), "identity_acknowledged": True}},
        upsert=True,
    )


def record(ctx: CoreContext, wa_id: str, hash_: str) -> None:
    ctx.db.contacts.update_one(
        {"_id": wa_id},
        {"$set": {"identity_hash": hash_, "identity_created_at": utcnow(), "identity_acknowledged": False}},
        upsert=True,
    )
    log.info("identity of %s changed", wa_id)
    if not ctx.settings().get("show_security_notifications"):
        return
    # Deterministic id: noticing the same change twice queues one callback.
    message_id = "SYS" + hashlib.sha256(f"{wa_id}:{hash_}".encode()).hexdigest()[:24].upper()
    payload = callback_payloads.system_message(
        wa_id=wa_id, message_id=message_id, timestamp=int(time.time()),
        system={
            "body": f"{wa_id}'s security code changed",
            "type": "customer_identity_changed",
            "identity": hash_,
            "customer": wa_id,
        },
    )
    enqueue_callback(ctx.db, ctx.celery, f"system:{message_id}", payload)
