"""API errors: every failure answers JSON ``{"error": code, "message": text}``."""

from __future__ import annotations


class ApiError(Exception):
    """An error that maps onto one HTTP answer."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.status = status
        self.code = code
        self.message = message or code.replace("_", " ")

    def to_dict(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}


def bad_request(message: str, code: str = "bad_request") -> ApiError:
    return ApiError(400, code, message)


def not_found(message: str = "not found", code: str = "not_found") -> ApiError:
    return ApiError(404, code, message)


def not_a_user(wa_id: str) -> ApiError:
    return ApiError(404, "not_a_user", f"{wa_id} is not a WhatsApp user")


def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "missing or invalid network auth token")


def forbidden(message: str, code: str = "forbidden") -> ApiError:
    return ApiError(403, code, message)


def conflict(message: str, code: str = "conflict") -> ApiError:
    return ApiError(409, code, message)
