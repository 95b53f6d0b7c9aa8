"""``/v1/messages``: send and mark-read (spec §6, docs/design.md "Gateway ↔ core").

A send is answered 201 once its message is stored, whether or not its kick could be
queued (services/common/kicks.py: a kick never raises); one that could not be stored answers an
error and leaves no message. A message that carries a medium (a media message, a
template with a media header: services/message_types/carried_media.py) is stored
``pending`` its preparation (services/media/outbound_media.py) and kicks the media
service instead of its shard:
the media service kicks the shard once the message can be sent. ``Idempotency-Key`` makes a retry safe
(services/api_gateway/idempotency.py, services/messages/idempotency.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, request
from pymongo.errors import DuplicateKeyError

from services import message_types
from services.account import store as account_store
from services.account.store import Registration
from services.api_gateway import auth, idempotency, state
from services.api_gateway.business import CachedBusiness
from services.api_gateway.envelope import respond
from services.api_gateway.operations import HeaderParam, operation
from services.api_gateway.schemas.common import json_body
from services.api_gateway.schemas.messages import (
    MarkReadBody,
    MessageId,
    MessagesAnswer,
    SendBody,
    SendRequest,
    validate_mark_read,
    validate_send,
)
from services.api_gateway.settling import settled
from services.common import kicks
from services.common.errors import ApiError
from services.common.ids import outbound_message_id
from services.media import outbound_media
from services.message_types.carried_media import media_of
from services.messages import idempotency as idempotency_keys
from services.messages import message_store

bp = Blueprint("messages", __name__, url_prefix="/v1/messages")

NOT_REGISTERED = "The client is not registered: use /v1/account first"


def require_registered(account: Registration | None = None) -> Registration:
    """The account (read now unless given), or 1011 when it is not registered."""
    account = account if account is not None else account_store.load_registration(state.db())
    if account is None or not account.registered:
        raise ApiError(1011, NOT_REGISTERED)
    return account


IDEMPOTENCY_HEADER = HeaderParam(
    idempotency.HEADER,
    f"1 to {idempotency.MAX_KEY_LENGTH} printable ASCII characters: the same key from the same user within 24 hours "
    "answers the first send again (header Idempotent-Replayed: true) and sends nothing more; "
    "the key sent again with another body is refused with 422 and error 1009",
    extension="a retry after a lost answer must not send the message twice (the IETF httpapi draft's model)")
TEMPLATE_ERRORS = (2000, 2001, 2002, 2003, 2004, 2005, 2006, 2008, 2009, 2010, 2012)
"""What a template (``services/message_types/templates.py``) or a medium's type refuses."""


@bp.post("")
@operation("Send a message", body=SendBody, answers={201: MessagesAnswer}, headers=(IDEMPOTENCY_HEADER,),
           errors=(1001, 1002, 1006, 1008, 1009, (1009, 422), 1010, 1011, 1014, *TEMPLATE_ERRORS),
           tags=("Messages",))
@auth.require_auth()
def send():
    key = idempotency.parse_key(request.headers.get(idempotency.HEADER))
    body = json_body()
    if key is not None:
        return _send_once(body, key)
    message_id = outbound_message_id()
    _store(message_id, _validated(body))
    return _accepted(message_id)


def _send_once(body: Any, key: str) -> Response:
    """A send with an ``Idempotency-Key``: the first answer again, or the send under
    the id recorded for the key (services/messages/idempotency.py)."""
    db = state.db()
    username = auth.principal().username
    body_hash = idempotency.request_hash(body)
    record = idempotency_keys.find(db, username, key)
    if record is None:
        message = _validated(body)
        # Ours, or that of a concurrent request with the key (whose body may differ).
        claimed = idempotency_keys.claim(db, username, key, body_hash, outbound_message_id())
        message_id = idempotency.replayed_id(claimed, body_hash)
    else:
        message_id = idempotency.replayed_id(record, body_hash)
        if _is_stored(message_id):
            return _accepted(message_id, replayed=True)
        # The first request with this key stopped between its two writes (it failed,
        # crashed, or is still running): this one completes it under the recorded id.
        message = _validated(body)
    if not _store(message_id, message):
        return _accepted(message_id, replayed=True)  # a concurrent request with the key stored it
    return _accepted(message_id)


@dataclass(frozen=True)
class _Outbound:
    wa_id: str
    type: str
    content: dict[str, Any]
    media: bool = False  # the media service prepares it before the core sends it


def _validated(body: Any) -> _Outbound:
    account = account_store.load_registration(state.db())
    # National numbers in `to` are in the business's country (docs/compatibility.md).
    request_ = validate_send(body, country_code=account.cc if account is not None else None)
    require_registered(account)
    content = _resolved(request_)
    return _Outbound(wa_id=request_.wa_id, type=request_.type, content=content,
                     media=media_of(request_.type, content[request_.type]) is not None)


def _store(message_id: str, message: _Outbound) -> bool:
    """Store the message and ring its shard; False when a message with this id is
    already stored (a concurrent request with the same idempotency key)."""
    db = state.db()
    doc = message_store.new_outbound(db, message_id=message_id, wa_id=message.wa_id,
                                     message_type=message.type, content=message.content)
    if message.media:
        doc.update(outbound_media.initial())
    try:
        # The same document again if the answer was lost: DuplicateKeyError then means
        # the lost attempt stored it (settling.py).
        settled(lambda: message_store.store_outbound(db, doc))
    except DuplicateKeyError:
        if not _is_stored(message_id):
            raise  # another unique index (not ours to explain): a 500
        return False
    if message.media:
        kicks.kick_media_preparation(state.celery(), message_id)
    else:
        kicks.kick_outbound(state.celery(), state.shard_of(message.wa_id), state.redis_client())
    return True


def _is_stored(message_id: str) -> bool:
    # A write's acknowledgement: settled like the insert it confirms.
    return settled(lambda: message_store.is_stored(state.db(), message_id))


def _accepted(message_id: str, *, replayed: bool = False) -> Response:
    response = respond(MessagesAnswer(messages=[MessageId(id=message_id)]).model_dump(mode="json"), status=201)
    if replayed:
        response.headers[idempotency.REPLAYED_HEADER] = "true"
    return response


def _resolved(request_: SendRequest) -> dict[str, Any]:
    """The content to store: with what the type's ``resolve`` hook found (a template's
    translation), after it checked the object against the business's own assets."""
    declared = message_types.get(request_.type)
    if declared is None or declared.resolve is None:
        return request_.content
    business = CachedBusiness(state.db(), state.config().egress_allow)
    resolved = declared.resolve(request_.content[request_.type], business)
    return {**request_.content, "resolved": resolved}


@bp.get("/<message_id>")
@bp.delete("/<message_id>")
@operation("Read or delete a message (the original's stubs: no payload)", answers={200: None},
           tags=("Messages",))
@auth.require_auth()
def original_stub(message_id: str):
    """The original routes these to stubs that answer 200 with no payload (spec §6.2);
    clients that call them expect exactly that."""
    return respond()


@bp.put("/<message_id>")
@operation("Mark a received message as read", body=MarkReadBody, answers={200: None},
           errors=(1006, 1008, 1009), tags=("Messages",))
@auth.require_auth()
def mark_read(message_id: str):
    validate_mark_read(json_body())
    db = state.db()
    sender = message_store.mark_inbound_read(db, message_id)
    if sender is None:
        raise ApiError(1006, "Message not found")
    receipt_seq = message_store.reserve_receipt_seqs(db, 1)
    # An upsert of one row: repeating it after a lost answer changes nothing (settling.py).
    settled(lambda: message_store.queue_read_receipt(db, message_id=message_id, wa_id=sender, seq=receipt_seq))
    # Receipts are drained with the outbound work of the contact's shard.
    kicks.kick_outbound(state.celery(), state.shard_of(sender), state.redis_client())
    return respond()
