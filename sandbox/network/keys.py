"""The network's view of protocol objects: it validates public key uploads and
envelopes with ``services.protocol`` (the same parser every client uses) and builds
bundles from stored uploads. It never handles private keys or plaintext."""

from __future__ import annotations

from typing import Any

from sandbox.errors import ApiError
from sandbox.network.directory import KeyDict, KeyEntry
from services.protocol import Envelope, IdentityPublic, PrekeyBundle, ProtocolError
from services.protocol.keys import parse_one_time_prekey_public

MAX_ONE_TIME_PREKEYS_PER_UPLOAD = 1000


def _invalid_keys(message: str) -> ApiError:
    return ApiError(400, "invalid_keys", message)


def check_one_time_prekeys(value: Any) -> list[KeyDict]:
    if not isinstance(value, list) or len(value) > MAX_ONE_TIME_PREKEYS_PER_UPLOAD:
        raise _invalid_keys(f"'one_time_prekeys' must be a list of at most {MAX_ONE_TIME_PREKEYS_PER_UPLOAD} keys")
    out: list[KeyDict] = []
    for otpk in value:
        try:
            parse_one_time_prekey_public(otpk)
        except ProtocolError as exc:
            raise _invalid_keys(str(exc)) from exc
        out.append({"key_id": otpk["key_id"], "public": otpk["public"]})
    return out


def check_upload(identity: Any, signed_prekey: Any, one_time_prekeys: Any) -> tuple[KeyDict, KeyDict, list[KeyDict]]:
    """Validate a key upload; the signed prekey must be signed by the identity."""
    try:
        bundle = PrekeyBundle.from_dict({"identity": identity, "signed_prekey": signed_prekey})
        bundle.verify()
    except ProtocolError as exc:
        raise _invalid_keys(str(exc)) from exc
    stored = bundle.to_dict()
    return stored["identity"], stored["signed_prekey"], check_one_time_prekeys(one_time_prekeys)


def build_bundle(entry: KeyEntry, one_time_prekey: KeyDict | None) -> dict[str, Any]:
    return {
        "identity": entry.identity,
        "signed_prekey": entry.signed_prekey,
        "one_time_prekey": one_time_prekey,
    }


def identity_fingerprint(identity: KeyDict) -> str:
    return IdentityPublic.from_dict(identity).fingerprint()


def check_envelope(body: dict[str, Any]) -> dict[str, str]:
    """Parse an envelope strictly; returns its routing fields ``from`` and ``to``."""
    try:
        envelope = Envelope.from_dict(body)
    except ProtocolError as exc:
        raise ApiError(400, "invalid_envelope", str(exc)) from exc
    return {"from": envelope.sender, "to": envelope.recipient}
