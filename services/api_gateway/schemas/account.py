"""``POST /v1/account``, ``POST /v1/account/verify`` (spec §9.4) and
``POST /v1/account/shards`` (§9.5) bodies."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from services.api_gateway.schemas.common import require_object
from services.common.config import ALLOWED_SHARD_COUNTS
from services.common.errors import ApiError, invalid, missing

METHODS = ("sms", "voice")
CERT_FIELDS = ("cert", "vname_cert")


@dataclass(frozen=True)
class RegistrationRequest:
    cc: str
    phone_number: str
    method: str
    cert: str
    pin: str | None

    def rpc_kwargs(self) -> dict[str, Any]:
        return {
            "cc": self.cc,
            "phone_number": self.phone_number,
            "method": self.method,
            "cert": self.cert,
            "pin": self.pin,
        }


def _digits(data: dict[str, Any], name: str, *, max_length: int) -> str:
    value = data.get(name)
    if value is None or value == "":
        raise missing(name)
    if not isinstance(value, str) or not value.isdigit() or not value.isascii() or len(value) > max_length:
        raise invalid(name, value)
    return value


def validate_registration(body: Any) -> RegistrationRequest:
    data = require_object(body)
    cc = _digits(data, "cc", max_length=3)
    phone_number = _digits(data, "phone_number", max_length=15)
    method = data.get("method", "sms")
    if method not in METHODS:
        raise invalid("method", method)

    present = [name for name in CERT_FIELDS if data.get(name) not in (None, "")]
    if not present:
        raise ApiError(1008, "Atleast one of the following parameters must be present: 'cert', 'vname_cert'")
    if len(present) > 1:
        raise ApiError(1010, "Exactly one of the following parameters must be present: 'cert', 'vname_cert'")
    name = present[0]
    cert = _certificate(data, name)
    return RegistrationRequest(cc=cc, phone_number=phone_number, method=method, cert=cert, pin=_pin(data))


def _certificate(data: dict[str, Any], name: str) -> str:
    cert = data[name]
    # The certificate is not echoed back: it is long and identifies the business.
    if not isinstance(cert, str):
        raise ApiError(1009, f"Parameter '{name}' has invalid value: it must be a base64 string")
    try:
        base64.b64decode(cert.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(1009, f"Parameter '{name}' has invalid value: it must be a base64 string") from None
    return cert.strip()


def _pin(data: dict[str, Any]) -> str | None:
    pin = data.get("pin")
    if pin is not None and not (isinstance(pin, str) and len(pin) == 6 and pin.isdigit() and pin.isascii()):
        raise ApiError(1009, "Parameter 'pin' has invalid value: it must be 6 digits")
    return pin


@dataclass(frozen=True)
class ShardsRequest:
    cc: str
    phone_number: str
    shards: int


def validate_shards(body: Any) -> ShardsRequest:
    """The number, the new shard count (1, 2, 4, 8, 16 or 32), and optionally the
    two-step ``pin`` and the ``cert`` (v2.39.1+), checked for their form."""
    data = require_object(body)
    cc = _digits(data, "cc", max_length=3)
    phone_number = _digits(data, "phone_number", max_length=15)
    shards = data.get("shards")
    if shards is None:
        raise missing("shards")
    # bool is an int in Python: true is not a shard count.
    if isinstance(shards, bool) or not isinstance(shards, int) or shards not in ALLOWED_SHARD_COUNTS:
        raise ApiError(1009, f"Parameter 'shards' has invalid value: it must be one of {list(ALLOWED_SHARD_COUNTS)}")
    _pin(data)
    if data.get("cert") not in (None, ""):
        _certificate(data, "cert")
    return ShardsRequest(cc=cc, phone_number=phone_number, shards=shards)


def validate_verify(body: Any) -> str:
    data = require_object(body)
    code = data.get("code")
    if code is None or code == "":
        raise missing("code")
    # Codes are sent as "123456"; "123-456" (as shown in the SMS) is accepted too.
    text = code.replace("-", "") if isinstance(code, str) else code
    if not (isinstance(text, str) and len(text) == 6 and text.isdigit() and text.isascii()):
        raise invalid("code", code)
    return text
