"""Templates with a media header through the real processes (gateway, media service,
core, sandbox) on the real S3 server: an image header by id and a document header by
link (served from loopback) reach the phone, which fetches, checks and decrypts the
header's file and records its sha256 beside the rendered text.

No ``customer_writes``: a template is how a business starts a conversation.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from typing import Any

import pytest

from services.message_types.media_types import KB
from tests.common.link_server import LinkServer, Served
from tests.e2e.test_outbound_media import _seen, _upload
from tests.e2e.test_templates import NS, _create, _name, _send

PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(150 * KB)
PDF = b"%PDF-1.7 " + os.urandom(120 * KB)


@pytest.fixture(scope="module")
def links(stack):
    server = LinkServer(stack.egress.take())
    yield server
    server.close()


def _template(name: str, header: dict[str, Any], *body: str) -> dict[str, Any]:
    return {"type": "template", "template": {
        "namespace": NS, "name": name, "language": {"policy": "deterministic", "code": "en_US"},
        "components": [{"type": "header", "parameters": [header]},
                       {"type": "body", "parameters": [{"type": "text", "text": text} for text in body]}],
    }}


def test_media_headers_by_id_and_by_link_reach_the_phone(api, webhook, network, registration, new_phone, links):
    photo, invoice = _name("photo"), _name("invoice")
    _create(network, photo, components=[{"type": "HEADER", "format": "IMAGE"},
                                        {"type": "BODY", "text": "Hi {{1}}, your new sofa."}])
    _create(network, invoice, components=[{"type": "HEADER", "format": "DOCUMENT"},
                                          {"type": "BODY", "text": "Invoice {{1}} is attached."},
                                          {"type": "FOOTER", "text": "Acme Inc."}])
    phone = new_phone("Template media")

    by_id = _send(api, phone, _template(photo, {"type": "image", "image": {"id": _upload(api, "image/png", PNG)}},
                                        "Ann"))
    link = links.serve(f"/{uuid.uuid4().hex}/invoice", Served(PDF, "application/pdf"))
    by_link = _send(api, phone, _template(invoice, {"type": "document",
                                                    "document": {"link": link, "filename": "invoice-42.pdf"}}, "42"))

    image = _seen(webhook, network, phone, by_id)["template"]
    assert image["rendered"] == "Hi Ann, your new sofa."
    assert image["header_media"] == {"type": "image", "sha256": hashlib.sha256(PNG).hexdigest(),
                                     "mime_type": "image/png", "file_length": len(PNG)}
    document = _seen(webhook, network, phone, by_link)["template"]
    assert document["rendered"] == "Invoice 42 is attached.\nAcme Inc."
    assert document["header_media"] == {"type": "document", "sha256": hashlib.sha256(PDF).hexdigest(),
                                        "mime_type": "application/pdf", "filename": "invoice-42.pdf",
                                        "file_length": len(PDF)}
    # the phone keeps no media key: its header parameter shows what the user sees
    assert document["components"][0]["parameters"][0]["document"] == {
        key: value for key, value in document["header_media"].items() if key != "type"}
    for message_id in (by_id, by_link):
        webhook.wait_for(lambda m=message_id: [s for s in webhook.statuses(m) if s["status"] == "delivered"])
