"""A contact's identity key: the first one seen and every change (they reinstalled WhatsApp).

The first identity of a contact is recorded acknowledged; a change is recorded with
``identity_acknowledged: False`` (until ``PUT /v1/contacts/{wa_id}/identity``) and, with
the ``show_security_notifications`` setting on, the business also gets the On-Prem
``customer_identity_changed`` system message on its webhook. The hash is
``session_store.identity_hash`` (services/sessions), recorded on the contact by
``services/contacts/identity.py``.
"""

from __future__ import annotations

import hashlib
import logging
import time

from services.callbacks import payloads as callback_payloads
from services.callbacks.outbox import enqueue_callback
from services.contacts import identity as contact_identity
from services.core_worker.context import CoreContext
from services.protocol import Session
from services.sessions.session_store import identity_hash

log = logging.getLogger(__name__)


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
    known = contact_identity.recorded_hash(ctx.db, wa_id)
    if known is None:
        record_first(ctx, wa_id, new)
    elif known != new:
        record(ctx, wa_id, new)


def record_first(ctx: CoreContext, wa_id: str, hash_: str) -> None:
    contact_identity.record(ctx.db, wa_id, hash_, acknowledged=True)


def record(ctx: CoreContext, wa_id: str, hash_: str) -> None:
    """A changed identity: recorded unacknowledged, and announced when the settings say so."""
    contact_identity.record(ctx.db, wa_id, hash_, acknowledged=False)
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
