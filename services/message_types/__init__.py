"""Message types, declared once (``declared/``): what the gateway validates, the core
seals and opens, the phones send and show, and the OpenAPI describes."""

from services.message_types.base import MessageType, PhoneEnvironment, Strict
from services.message_types.plaintext import BadPlaintext, Plaintext, decode
from services.message_types.registry import REGISTRY, get, inbound_names, media_names, outbound_names
from services.message_types.validation import parse, to_api_error

__all__ = [
    "REGISTRY",
    "BadPlaintext",
    "MessageType",
    "PhoneEnvironment",
    "Plaintext",
    "Strict",
    "decode",
    "get",
    "inbound_names",
    "media_names",
    "outbound_names",
    "parse",
    "to_api_error",
]
