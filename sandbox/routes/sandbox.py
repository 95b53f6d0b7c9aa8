"""``/sandbox/v1``: the sandbox's own API for people and tests (ARCHITECTURE.md §4)."""

from __future__ import annotations

from aiohttp import web

from sandbox.errors import bad_request, not_found
from sandbox.phone_media import MAX_SEND_BODY
from sandbox.routes.common import CONNECTIONS_KEY, STATE_KEY, json_response, read_json, stream_blob
from sandbox.validation import require_digits, require_object, require_str

routes = web.RouteTableDef()

PREFIX = "/sandbox/v1"


@routes.post(f"{PREFIX}/certificates")
async def create_certificate(request: web.Request) -> web.Response:
    body = require_object(await read_json(request))
    cc = require_digits(body, "cc", 1, 3)
    phone_number = require_digits(body, "phone_number", 4, 14)
    vname = require_str(body, "vname")
    if len(vname) > 256:
        raise bad_request("'vname' is too long")
    cert = request.app[STATE_KEY].network.ca.issue(cc, phone_number, vname)  # stores nothing
    return json_response({"cert": cert}, status=201)


@routes.get(f"{PREFIX}/certificates/public-key")
async def certificate_public_key(request: web.Request) -> web.Response:
    ca = request.app[STATE_KEY].network.ca
    return json_response({"algorithm": "Ed25519", "public_key": ca.public_key_b64()})


@routes.get(f"{PREFIX}/verification-codes/{{wa_id}}")
async def verification_code(request: web.Request) -> web.Response:
    code = request.app[STATE_KEY].network.verification_code(request.match_info["wa_id"])
    if code is None:
        raise not_found("no verification code was requested for this number", code="no_code")
    return json_response({"code": code})


@routes.get(f"{PREFIX}/relay/log")
async def relay_log(request: web.Request) -> web.Response:
    return json_response({"envelopes": list(request.app[STATE_KEY].network.relay.log)})


@routes.get(f"{PREFIX}/users")
async def list_users(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    network = state.network
    connections = request.app[CONNECTIONS_KEY]
    users = [
        {
            "wa_id": u.wa_id,
            "kind": u.kind,
            "name": u.name,
            "keys_published": network.directory.has_keys(u.wa_id),
            "one_time_prekeys": network.directory.count(u.wa_id),
            "pending_items": len(network.relay.pending(u.wa_id)),
            "connected": connections.is_connected(u.wa_id),
        }
        for u in network.registry.users.values()
    ]
    return json_response({"users": users})


@routes.post(f"{PREFIX}/media/{{media_id}}/corrupt")
async def corrupt_media(request: web.Request) -> web.Response:
    """Test hook: flip one byte of a stored blob, so its MAC no longer verifies."""
    media_id = request.match_info["media_id"]
    offset = await request.app[STATE_KEY].network.media.corrupt(media_id)
    return json_response({"id": media_id, "offset": offset})


# -- templates ---------------------------------------------------------------
@routes.post(f"{PREFIX}/templates")
async def create_template(request: web.Request) -> web.Response:
    template = request.app[STATE_KEY].network.put_template(await read_json(request))
    return json_response({"id": template["id"], "status": template["status"]}, status=201)


@routes.get(f"{PREFIX}/templates")
async def list_templates(request: web.Request) -> web.Response:
    return json_response({"templates": request.app[STATE_KEY].network.templates.all()})


# -- virtual phones --------------------------------------------------------
@routes.post(f"{PREFIX}/phones")
async def create_phone(request: web.Request) -> web.Response:
    phone = request.app[STATE_KEY].phones.create(await read_json(request))
    return json_response({"wa_id": phone.wa_id}, status=201)


@routes.get(f"{PREFIX}/phones")
async def list_phones(request: web.Request) -> web.Response:
    phones = request.app[STATE_KEY].phones
    return json_response({"phones": [p.summary() for p in phones.all()]})


@routes.get(f"{PREFIX}/phones/{{wa_id}}")
async def get_phone(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].phones.get(request.match_info["wa_id"]).summary())


@routes.get(f"{PREFIX}/phones/{{wa_id}}/messages")
async def phone_messages(request: web.Request) -> web.Response:
    phone = request.app[STATE_KEY].phones.get(request.match_info["wa_id"])
    return json_response({"messages": phone.messages})


@routes.post(f"{PREFIX}/phones/{{wa_id}}/messages")
async def phone_send(request: web.Request) -> web.Response:
    phones = request.app[STATE_KEY].phones
    phone = phones.get(request.match_info["wa_id"])
    message_id = await phones.submit(phone, await read_json(request, max_bytes=MAX_SEND_BODY))
    return json_response({"id": message_id}, status=201)


@routes.post(f"{PREFIX}/phones/{{wa_id}}/read")
async def phone_read(request: web.Request) -> web.Response:
    phones = request.app[STATE_KEY].phones
    phone = phones.get(request.match_info["wa_id"])
    body = require_object(await read_json(request))
    phones.mark_read(phone, require_str(body, "message_id"))
    return json_response({})


@routes.post(f"{PREFIX}/phones/{{wa_id}}/change-number")
async def phone_change_number(request: web.Request) -> web.Response:
    phones = request.app[STATE_KEY].phones
    phone = phones.get(request.match_info["wa_id"])
    old = phone.wa_id
    told = phones.change_number(phone, await read_json(request))
    return json_response({"wa_id": phone.wa_id, "old_wa_id": old, "notified": told})


@routes.post(f"{PREFIX}/phones/{{wa_id}}/reinstall")
async def phone_reinstall(request: web.Request) -> web.Response:
    phones = request.app[STATE_KEY].phones
    phone = phones.get(request.match_info["wa_id"])
    if request.can_read_body:
        require_object(await read_json(request))
    phones.reinstall(phone)
    return json_response({"wa_id": phone.wa_id, "identity": phone.fingerprint()})


# -- what a phone sees of a business ------------------------------------------------
@routes.get(f"{PREFIX}/phones/{{wa_id}}/business/{{business_wa_id}}")
async def phone_business_profile(request: web.Request) -> web.Response:
    """A business's about, business profile and photo (its type, size, hash and
    ``link``) as phone ``wa_id`` is shown them."""
    state = request.app[STATE_KEY]
    phone = state.phones.get(request.match_info["wa_id"])
    business = request.match_info["business_wa_id"]
    shown = state.network.business_profile(business)
    if shown["photo"] is not None:
        shown["photo"]["link"] = f"{PREFIX}/phones/{phone.wa_id}/business/{business}/photo"
    return json_response(shown)


@routes.get(f"{PREFIX}/phones/{{wa_id}}/business/{{business_wa_id}}/photo")
async def phone_business_photo(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE_KEY]
    state.phones.get(request.match_info["wa_id"])
    photo = state.network.business_photo(request.match_info["business_wa_id"])
    return await stream_blob(request, photo["id"], photo["mime_type"])
