"""``/v1/certificates``: the gateway's HTTPS certificate and the webhook CA (spec §10.2),
admin only. Bodies are PEM text; the rules are services/certificates/bundle_rules.py.

The certificate installed here is served by every gateway worker within a few seconds
(services/api_gateway/tls_listener.py); the webhook CA is trusted by the dispatcher
(services/webhook_dispatcher/webhook_tls.py).
"""

from __future__ import annotations

import logging
import ssl

from flask import Blueprint, Response, request

from services.api_gateway import auth, state
from services.api_gateway.envelope import respond
from services.api_gateway.operations import operation
from services.api_gateway.tls_listener import build_context, default_hostnames
from services.certificates import bundle_rules, store
from services.common.clock import utcnow
from services.common.errors import ApiError

log = logging.getLogger(__name__)

bp = Blueprint("certificates", __name__, url_prefix="/v1/certificates")

PEM_CONTENT_TYPE = "text/plain; charset=utf-8"
PEM_TEXT = "text/plain"
"""What the document says a body or an answer is: PEM text."""


def _pem_body() -> str:
    # The raw body whatever its declared type: curl --data-binary labels it a form.
    try:
        return request.get_data(cache=False, parse_form_data=False).decode("ascii")
    except UnicodeDecodeError:
        raise ApiError(1009, "The body must be PEM text") from None


def _pem_answer(pem: str) -> Response:
    return Response(pem, content_type=PEM_CONTENT_TYPE)


@bp.post("/external")
@operation("Install the gateway's HTTPS certificate", raw_body=PEM_TEXT, answers={201: None}, errors=(1009,),
           description="PEM: the certificate, its chain up to the CA, and its private key.", tags=("Certificates",))
@auth.require_auth(admin=True)
def install_external():
    try:
        certificate = bundle_rules.parse_server_bundle(_pem_body(), utcnow())
    except bundle_rules.BundleError as error:
        raise ApiError(1009, str(error)) from None
    try:
        # What every worker will do with it: a bundle OpenSSL refuses (a key too small for
        # its security level) is refused here, not installed to fail every handshake.
        build_context(certificate)
    except ssl.SSLError as error:
        raise ApiError(1009, f"The certificate cannot be served: {error.reason or 'refused by OpenSSL'}") from None
    version = store.install_external(state.db(), state.master_key(), certificate, utcnow())
    log.info("HTTPS certificate installed by %s (version %s)", auth.principal().username, version)
    return respond(status=201)


@bp.get("/external/ca")
@operation("Download the CA of the gateway's HTTPS certificate", answers={200: PEM_TEXT}, tags=("Certificates",))
@auth.require_auth(admin=True)
def external_ca():
    ca_pem = store.external_ca(state.db())
    if ca_pem is None:
        # No gateway worker could make the default yet (MongoDB was down at its start).
        hostnames = default_hostnames(state.config())
        ca_pem = store.ensure_external(state.db(), state.master_key(), utcnow(), hostnames).certificate.ca_pem
    return _pem_answer(ca_pem)


@bp.post("/webhooks/ca")
@operation("Upload the CA certificates the webhook is trusted by", raw_body=PEM_TEXT, answers={201: None},
           errors=(1009,), tags=("Certificates",))
@auth.require_auth(admin=True)
def upload_webhook_ca():
    try:
        ca_pem = bundle_rules.parse_ca_certificates(_pem_body(), utcnow())
    except bundle_rules.BundleError as error:
        raise ApiError(1009, str(error)) from None
    version = store.set_webhook_ca(state.db(), ca_pem, utcnow())
    log.info("webhook CA uploaded by %s (version %s)", auth.principal().username, version)
    return respond(status=201)


@bp.get("/webhooks/ca")
@operation("Download the webhook CA certificates", answers={200: PEM_TEXT}, errors=(1006,), tags=("Certificates",))
@auth.require_auth(admin=True)
def webhook_ca():
    found = store.load_webhook_ca(state.db())
    if found is None:
        raise ApiError(1006, "No webhook CA certificate is uploaded")
    return _pem_answer(found.ca_pem)


@bp.delete("/webhooks/ca")
@operation("Delete the webhook CA certificates", answers={200: None}, errors=(1006,), tags=("Certificates",))
@auth.require_auth(admin=True)
def delete_webhook_ca():
    if not store.delete_webhook_ca(state.db()):
        raise ApiError(1006, "No webhook CA certificate is uploaded")
    log.info("webhook CA deleted by %s", auth.principal().username)
    return respond()
