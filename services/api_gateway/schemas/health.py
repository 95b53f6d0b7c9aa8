"""``GET /v1/health`` answer (spec §11.1): one gateway status, or one per live core
node keyed ``"<hostname>:<pid>"`` when there are several."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

GatewayStatus = Literal["connected", "disconnected", "unregistered"]


class GatewayHealth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gateway_status: GatewayStatus


class NodeHealth(GatewayHealth):
    role: Literal["coreapp"]
    shards: list[int] = Field(json_schema_extra={
        "x-extension": "the shards the node holds: where a contact's messages are being sent from"})


class HealthAnswer(BaseModel):
    health: GatewayHealth | dict[str, NodeHealth] = Field(
        description="One core node (or none): its status; several: keyed by node")
