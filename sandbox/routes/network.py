"""``/network/v1``: what a WhatsApp client (the business's core worker) talks to."""

from __future__ import annotations

import asyncio

from aiohttp import web

from sandbox.errors import ApiError, bad_request
from sandbox.routes.common import CONNECTIONS_KEY, STATE_KEY, json_response, read_json, stream_blob
from sandbox.validation import is_wa_id

routes = web.RouteTableDef()

PREFIX = "/network/v1"
PUBLIC_PATHS = frozenset({f"{PREFIX}/registration/code", f"{PREFIX}/registration/verify"})


@routes.post(f"{PREFIX}/registration/code")
async def registration_code(request: web.Request) -> web.Response:
    network = request.app[STATE_KEY].network
    code_request = network.begin_code_request(await read_json(request))
    # ~20 ms of PBKDF2: off the event loop, which serves every other client meanwhile.
    matched = await asyncio.to_thread(code_request.pin_matches)
    return json_response(network.finish_code_request(code_request, matched))


@routes.post(f"{PREFIX}/registration/verify")
async def registration_verify(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].network.verify_code(await read_json(request)))


@routes.put(f"{PREFIX}/two-step")
async def put_two_step(request: web.Request) -> web.Response:
    network = request.app[STATE_KEY].network
    return json_response(network.set_two_step(request["wa_id"], await read_json(request)))


@routes.delete(f"{PREFIX}/two-step")
async def delete_two_step(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].network.clear_two_step(request["wa_id"]))


@routes.put(f"{PREFIX}/keys")
async def put_keys(request: web.Request) -> web.Response:
    network = request.app[STATE_KEY].network
    return json_response(network.publish_keys(request["wa_id"], await read_json(request)))


@routes.get(f"{PREFIX}/keys")
async def own_key_count(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].network.key_count(request["wa_id"]))


@routes.post(f"{PREFIX}/keys/one-time")
async def add_one_time(request: web.Request) -> web.Response:
    network = request.app[STATE_KEY].network
    return json_response(network.add_one_time_prekeys(request["wa_id"], await read_json(request)))


@routes.get(f"{PREFIX}/keys/{{wa_id}}")
async def get_bundle(request: web.Request) -> web.Response:
    wa_id = request.match_info["wa_id"]
    if not is_wa_id(wa_id):
        raise bad_request("the wa_id must be digits")
    return json_response(request.app[STATE_KEY].network.fetch_bundle(wa_id))


@routes.post(f"{PREFIX}/contacts")
async def check_contacts(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].network.check_contacts(await read_json(request)))


@routes.post(f"{PREFIX}/envelopes")
async def post_envelope(request: web.Request) -> web.Response:
    network = request.app[STATE_KEY].network
    return json_response(network.submit_envelope(request["wa_id"], await read_json(request)))


@routes.post(f"{PREFIX}/envelopes/batch")
async def post_envelopes(request: web.Request) -> web.Response:
    network = request.app[STATE_KEY].network
    return json_response(network.submit_envelopes(request["wa_id"], await read_json(request)))


@routes.post(f"{PREFIX}/receipts")
async def post_receipts(request: web.Request) -> web.Response:
    network = request.app[STATE_KEY].network
    return json_response(network.submit_receipt(request["wa_id"], await read_json(request)))


@routes.get(f"{PREFIX}/templates")
async def get_templates(request: web.Request) -> web.Response:
    """The business's templates (every status: the client decides what it may send)."""
    return json_response({"templates": request.app[STATE_KEY].network.templates.all()})


@routes.put(f"{PREFIX}/profile")
async def put_profile(request: web.Request) -> web.Response:
    """The business's about, business profile and photo (a blob uploaded first), whole,
    with its revision (sandbox/network/profiles.py)."""
    network = request.app[STATE_KEY].network
    return json_response(network.publish_profile(request["wa_id"], await read_json(request)))


# -- media: the encrypted files (sandbox/network/media_store.py) -----------------
MEDIA_CONTENT_TYPE = "application/octet-stream"
UPLOAD_CHUNK = 1024 * 1024


@routes.post(f"{PREFIX}/media")
async def upload_media(request: web.Request) -> web.Response:
    """The body is the encrypted file, streamed to the store (never read whole, so
    the app's 8 MiB body limit does not apply); 201 once it is durable."""
    if request.content_type != MEDIA_CONTENT_TYPE:
        raise ApiError(415, "unsupported_media_type", f"the body must be {MEDIA_CONTENT_TYPE}")
    store = request.app[STATE_KEY].network.media
    try:
        media_id = await store.receive(request.content.iter_chunked(UPLOAD_CHUNK), request.content_length)
    except ConnectionResetError:  # the client went away mid-upload: nothing was stored
        raise ApiError(400, "upload_interrupted", "the upload ended before its last byte") from None
    return json_response({"id": media_id}, status=201)


@routes.get(f"{PREFIX}/media/{{media_id}}")
async def download_media(request: web.Request) -> web.StreamResponse:
    return await stream_blob(request, request.match_info["media_id"], MEDIA_CONTENT_TYPE)


@routes.get(f"{PREFIX}/connect")
async def connect(request: web.Request) -> web.StreamResponse:
    return await request.app[CONNECTIONS_KEY].handle(request, request["wa_id"])
