"""HTTP client for the WhatsApp network's client endpoints (docs/design.md, Network API).

The one place the core talks HTTP to the network; everything above it deals in
protocol objects and these exceptions.
"""

from __future__ import annotations

from typing import Any

import requests


class NetworkError(Exception):
    """The network could not be reached or failed; the work should be retried."""


class NetworkRejected(Exception):
    """The network refused the request for a reason retrying will not fix."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code


class NotAUser(NetworkRejected):
    pass


class NetworkClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = requests.Session()
        if token:
            self._http.headers["Authorization"] = f"Bearer {token}"

    @property
    def connect_url(self) -> str:
        scheme, rest = self.base_url.split("://", 1)
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/network/v1/connect"

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        try:
            response = self._http.request(
                method, f"{self.base_url}/network/v1{path}", json=body, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise NetworkError(f"{method} {path}: {error.__class__.__name__}") from None
        if response.status_code >= 500:
            raise NetworkError(f"{method} {path}: HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code >= 400:
            code = str(data.get("error", "error"))
            error_class = NotAUser if code == "not_a_user" else NetworkRejected
            raise error_class(response.status_code, code, str(data.get("message", "")))
        return data

    def request_code(self, cc: str, phone_number: str, method: str, cert: str, *, pin: str | None = None,
                     wipe: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"cc": cc, "phone_number": phone_number, "method": method, "cert": cert}
        if pin is not None:
            body["pin"] = pin
        if wipe:
            body["reset"] = "wipe"
        return self._call("POST", "/registration/code", body)

    def set_two_step(self, pin: str) -> None:
        self._call("PUT", "/two-step", {"pin": pin})

    def clear_two_step(self) -> None:
        self._call("DELETE", "/two-step")

    def verify(self, cc: str, phone_number: str, code: str) -> dict[str, Any]:
        return self._call("POST", "/registration/verify", {"cc": cc, "phone_number": phone_number, "code": code})

    def publish_keys(self, identity: dict, signed_prekey: dict, one_time_prekeys: list[dict]) -> int:
        body = {"identity": identity, "signed_prekey": signed_prekey, "one_time_prekeys": one_time_prekeys}
        return int(self._call("PUT", "/keys", body).get("one_time_prekeys", 0))

    def add_one_time_prekeys(self, one_time_prekeys: list[dict]) -> int:
        body = {"one_time_prekeys": one_time_prekeys}
        return int(self._call("POST", "/keys/one-time", body).get("one_time_prekeys", 0))

    def fetch_bundle(self, wa_id: str) -> dict[str, Any]:
        return self._call("GET", f"/keys/{wa_id}")

    def submit_envelopes(self, envelopes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Relay several envelopes in order in one request; one result per envelope:
        ``{"id", "timestamp"}`` or ``{"error", "message"}``."""
        results = self._call("POST", "/envelopes/batch", {"envelopes": envelopes}).get("results")
        if not isinstance(results, list) or len(results) != len(envelopes):
            raise NetworkError("POST /envelopes/batch: malformed answer")
        return results

    def check_contacts(self, numbers: list[str]) -> dict[str, str | None]:
        """Which of ``numbers`` (wa_id digits, at most 1000) are WhatsApp users: number ->
        wa_id, or None for a number that is not."""
        results = self._call("POST", "/contacts", {"numbers": numbers}).get("results")
        if not isinstance(results, list) or len(results) != len(numbers):
            raise NetworkError("POST /contacts: malformed answer")
        answer: dict[str, str | None] = {}
        for number, result in zip(numbers, results, strict=True):
            wa_id = result.get("wa_id") if isinstance(result, dict) else None
            answer[number] = str(wa_id) if wa_id else None
        return answer

    def send_receipt(self, to: str, status: str, message_ids: list[str]) -> None:
        self._call("POST", "/receipts", {"to": to, "status": status, "message_ids": message_ids})

    def templates(self) -> list[dict[str, Any]]:
        """The business's templates as the network approved them (every status)."""
        templates = self._call("GET", "/templates").get("templates")
        if not isinstance(templates, list):
            raise NetworkError("GET /templates: malformed answer")
        return templates

    def put_profile(self, profile: dict[str, Any]) -> int:
        """Publish the business's whole profile (``revision``, ``about``,
        ``business_profile``, ``photo``); the revision the network holds after it."""
        return int(self._call("PUT", "/profile", profile).get("revision", 0))
