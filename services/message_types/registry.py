"""The one list of message types: every module of ``declared/`` adds its ``TYPES``."""

from __future__ import annotations

import importlib
import pkgutil

from services.message_types import declared
from services.message_types.base import MessageType


def _load() -> dict[str, MessageType]:
    found: dict[str, MessageType] = {}
    for module_info in sorted(pkgutil.iter_modules(declared.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{declared.__name__}.{module_info.name}")
        for message_type in module.TYPES:
            if message_type.name in found:
                raise RuntimeError(f"message type {message_type.name!r} is declared twice")
            found[message_type.name] = message_type
    return found


REGISTRY: dict[str, MessageType] = _load()


def get(name: str) -> MessageType | None:
    return REGISTRY.get(name)


def outbound_names() -> tuple[str, ...]:
    """What ``POST /v1/messages`` knows as a ``type`` (declared, available or not)."""
    return tuple(name for name, t in REGISTRY.items() if t.outbound is not None)


def inbound_names() -> tuple[str, ...]:
    return tuple(name for name, t in REGISTRY.items() if t.inbound is not None)


def media_names() -> tuple[str, ...]:
    """The media types (``media.auto_download`` chooses among them)."""
    return tuple(name for name, t in REGISTRY.items() if t.media)
