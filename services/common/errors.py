"""On-Prem error codes and the ``ApiError`` every layer raises.

Titles and HTTP statuses are the original Webapp's (spec §3.1); an unknown code is
reported as code 0, as the original does.
"""

from __future__ import annotations

from dataclasses import dataclass

# code -> (title, HTTP status)
ERROR_TABLE: dict[int, tuple[str, int]] = {
    0: ("undefined", 500),
    1000: ("Generic error", 500),
    1001: ("Message too long", 400),
    1002: ("Invalid recipient type", 400),
    1003: ("Not a group participant", 400),
    1004: ("Resource already exists", 409),
    1005: ("Access denied", 403),
    1006: ("Resource not found", 404),
    1007: ("Recipient blocked to receive message", 403),
    1008: ("Required parameter is missing", 400),
    1009: ("Parameter value is not valid", 400),
    1010: ("Parameter is not required", 400),
    1011: ("Service not ready", 500),
    1012: ("Group is unknown", 404),
    1013: ("User is not valid", 400),
    1014: ("Internal error", 500),
    1015: ("Too many requests", 429),
    1016: ("System overloaded", 503),
    1017: ("Not a primary master", 500),
    1018: ("Not a primary coreapp", 500),
    1019: ("Not a group admin", 400),
    1020: ("Bad group", 400),
    1021: ("Bad user", 400),
    1022: ("Webhooks URL is not configured", 412),
    1023: ("Database error occurred", 500),
    1024: ("Password change required", 401),
    1025: ("Request is not valid", 400),
    1026: ("Receiver is incapable of receiving this message", 501),
    # Templates (spec §3.1). 2061/2062 arrive in `failed` statuses; their titles are
    # ours (the spec has only the meaning) and their HTTP status is never used.
    2000: ("Number of parameters does not match the expected number of params", 400),
    2001: ("Template name does not exist in the translation", 404),
    2002: ("Failed to find the translation for the requested language and locale", 404),
    2003: ("Could not find translation for the requested language and locale", 404),
    2004: ("Parameter length too long", 400),
    2005: ("Translated text too long", 400),
    2006: ("Whitespace policy violated", 400),
    2007: ("Format character policy violated", 400),
    2008: ("Media format used is unsupported", 400),
    2009: ("Required component in the template is missing", 400),
    2010: ("URL in button component is invalid", 400),
    2011: ("Phone Number in button component is invalid", 400),
    2012: ("Parameter format does not match format in the created template", 400),
    2013: ("Buttons are unsupported by the receiver", 501),
    2061: ("Template paused", 400),
    2062: ("Template disabled", 400),
}

# Asynchronous codes carried in webhooks (spec §3.2).
WEBHOOK_ERROR_TITLES: dict[int, str] = {
    400: "Media download error",
    408: "Message is not valid",
    410: "Message expired",
    470: "Re-engagement message",
    480: "User potentially changed",
    500: "Generic error",
    501: "Unknown message type",
}


@dataclass
class ApiError(Exception):
    """A failure that becomes one On-Prem ``errors[]`` item and its HTTP status."""

    code: int
    details: str | None = None
    http_status: int | None = None  # only to override the table (401 for bad tokens)

    def __post_init__(self) -> None:
        super().__init__(self.details or self.title)

    @property
    def known(self) -> bool:
        return self.code in ERROR_TABLE

    @property
    def title(self) -> str:
        return ERROR_TABLE.get(self.code, ERROR_TABLE[0])[0]

    @property
    def status(self) -> int:
        if self.http_status is not None:
            return self.http_status
        return ERROR_TABLE.get(self.code, ERROR_TABLE[0])[1]

    def to_dict(self) -> dict:
        if not self.known:
            return {"code": 0, "title": "undefined", "details": f"Undefined error code {self.code}"}
        item: dict = {"code": self.code, "title": self.title}
        if self.details:
            item["details"] = self.details
        return item


def missing(param: str) -> ApiError:
    return ApiError(1008, f"Missing mandatory parameter '{param}'")


def invalid(param: str, value: object) -> ApiError:
    return ApiError(1009, f"Parameter '{param}' has invalid value '{value}'")


def not_required(param: str, for_type: str) -> ApiError:
    return ApiError(1010, f"Parameter '{param}' is not required for type '{for_type}'")
