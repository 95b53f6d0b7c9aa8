"""The sandbox application factory."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from sandbox.errors import ApiError, unauthorized
from sandbox.network.connection import ConnectionManager
from sandbox.network.media_store import DEFAULT_MAX_TOTAL, FileBlobs, MediaStore, media_dir
from sandbox.persistence import SNAPSHOT_INTERVAL, DurableStore, load_state
from sandbox.routes import network as network_routes
from sandbox.routes import sandbox as sandbox_routes
from sandbox.routes.common import CONNECTIONS_KEY, DURABLE_KEY, STATE_KEY
from sandbox.state import SandboxState

log = logging.getLogger("sandbox.access")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    415: "unsupported_media_type",
}


@web.middleware
async def access_log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    # One line per request, path only: no query string, no headers, no body (tokens!).
    started = time.monotonic()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        log.info("%s %s %s %.1fms", request.method, request.path, status, (time.monotonic() - started) * 1000)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response(exc.to_dict(), status=exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        return web.json_response({"error": code, "message": exc.reason}, status=exc.status)
    except Exception:
        logging.getLogger("sandbox").exception("unhandled error on %s %s", request.method, request.path)
        return web.json_response({"error": "internal_error", "message": "internal error"}, status=500)


@web.middleware
async def commit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The commit barrier: no answer leaves before the changes made until then are
    durable (a no-op without a state file), errors included: an operation that failed
    half-way may have changed a phone."""
    durable = request.app[DURABLE_KEY]
    try:
        response = await handler(request)
    except Exception:
        await durable()
        raise
    await durable()
    return response


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    path = request.path
    if path.startswith(network_routes.PREFIX + "/") and path not in network_routes.PUBLIC_PATHS:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        wa_id = None
        if scheme.lower() == "bearer":
            wa_id = request.app[STATE_KEY].network.registry.authenticate(token.strip())
        if wa_id is None:
            raise unauthorized()
        request["wa_id"] = wa_id
    return await handler(request)


def create_app(
    state: SandboxState | None = None,
    *,
    state_file: str | Path | None = None,
    ping_interval: float = 20.0,
    snapshot_interval: float = SNAPSHOT_INTERVAL,
    media_max_bytes: int = DEFAULT_MAX_TOTAL,
) -> web.Application:
    """Build the sandbox app. With ``state_file`` and no ``state`` the state is loaded
    from that file (snapshot and journal); with ``state_file`` every answer waits until
    its changes are in the file (sandbox/persistence.py), and the media store keeps its
    blobs in files beside it (sandbox/network/media_store.py)."""
    path = Path(state_file) if state_file else None
    if state is None:
        state = load_state(path)[0] if path else SandboxState()
    blobs = FileBlobs(media_dir(path)) if path else None
    state.network.media = MediaStore(blobs, max_total=media_max_bytes)
    store = DurableStore(state, path, snapshot_interval=snapshot_interval) if path else None

    app = web.Application(
        middlewares=[access_log_middleware, error_middleware, commit_middleware, auth_middleware],
        client_max_size=8 * 1024 * 1024,
    )
    app[STATE_KEY] = state
    app[DURABLE_KEY] = store.durable if store is not None else _in_memory
    app[CONNECTIONS_KEY] = ConnectionManager(state.network.relay, app[DURABLE_KEY], ping_interval=ping_interval)
    app.add_routes(network_routes.routes)
    app.add_routes(sandbox_routes.routes)
    app.router.add_get("/healthz", _healthz)

    async def on_startup(app: web.Application) -> None:
        if store is not None:
            store.open()  # before the phones' workers change anything
            store.start()
        state.phones.start()

    async def on_shutdown(app: web.Application) -> None:
        await app[CONNECTIONS_KEY].close_all()

    async def on_cleanup(app: web.Application) -> None:
        await state.phones.stop()
        if store is not None:
            await store.close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


async def _in_memory() -> None:
    """Without a state file nothing is written: every change is "durable" at once."""


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})
