"""``/v1/messages``: send and mark-read (spec §6, docs/design.md "Gateway ↔ core")."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from services import message_types
from services.api_gateway import auth, state
from services.api_gateway.business import CachedBusiness
from services.api_gateway.envelope import respond
from services.api_gateway.schemas.common import json_body
from services.api_gateway.schemas.messages import SendRequest, validate_mark_read, validate_send
from services.common import kicks, message_store
from services.common.clock import utcnow
from services.common.errors import ApiError
from services.common.ids import outbound_message_id
from services.common.sharding import shard_for

bp = Blueprint("messages", __name__, url_prefix="/v1/messages")

NOT_REGISTERED = "The client is not registered: use /v1/account first"


def load_account() -> dict | None:
    return state.db().account.find_one({"_id": "account"})


def require_registered(account: dict | None = None) -> dict:
    account = account if account is not None else load_account()
    if account is None or account.get("state") != "registered":
        raise ApiError(1011, NOT_REGISTERED)
    return account


@bp.post("")
@auth.require_auth()
def send():
    account = load_account()
    # National numbers in `to` are in the business's country (docs/compatibility.md).
    request_ = validate_send(json_body(), country_code=(account or {}).get("cc"))
    require_registered(account)
    content = _resolved(request_)
    config = state.config()
    shard = shard_for(request_.wa_id, config.shards)
    message_id = outbound_message_id()
    message_store.insert_outbound(
        state.db(),
        message_id=message_id,
        wa_id=request_.wa_id,
        shard=shard,
        message_type=request_.type,
        content=content,
    )
    kicks.kick_outbound(state.celery(), shard, state.redis_client())
    return respond({"messages": [{"id": message_id}]}, status=201)


def _resolved(request_: SendRequest) -> dict[str, Any]:
    """The content to store: with what the type's ``resolve`` hook found (a template's
    translation), after it checked the object against the business's own assets."""
    declared = message_types.get(request_.type)
    if declared is None or declared.resolve is None:
        return request_.content
    resolved = declared.resolve(request_.content[request_.type], CachedBusiness(state.db()))
    return {**request_.content, "resolved": resolved}


@bp.get("/<message_id>")
@bp.delete("/<message_id>")
@auth.require_auth()
def original_stub(message_id: str):
    """The original routes these to stubs that answer 200 with no payload (spec §6.2);
    clients that call them expect exactly that."""
    return respond()


@bp.put("/<message_id>")
@auth.require_auth()
def mark_read(message_id: str):
    validate_mark_read(json_body())
    db = state.db()
    message = db.messages.find_one({"_id": message_id, "direction": "inbound"})
    if message is None:
        raise ApiError(1006, "Message not found")
    shard = message.get("shard")
    if shard is None:
        shard = shard_for(message["wa_id"], state.config().shards)
    db.messages.update_one(
        {"_id": message_id, "status": {"$ne": "read"}},
        {"$set": {"status": "read", "status_timestamps.read": utcnow()}},
    )
    message_store.queue_read_receipt(db, message_id=message_id, wa_id=message["wa_id"], shard=shard)
    # Receipts are drained with the outbound work of the contact's shard.
    kicks.kick_outbound(state.celery(), shard, state.redis_client())
    return respond()
