"""Helpers shared by the route modules."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.errors import ApiError, bad_request

STATE_KEY: web.AppKey[Any] = web.AppKey("sandbox_state", object)
CONNECTIONS_KEY: web.AppKey[Any] = web.AppKey("sandbox_connections", object)
DURABLE_KEY: web.AppKey[Any] = web.AppKey("sandbox_durable", object)
"""``async () -> None``: returns once every change made so far is durable (the commit barrier)."""


async def read_json(request: web.Request, max_bytes: int | None = None) -> Any:
    """The JSON body; ``max_bytes`` allows a larger one than the app's limit (a phone's
    media), read up to that bound (413 ``request_too_large`` beyond it)."""
    raw = await request.read() if max_bytes is None else await _read_at_most(request, max_bytes)
    if not raw:
        raise bad_request("a JSON body is required", code="invalid_json")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("the body is not valid JSON", code="invalid_json") from exc


async def _read_at_most(request: web.Request, max_bytes: int) -> bytes:
    if request.content_length is not None and request.content_length > max_bytes:
        raise ApiError(413, "request_too_large", f"the body may hold at most {max_bytes} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(1024 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, "request_too_large", f"the body may hold at most {max_bytes} bytes")
        parts.append(chunk)
    return b"".join(parts)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


async def stream_blob(request: web.Request, media_id: str, content_type: str) -> web.StreamResponse:
    """A blob of the network's media store as the answer, streamed (404 when unknown)."""
    store = request.app[STATE_KEY].network.media
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.content_length = store.size(media_id)
    await response.prepare(request)
    try:
        async for chunk in store.stream(media_id):
            await response.write(chunk)
        await response.write_eof()
    except ConnectionResetError:  # the client stopped reading (it has what it wanted)
        pass
    return response
