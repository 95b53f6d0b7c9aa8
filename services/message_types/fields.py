"""Field types shared by the message type declarations.

Every string a type accepts is a :data:`Text`: MongoDB cannot store a lone surrogate
(and no phone could show one), so it is a 1009 here instead of a 500 later.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

ONPREM_ERROR = "onprem_error"
"""Error type that carries its own On-Prem code (ctx ``code``) and wording (ctx ``details``)."""


def onprem_error(code: int, details: str) -> PydanticCustomError:
    return PydanticCustomError(ONPREM_ERROR, "{details}", {"code": code, "details": details})


def _storable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("invalid_text", "contains a lone surrogate") from None
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank_text", "must not be blank")
    return value


Text = Annotated[str, AfterValidator(_storable)]
NonBlank = Annotated[str, AfterValidator(_storable), AfterValidator(_not_blank)]


PARAM = "{param}"
"""Stands for the parameter's path in an error's details; validation fills it in."""


def limited(max_length: int, code: int = 1009, label: str = f"Parameter '{PARAM}'") -> Any:
    """A non-blank string of at most ``max_length`` characters; a longer one is error ``code``."""

    def check(value: str) -> str:
        if len(value) > max_length:
            raise onprem_error(code, f"{label} must be at most {max_length} characters, got {len(value)}")
        return value

    return Annotated[str, AfterValidator(_storable), AfterValidator(_not_blank), AfterValidator(check)]


Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]

# Bounded so that no number a request carries is too large for MongoDB (8-byte ints).
UnixSeconds = Annotated[int, Field(ge=0, le=253_402_300_799)]  # up to the end of year 9999
Amount1000 = Annotated[int, Field(ge=0, le=10**15)]  # an amount in thousandths of the currency unit
