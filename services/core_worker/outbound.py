"""Draining a shard's outbound work: messages to encrypt and send, receipts to send.

Messages leave strictly in ``seq`` order per shard. A network failure stops the
drain where it is (the message stays ``accepted``) and the caller retries later, so
a later message can never overtake an earlier one.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from services.common import sharding
from services.core_worker import account_store, callback_payloads, keystore, session_store, status_updates
from services.core_worker.context import CoreContext
from services.core_worker.network_client import NetworkClient, NotAUser
from services.protocol import Envelope, PrekeyBundle, Session

log = logging.getLogger(__name__)

BATCH = 100


def plaintext_for(message: dict[str, Any], profile_name: str) -> bytes:
    """The JSON the recipient's device decrypts: the On-Prem message object."""
    content = {key: value for key, value in message["content"].items() if key != "ttl"}
    body = {"type": message["type"], **content, "profile": {"name": profile_name}}
    return json.dumps(body, separators=(",", ":")).encode()


def drain(ctx: CoreContext, shard: int) -> int:
    """Send up to one batch of what is pending for ``shard``; returns how many items.

    One batch at a time, so that inbound work queued on the same shard is not starved
    while the API keeps accepting messages; the caller kicks again after a full batch.
    Raises NetworkError when the network is unreachable: the caller retries.
    """
    account = account_store.load_registered(ctx.db, ctx.master_key)
    if account is None:
        return 0
    network = ctx.network(account.network_token)
    handled = _send_messages(ctx, network, account, shard)
    handled += _send_receipts(ctx, network, shard)
    return handled


def _send_messages(ctx: CoreContext, network: NetworkClient, account, shard: int) -> int:
    db = ctx.db
    batch = list(
        db.messages.find({"shard": shard, "direction": "outbound", "status": "accepted"})
        .sort("seq", 1)
        .limit(BATCH)
    )
    if batch:
        identity = keystore.load_identity(db, ctx.master_key)
        for message in batch:
            _send_one(ctx, network, account, identity, message)
    return len(batch)


def _session_for(ctx: CoreContext, network: NetworkClient, identity, wa_id: str) -> Session:
    session = session_store.load(ctx.db, ctx.master_key, wa_id)
    if session is None:
        bundle = PrekeyBundle.from_dict(network.fetch_bundle(wa_id))
        session = Session.initiate(identity, bundle)
    return session


def _send_one(ctx: CoreContext, network: NetworkClient, account, identity, message: dict) -> None:
    wa_id = message["wa_id"]
    try:
        session = _session_for(ctx, network, identity, wa_id)
    except NotAUser:
        _fail(ctx, message, 1013, "The recipient is not a WhatsApp user")
        return
    timestamp = int(time.time())
    routing = Envelope(message["_id"], account.wa_id, wa_id, timestamp, {})
    content = session.encrypt(plaintext_for(message, account.vname), routing.associated_data())
    # Saved before it is sent: a crash after sending must not reuse this message key.
    session_store.save(ctx.db, ctx.master_key, wa_id, session)
    envelope = Envelope(message["_id"], account.wa_id, wa_id, timestamp, content)
    try:
        answer = network.submit_envelope(envelope.to_dict())
    except NotAUser:
        _fail(ctx, message, 1013, "The recipient is not a WhatsApp user")
        return
    status_updates.record(ctx, message, "sent", int(answer.get("timestamp", timestamp)))


def _fail(ctx: CoreContext, message: dict, code: int, details: str) -> None:
    log.info("message %s failed with %s", message["_id"], code)
    status_updates.record(
        ctx, message, "failed", int(time.time()), errors=[callback_payloads.error_item(code, details)]
    )


def _send_receipts(ctx: CoreContext, network: NetworkClient, shard: int) -> int:
    db = ctx.db
    pending = list(db.outbound_receipts.find({"shard": shard}).sort("seq", 1).limit(BATCH))
    by_contact: dict[tuple[str, str], list[str]] = {}
    for receipt in pending:
        by_contact.setdefault((receipt["wa_id"], receipt["status"]), []).append(receipt["_id"])
    for (wa_id, status), ids in by_contact.items():
        network.send_receipt(wa_id, status, ids)
        db.outbound_receipts.delete_many({"_id": {"$in": ids}})
    return len(pending)


def shard_of(ctx: CoreContext, wa_id: str) -> int:
    return sharding.shard_for(wa_id, ctx.config.shards)
