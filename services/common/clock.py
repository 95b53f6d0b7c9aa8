"""Time in the forms the API uses: aware UTC datetimes inside, string seconds on the wire."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def wire_timestamp(moment: datetime | None = None) -> str:
    return str(int((moment or utcnow()).timestamp()))
