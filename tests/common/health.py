"""Reading ``/v1/health`` in either of its shapes (spec §11.1)."""

from __future__ import annotations

from typing import Any


def is_connected(health: dict[str, Any]) -> bool:
    """Connected, in the single-instance shape or (several core nodes) on some node."""
    nodes = [value for value in health.values() if isinstance(value, dict)]
    return health.get("gateway_status") == "connected" or any(n.get("gateway_status") == "connected" for n in nodes)
