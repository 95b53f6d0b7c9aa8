"""The long-lived client connection: ``GET /network/v1/connect`` (WebSocket).

The server pushes the caller's mailbox items in order, each at most once per
connection; the client answers ``{"type": "ack", "ids": [...]}`` once it has stored
them, and only then are they deleted. Whatever is unacknowledged when a connection
ends is pushed again on the next one. ``{"type": "ping"}`` goes out after
``ping_interval`` idle seconds. One live connection per wa_id: a new one closes the
old (close code 4001, "replaced").
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import WSMsgType, web

from sandbox.network.relay import Relay

log = logging.getLogger(__name__)

CLOSE_REPLACED = 4001

Durable = Callable[[], Awaitable[None]]
"""The commit barrier (sandbox/persistence.py): returns once every change so far is durable."""


class Connection:
    def __init__(
        self, wa_id: str, ws: web.WebSocketResponse, relay: Relay, ping_interval: float, durable: Durable
    ) -> None:
        self.wa_id = wa_id
        self.ws = ws
        self.relay = relay
        self.ping_interval = ping_interval
        self.durable = durable
        self.wakeup = asyncio.Event()
        self.replaced = False
        self._sent: set[str] = set()

    def replace(self) -> None:
        """A newer connection took over: push nothing more, close in the background."""
        self.replaced = True
        self.wakeup.set()

    async def push_loop(self) -> None:
        self.relay.watch(self.wa_id, self.wakeup)
        try:
            while not self.ws.closed and not self.replaced:
                self.wakeup.clear()
                pending = self.relay.pending(self.wa_id)
                self._sent &= {item["id"] for item in pending}
                unsent = [item for item in pending if item["id"] not in self._sent]
                if unsent:
                    # Nothing is pushed before it (and what led to it: a phone's record
                    # behind a receipt) is on disk, or a restart could take it back.
                    await self.durable()
                for item in unsent:
                    if self.replaced:
                        break
                    await self.ws.send_json(item)
                    self._sent.add(item["id"])
                try:
                    await asyncio.wait_for(self.wakeup.wait(), self.ping_interval)
                except TimeoutError:
                    await self.ws.send_json({"type": "ping"})
        except (ConnectionResetError, RuntimeError):
            pass  # the socket went away; the reader ends the connection
        except Exception:
            log.exception("connection %s: push failed", self.wa_id)
            await self.ws.close(code=1011, message=b"internal error")
        finally:
            self.relay.unwatch(self.wa_id, self.wakeup)

    def handle_text(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.info("connection %s: ignoring a non-JSON frame", self.wa_id)
            return
        if not isinstance(message, dict):
            return
        kind = message.get("type")
        if kind == "ack":
            ids = message.get("ids")
            if isinstance(ids, list):
                self.relay.ack(self.wa_id, [i for i in ids if isinstance(i, str)])
        elif kind in ("ping", "pong"):
            pass
        else:
            log.info("connection %s: ignoring a frame of type %r", self.wa_id, kind)


class ConnectionManager:
    def __init__(self, relay: Relay, durable: Durable, ping_interval: float = 20.0) -> None:
        self.relay = relay
        self.ping_interval = ping_interval
        self.durable = durable
        self.live: dict[str, Connection] = {}
        self._closing: set[asyncio.Task[bool]] = set()

    def is_connected(self, wa_id: str) -> bool:
        return wa_id in self.live

    async def handle(self, request: web.Request, wa_id: str) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None, max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        conn = Connection(wa_id, ws, self.relay, self.ping_interval, self.durable)
        old = self.live.get(wa_id)
        self.live[wa_id] = conn
        if old is not None:
            log.info("connection %s replaced by a new one", wa_id)
            old.replace()
            task = asyncio.create_task(old.ws.close(code=CLOSE_REPLACED, message=b"replaced"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        log.info("connection %s open", wa_id)
        pusher = asyncio.create_task(conn.push_loop())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    conn.handle_text(msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher
            if self.live.get(wa_id) is conn:
                del self.live[wa_id]
            log.info("connection %s closed", wa_id)
        return ws

    async def close_all(self) -> None:
        for conn in list(self.live.values()):
            await conn.ws.close(code=1001, message=b"server shutdown")
