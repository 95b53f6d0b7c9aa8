"""``POST /v1/settings/backup`` and ``POST /v1/settings/restore`` (spec §10.1): bodies
and answers. A password is never echoed in an error's details."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.api_gateway.schemas.common import first_error, require_object
from services.backup.blob_rules import MAX_BLOB_CHARS
from services.common.errors import ApiError

M = TypeVar("M", bound=BaseModel)

MAX_PASSWORD_CHARS = 1024


class BackupBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS,
                          description="Encrypts the backup; needed again to restore it.")


class RestoreBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    password: str = Field(min_length=1, max_length=MAX_PASSWORD_CHARS,
                          description="The password the backup was made with.")
    data: str = Field(min_length=1, max_length=MAX_BLOB_CHARS,
                      description="The `data` that `POST /v1/settings/backup` answered.")


class BackupData(BaseModel):
    data: str = Field(description="The encrypted backup (base64): argon2id and AES-256-GCM under the password.")


class BackupAnswer(BaseModel):
    settings: BackupData


def parse_secret(model: type[M], body: Any) -> M:
    """``model`` from ``body``: 1008 for a missing field, 1009 for a bad one, whose value
    (a password, a blob) is not repeated in the details."""
    try:
        return model.model_validate(require_object(body))
    except ValidationError as error:
        found = first_error(error)
        if found.code != 1009:
            raise found from None
        field = ".".join(str(part) for part in error.errors()[0]["loc"])
        raise ApiError(1009, f"Parameter '{field}' has an invalid value: a non-empty string is expected") from None
