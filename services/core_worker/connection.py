"""The long-lived connection to the network that receives envelopes and receipts.

Each pushed item is written to ``inbound_events`` (journaled:
services/messages/inbound_journal.py) *before* it is acknowledged, so an item the
network forgets is one we already hold. One core process holds the connection at a
time, the one holding the ``network`` lease in MongoDB (services/core_worker/leases.py),
as only one device may be connected for a number; the lease document also records
whether it is connected, for ``/v1/health``.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from services.account import store as account_store
from services.cluster import sharding
from services.cluster.nodes import NETWORK_LEASE
from services.common.clock import utcnow
from services.common.kicks import kick_inbound
from services.core_worker.context import CoreContext
from services.messages import inbound_journal
from services.stats import counters as stats_counters

log = logging.getLogger(__name__)

# Short, so that a holder that lost the lease closes its socket within about a second.
RECEIVE_TIMEOUT = 1.0
MAX_BATCH = 500
ITEM_KINDS = ("envelope", "receipt", "notification")
"""What the network pushes; each is journaled as an ``inbound_events`` document of that kind."""


class NetworkConnection(threading.Thread):
    def __init__(self, ctx: CoreContext, owner: str) -> None:
        super().__init__(name="network-connection", daemon=True)
        self.ctx = ctx
        self.owner = owner
        self.stopping = threading.Event()

    def stop(self) -> None:
        """Close the connection and hand the lease over at once (not when it runs out)."""
        self.stopping.set()
        self.join(timeout=RECEIVE_TIMEOUT + 1)
        if self.ctx.leases is not None:
            self.ctx.leases.release_network()

    def run(self) -> None:
        backoff = 0.5
        while not self.stopping.is_set():
            try:
                account = account_store.load_registered(self.ctx.db, self.ctx.master_key)
                if account is None or not self._hold_lease():
                    self.stopping.wait(1.0)
                    continue
                self._serve(account.network_token)
                backoff = 0.5
            except (OSError, ConnectionClosed, InvalidStatus, TimeoutError) as error:
                log.warning("network connection lost: %s", error.__class__.__name__)
            except Exception:  # keep the connection thread alive whatever happens
                log.exception("network connection failed")
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 10.0)

    def _hold_lease(self) -> bool:
        """This node holds the network lease now (its own view: no round trip)."""
        return self.ctx.leases is not None and self.ctx.leases.holds(NETWORK_LEASE)

    def _serve(self, token: str) -> None:
        url = self.ctx.network(token).connect_url
        with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10,
                     max_size=16 * 1024 * 1024) as socket:
            log.info("connected to the network")
            stats_counters.inc("network_connects")
            leases = self.ctx.leases
            assert leases is not None  # _hold_lease() said so
            leases.set_network_state(True)
            try:
                while not self.stopping.is_set():
                    if not self._hold_lease():
                        log.warning("network lease lost: closing the connection")
                        return
                    items = self._receive_batch(socket)
                    if items:
                        self._store_and_ack(socket, items)
            finally:
                leases.set_network_state(False)

    def _receive_batch(self, socket: ClientConnection) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        try:
            frame = socket.recv(timeout=RECEIVE_TIMEOUT)
        except TimeoutError:
            return items
        items.extend(_parse(frame))
        # Drain whatever else already arrived so one journaled write covers many items.
        while len(items) < MAX_BATCH:
            try:
                frame = socket.recv(timeout=0)
            except TimeoutError:
                break
            items.extend(_parse(frame))
        return items

    def _store_and_ack(self, socket: ClientConnection, items: list[dict[str, Any]]) -> None:
        docs = inbound_journal.append(self.ctx.db, items, utcnow())
        socket.send(json.dumps({"type": "ack", "ids": [item["id"] for item in items]}))
        shards = self.ctx.shard_count()
        for shard in sorted({sharding.shard_of(doc["server_shard"], shards) for doc in docs}):
            kick_inbound(self.ctx.celery, shard, self.ctx.redis)


def _parse(frame: str | bytes) -> list[dict[str, Any]]:
    try:
        item = json.loads(frame)
    except ValueError:
        log.warning("ignoring a malformed frame from the network")
        return []
    if item.get("type") in ITEM_KINDS and item.get("id") is not None and isinstance(item.get(item["type"]), dict):
        return [item]
    return []

