"""Helpers shared by the route modules."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox.errors import bad_request

STATE_KEY: web.AppKey[Any] = web.AppKey("sandbox_state", object)
CONNECTIONS_KEY: web.AppKey[Any] = web.AppKey("sandbox_connections", object)
DURABLE_KEY: web.AppKey[Any] = web.AppKey("sandbox_durable", object)
"""``async () -> None``: returns once every change made so far is durable (the commit barrier)."""


async def read_json(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        raise bad_request("a JSON body is required", code="invalid_json")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request("the body is not valid JSON", code="invalid_json") from exc


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)
