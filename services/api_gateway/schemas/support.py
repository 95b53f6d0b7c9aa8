"""``GET /v1/support`` answer (spec §11.4): what an operator attaches to a support
request. Names, states, counts and times only: no secret, token, key or password has a
field here, so none can reach the answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class SupportRegistration(BaseModel):
    state: str  # "unregistered" | "code_requested" | "registered"
    cc: str | None = None
    phone_number: str | None = None
    wa_id: str | None = None
    vname: str | None = None


class SupportNode(BaseModel):
    """A live core node, as its ``core_nodes`` document and the leases it holds say."""

    id: str  # "<hostname>:<pid>"
    host: str | None = None
    role: str = "coreapp"
    gateway_status: str
    shards: list[int]
    pinned: list[int] | None = None
    network_connection: bool  # it holds the network lease
    started_at: datetime | None = None
    heartbeat_at: datetime | None = None
    uptime_seconds: int | None = None


class SupportProcess(BaseModel):
    """A gateway worker or a dispatcher, as it publishes itself (``service_stats``)."""

    service: str
    host: str | None = None
    pid: int | None = None
    started_at: datetime | None = None
    published_at: datetime | None = None


class SupportQueues(BaseModel):
    pending_outbound_messages: int
    pending_callbacks: int
    owed_receipts: int
    inbound_events: int
    dead_events: int


class SupportMember(BaseModel):
    name: str
    state: str
    health: float | None = None


class SupportDatabase(BaseModel):
    replica_set: str | None = None
    members: list[SupportMember] = []
    error: str | None = None  # why the replica set's state could not be read


class SupportGcRun(BaseModel):
    status: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    deleted: int | None = None


class SupportInfo(BaseModel):
    version: str
    generated_at: datetime
    gateway_uptime_seconds: int  # of the gateway worker that answered
    gateway_status: str
    registration: SupportRegistration
    node: SupportNode | None  # None: no live core node
    nodes: list[SupportNode]  # every live core node
    leases: dict[str, str]  # lease id -> the node holding it
    processes: list[SupportProcess]
    queues: SupportQueues
    database: SupportDatabase
    garbage_collection: dict[str, SupportGcRun]  # "media_gc" | "message_gc" -> the last run


class SupportAnswer(BaseModel):
    support: SupportInfo | dict[str, SupportInfo]
    """One node (or none): the information itself; several live core nodes: keyed per
    node ``"<hostname>:<pid>"`` as the original's multiconnect answer (spec §11.4), each
    with its own ``node`` and ``gateway_status``."""
