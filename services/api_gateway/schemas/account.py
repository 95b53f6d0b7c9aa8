"""``POST /v1/account``, ``POST /v1/account/verify`` (spec §9.4) and
``POST /v1/account/shards`` (§9.5) bodies."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.api_gateway.schemas.common import parse, require_object
from services.api_gateway.schemas.two_step import PIN_PATTERN, check_pin
from services.common.config import ALLOWED_SHARD_COUNTS
from services.common.errors import ApiError, invalid, missing

METHODS = ("sms", "voice")
CERT_FIELDS = ("cert", "vname_cert")
WIPE = "wipe"
PIN_WITH_WIPE = "Parameter 'pin' is not required when 'reset' is 'wipe'"

_CC = Field(pattern=r"^[0-9]{1,3}$", description="Country code, digits")
_PHONE_NUMBER = Field(pattern=r"^[0-9]{1,15}$", description="Phone number without the country code, digits")
_PIN = Field(None, pattern=PIN_PATTERN, description="The two-step verification PIN, when two-step is enabled")


class RegistrationBody(BaseModel):
    """``POST /v1/account``. The checks of :func:`validate_registration` come first:
    they give the original's messages (exactly one of ``cert`` and ``vname_cert``)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    cc: str = _CC
    phone_number: str = _PHONE_NUMBER
    method: Literal["sms", "voice"] = "sms"
    cert: str | None = Field(None, description="Base64 verified-name certificate (or vname_cert)")
    vname_cert: str | None = Field(None, description="Base64 verified-name certificate (or cert)")
    pin: str | None = _PIN
    reset: Literal["wipe"] | None = Field(
        None, description="'wipe': remove the number's two-step verification once the new code is verified; "
                          "no 'pin' then")


class VerifiedName(BaseModel):
    vname: str


class RegistrationAnswer(BaseModel):
    """202: a code was sent; the display name decoded from the certificate."""

    account: list[VerifiedName]


class VerifyBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    code: str = Field(description="The 6-digit registration code, '123456' or '123-456'")


class ShardsBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    cc: str = _CC
    phone_number: str = _PHONE_NUMBER
    shards: Literal[1, 2, 4, 8, 16, 32]
    pin: str | None = _PIN
    cert: str | None = Field(None, description="Base64 verified-name certificate (v2.39.1+), checked for its form")


class ShardCount(BaseModel):
    shards: int


class ShardsAnswer(BaseModel):
    account: ShardCount


@dataclass(frozen=True)
class RegistrationRequest:
    cc: str
    phone_number: str
    method: str
    cert: str
    pin: str | None
    wipe: bool = False

    def rpc_kwargs(self) -> dict[str, Any]:
        return {
            "cc": self.cc,
            "phone_number": self.phone_number,
            "method": self.method,
            "cert": self.cert,
            "pin": self.pin,
            "wipe": self.wipe,
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
    cert = _certificate(data, present[0])
    pin = check_pin(data.get("pin"))
    wipe = _wipe(data, pin)
    parsed = parse(RegistrationBody, {**data, "cc": cc, "phone_number": phone_number, "method": method})
    return RegistrationRequest(cc=parsed.cc, phone_number=parsed.phone_number, method=parsed.method, cert=cert,
                               pin=parsed.pin, wipe=wipe)


def _wipe(data: dict[str, Any], pin: str | None) -> bool:
    reset = data.get("reset")
    if reset is None:
        return False
    if reset != WIPE:
        raise invalid("reset", reset)
    if pin is not None:
        raise ApiError(1010, PIN_WITH_WIPE)
    return True


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


@dataclass(frozen=True)
class ShardsRequest:
    cc: str
    phone_number: str
    shards: int
    pin: str | None = None


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
    pin = check_pin(data.get("pin"))
    if data.get("cert") not in (None, ""):
        _certificate(data, "cert")
    parse(ShardsBody, {**data, "cert": None})
    return ShardsRequest(cc=cc, phone_number=phone_number, shards=shards, pin=pin)


def validate_verify(body: Any) -> str:
    data = require_object(body)
    code = data.get("code")
    if code is None or code == "":
        raise missing("code")
    # Codes are sent as "123456"; "123-456" (as shown in the SMS) is accepted too.
    text = code.replace("-", "") if isinstance(code, str) else code
    if not (isinstance(text, str) and len(text) == 6 and text.isdigit() and text.isascii()):
        raise invalid("code", code)
    return parse(VerifyBody, {"code": text}).code
