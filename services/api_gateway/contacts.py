"""``/v1/contacts``: contact checks and contact identity (spec §7).

A check answers cached results (7 days, unless ``force_check``) from MongoDB without
asking the core. The other numbers: ``wait`` asks the core through the
``core.check_contacts`` RPC and answers ``failed`` for numbers the network could not
be asked about; ``no_wait`` stores the check (``contact_check_requests``), kicks
``core.check_contacts_later`` and answers ``processing``; the results come as the
§15.4 callback.
"""

from __future__ import annotations

import secrets

from flask import Blueprint

from services.api_gateway import auth, state
from services.api_gateway.account import control_rpc
from services.api_gateway.envelope import respond
from services.api_gateway.messages import require_registered
from services.api_gateway.operations import operation
from services.api_gateway.schemas.common import json_body
from services.api_gateway.schemas.contacts import (
    AcknowledgeBody,
    CheckBody,
    ContactCheck,
    ContactIdentity,
    ContactsAnswer,
    IdentityAnswer,
    validate_acknowledge,
    validate_check,
)
from services.common import kicks, phone_numbers
from services.common.errors import ApiError
from services.common.queues import CHECK_CONTACTS, CHECK_CONTACTS_LATER, CONTROL_QUEUE
from services.contacts import checks as contact_checks
from services.contacts import identity as contact_identity

bp = Blueprint("contacts", __name__, url_prefix="/v1/contacts")

MAX_WA_ID_DIGITS = phone_numbers.MAX_DIGITS


@bp.post("")
@operation("Check contacts", body=CheckBody, answers={200: ContactsAnswer}, errors=(1008, 1009, 1010, 1011, 1014),
           tags=("Contacts",))
@auth.require_auth()
def check():
    request_ = validate_check(json_body())
    account = require_registered()
    db = state.db()
    pairs = [(input_, phone_numbers.normalize(input_, account.cc)) for input_ in request_.contacts]
    numbers = list(dict.fromkeys(number for _, number in pairs if number is not None))
    results = {} if request_.force_check else contact_checks.cached(db, numbers)
    unknown = [number for number in numbers if number not in results]
    processing: set[str] = set()
    failed: set[str] = set()
    if unknown and request_.wait:
        payload, _ = control_rpc(CHECK_CONTACTS, {"numbers": unknown})
        results.update(payload.get("results") or {})
        failed = set(payload.get("failed") or [])
    elif unknown:
        processing = set(unknown)
        check_id = secrets.token_hex(12)
        contact_checks.save_request(db, check_id, [(i, n) for i, n in pairs if n is not None and n in processing])
        # Stored first: a kick Redis cannot take now is re-sent by the core's recovery sweep.
        kicks.send(state.celery(), CHECK_CONTACTS_LATER, [check_id], CONTROL_QUEUE)
    items = contact_checks.answer_items(pairs, results, processing=processing, failed=failed)
    answer = ContactsAnswer(contacts=[ContactCheck(**item) for item in items])
    return respond(answer.model_dump(mode="json", exclude_none=True))


def _wa_id(value: str) -> str:
    if not (value.isascii() and value.isdigit() and len(value) <= MAX_WA_ID_DIGITS):
        raise ApiError(1009, f"Parameter 'wa_id' has invalid value '{value}'")
    return value


def _identity(wa_id: str) -> contact_identity.ContactIdentity:
    identity = contact_identity.current(state.db(), wa_id)
    if identity is None:
        raise ApiError(1006, f"No identity is known for contact {wa_id}")
    return identity


@bp.get("/<wa_id>/identity")
@operation("Read a contact's identity", answers={200: IdentityAnswer}, errors=(1006, 1009, 1011), tags=("Contacts",))
@auth.require_auth()
def get_identity(wa_id: str):
    wa_id = _wa_id(wa_id)
    require_registered()
    return respond(IdentityAnswer(contacts=ContactIdentity(**_identity(wa_id).to_wire())).model_dump(mode="json"))


@bp.put("/<wa_id>/identity")
@operation("Acknowledge a contact's latest identity", body=AcknowledgeBody, answers={200: None},
           errors=(1006, 1008, 1009, 1010, 1011), tags=("Contacts",))
@auth.require_auth()
def acknowledge_identity(wa_id: str):
    wa_id = _wa_id(wa_id)
    identity_hash = validate_acknowledge(json_body())
    require_registered()
    _identity(wa_id)  # 404 for a contact we know no identity of
    if not contact_identity.acknowledge(state.db(), wa_id, identity_hash):
        raise ApiError(1009, f"Parameter 'hash' has invalid value '{identity_hash}': it is not the latest identity")
    return respond()
