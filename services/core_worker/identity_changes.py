"""Noticing that a contact's identity key changed (they reinstalled WhatsApp).

The contact's stored identity hash is updated and marked unacknowledged; with the
`show_security_notifications` setting on, the business also gets the On-Prem
`customer_identity_changed` system message on its webhook.
"""

from __future__ import annotations

import hashlib
import logging
import time

from services.core_worker import callback_payloads
from services.core_worker.context import CoreContext
from services.protocol import Session
from services.webhook_dispatcher.outbox import enqueue_callback

log = logging.getLogger(__name__)


def notice(ctx: CoreContext, wa_id: str, before: Session | None, after: Session | None) -> None:
    """Record an identity change when a contact's session was replaced by one with
    another identity key (a first session, or the same key again, is no change)."""
    if before is None or after is None:
        return
    fingerprint = after.remote_identity.fingerprint()
    if before.remote_identity.fingerprint() != fingerprint:
        record(ctx, wa_id, fingerprint)


def record(ctx: CoreContext, wa_id: str, fingerprint: str) -> None:
    ctx.db.contacts.update_one(
        {"_id": wa_id},
        {"$set": {"identity_hash": fingerprint, "identity_acknowledged": False}},
        upsert=True,
    )
    log.info("identity of %s changed", wa_id)
    if not ctx.settings().get("show_security_notifications"):
        return
    # Deterministic id: noticing the same change twice queues one callback.
    message_id = "SYS" + hashlib.sha256(f"{wa_id}:{fingerprint}".encode()).hexdigest()[:24].upper()
    payload = callback_payloads.system_message(
        wa_id=wa_id, message_id=message_id, timestamp=int(time.time()),
        system={
            "body": f"{wa_id}'s security code changed",
            "type": "customer_identity_changed",
            "identity": fingerprint,
            "customer": wa_id,
        },
    )
    enqueue_callback(ctx.db, ctx.celery, f"system:{message_id}", payload)
