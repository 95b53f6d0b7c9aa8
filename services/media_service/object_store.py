"""The media object store, through the ``minio`` client.

SeaweedFS in development and MinIO in production speak the same S3 subset
(../shared/spec/local-infra.md §8.4), so only the endpoint and credentials change.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from minio import Minio
from minio.error import S3Error

from services.common.config import Config


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    content_type: str


class ObjectStore:
    def __init__(self, client: Minio, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    @classmethod
    def from_config(cls, config: Config) -> ObjectStore:
        client = Minio(
            config.s3_endpoint, config.s3_access_key, config.s3_secret_key, secure=config.s3_secure
        )
        return cls(client, config.s3_bucket)

    def ensure_bucket(self) -> None:
        if self._client.bucket_exists(self.bucket):
            return
        try:
            self._client.make_bucket(self.bucket)
        except S3Error as error:
            # Another process created it between the check and the call.
            if error.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self._client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=content_type)

    def get(self, key: str) -> StoredObject | None:
        try:
            response = self._client.get_object(self.bucket, key)
        except S3Error as error:
            if error.code == "NoSuchKey":
                return None
            raise
        try:
            return StoredObject(response.read(), response.headers.get("Content-Type", ""))
        finally:
            response.close()
            response.release_conn()

    def delete(self, key: str) -> None:
        self._client.remove_object(self.bucket, key)
