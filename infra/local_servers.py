"""Launch real Redis, MongoDB and S3 (SeaweedFS) on 127.0.0.1 without Docker.

See /work/shared/spec/local-infra.md for the recipes this follows and README.md
here for usage. Everything lives under one absolute run directory: a data dir,
a pidfile and a log per server, plus ports.json recording the ports in use.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Self

from pymongo.errors import PyMongoError

from infra import _process
from infra._server import ManagedServer
from infra.credentials import Credentials, write_private
from infra.errors import InfraError
from infra.mongo_server import MongoServer, replica_set
from infra.redis_server import RedisServer
from infra.s3_server import COMPONENTS, GRPC_OFFSET, S3Server

DEFAULT_ACCESS_KEY = "dev-access"
DEFAULT_SECRET_KEY = "dev-secret-key"
STATE_FILE = "ports.json"
# Free ports are picked in [PORT_FLOOR, ceiling): above the usual service ports
# (9090, 9400, ...) and, when possible, below the kernel's ephemeral range, so an
# outgoing connection cannot grab one of them between a stop and a restart.
PORT_FLOOR = 20000
PORT_LIMIT = 65536 - GRPC_OFFSET  # an S3 HTTP port + 10000 must still be a valid port


@dataclass(frozen=True)
class Ports:
    redis: int
    mongo: int  # the first member's; member i listens on mongo + i
    s3: int  # first of len(COMPONENTS) consecutive HTTP ports, each with a +10000 gRPC twin
    mongo_members: int = 1  # the replica set's size

    @classmethod
    def default(cls, mongo_members: int = 1) -> Ports:
        """The fixed ports used by `make run` (and docs/design.md defaults)."""
        return cls(redis=16379, mongo=27117, s3=19000, mongo_members=mongo_members)

    @classmethod
    def free(cls, mongo_members: int = 1) -> Ports:
        """Ports that are free right now (a later start can still race another process)."""
        taken: set[int] = set()
        ceiling = _port_ceiling()
        s3 = _pick_block(len(COMPONENTS), ceiling - GRPC_OFFSET, with_twins=True, taken=taken)
        redis = _pick_block(1, ceiling, with_twins=False, taken=taken)
        mongo = _pick_block(mongo_members, ceiling, with_twins=False, taken=taken)
        return cls(redis=redis, mongo=mongo, s3=s3, mongo_members=mongo_members)

    def s3_ports(self) -> list[int]:
        http = [self.s3 + i for i in range(len(COMPONENTS))]
        return http + [port + GRPC_OFFSET for port in http]


def _port_ceiling() -> int:
    """Start of the ephemeral port range, if it leaves room for S3 below it."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = PORT_LIMIT
    return low if PORT_FLOOR + GRPC_OFFSET + 1000 <= low <= PORT_LIMIT else PORT_LIMIT


def _pick_block(width: int, ceiling: int, with_twins: bool, taken: set[int]) -> int:
    """First port of `width` consecutive free ports below `ceiling` (plus +10000 twins)."""
    rng = random.SystemRandom()
    for _ in range(1000):
        base = rng.randrange(PORT_FLOOR, ceiling - width)
        block = [base + i for i in range(width)]
        if with_twins:
            block += [port + GRPC_OFFSET for port in block]
        if taken.isdisjoint(block) and all(_process.port_is_free(p) for p in block):
            taken.update(block)
            return base
    raise InfraError(f"no block of {width} free ports found between {PORT_FLOOR} and {ceiling}")


def recorded_ports(run_dir: Path) -> Ports | None:
    """Ports written by the last start() in run_dir, if any."""
    try:
        return Ports(**json.loads((Path(run_dir) / STATE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


class LocalServers:
    def __init__(
        self,
        run_dir: Path,
        ports: Ports,
        persistent: bool,
        access_key: str = DEFAULT_ACCESS_KEY,
        secret_key: str = DEFAULT_SECRET_KEY,
        timeout: float = 60.0,
    ) -> None:
        # mongod --fork rejects relative paths, and ownership checks compare paths.
        self.run_dir = Path(run_dir).resolve()
        self.ports = ports
        self.persistent = persistent
        self.timeout = timeout
        # Generated at the first start, reused by every later one (infra/credentials.py).
        self.credentials = Credentials.load_or_create(self.run_dir)
        self.redis = RedisServer(self.run_dir, ports.redis, persistent, password=self.credentials.redis_password)
        self.mongo_members = replica_set(self.run_dir, ports.mongo, ports.mongo_members, self.credentials)
        self.mongo = self.mongo_members[0]  # the set's initiator; its url() names every member
        self.s3 = S3Server(self.run_dir, ports.s3, access_key, secret_key)

    @property
    def servers(self) -> tuple[ManagedServer, ...]:
        # weed first: it is the slowest to become ready, so it starts earliest. Mongo's
        # member 0 is waited for first: it initiates the set the others then join.
        return (self.s3, self.redis, *self.mongo_members)

    def mongo_primary(self) -> MongoServer | None:
        """The member that is primary right now, if any (asked of each running member)."""
        for member in self.mongo_members:
            if member.pid() is None:
                continue
            try:
                if member.is_primary():
                    return member
            except PyMongoError:
                continue  # not answering: not the primary we look for
        return None

    def pids(self) -> dict[str, int | None]:
        return {server.name: server.pid() for server in self.servers}

    def start(self) -> None:
        """Start all three (reusing any of ours already running) and wait until ready."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._refuse_port_mismatch()
        try:
            for server in self.servers:
                server.launch()
            for server in self.servers:
                server.wait_ready(self.timeout)
        except BaseException:
            self._stop_launched_here()
            raise
        (self.run_dir / STATE_FILE).write_text(json.dumps(asdict(self.ports)) + "\n")

    def _refuse_port_mismatch(self) -> None:
        recorded = recorded_ports(self.run_dir)
        running = any(server.pid() is not None for server in self.servers)
        if running and recorded is not None and recorded != self.ports:
            raise InfraError(
                f"servers in {self.run_dir} already run on {recorded}; stop them first or start with those ports"
            )

    def _stop_launched_here(self) -> None:
        self._stop([server for server in self.servers if server.launched_here])

    def stop(self) -> None:
        """Stop our servers (by pidfile only) and wait until their processes are gone."""
        self._stop(list(self.servers))
        (self.run_dir / STATE_FILE).unlink(missing_ok=True)

    def _stop(self, servers: list[ManagedServer]) -> None:
        # Signal all first, then wait: the shutdowns overlap instead of adding up.
        pending = [(server, server.request_stop()) for server in servers]
        for server, pid in pending:
            server.wait_stopped(pid, timeout=30)
            server.launched_here = False

    def env(self) -> dict[str, str]:
        """The servers' URLs, with their credentials: hand them to processes, never to a log."""
        return {
            "WA_MONGO_URL": self.mongo.url(),
            "WA_REDIS_URL": self.redis.url(),
            "WA_S3_ENDPOINT": self.s3.endpoint(),
            "WA_S3_ACCESS_KEY": self.s3.access_key,
            "WA_S3_SECRET_KEY": self.s3.secret_key,
            "WA_S3_SECURE": "0",
        }

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# ---------------------------------------------------------------- command line


def resolve_ports(run_dir: Path, choice: str | None, mongo_members: int = 1) -> Ports:
    """Ports of servers already running in run_dir win; else the requested kind."""
    recorded = recorded_ports(run_dir)
    if recorded is not None and _any_running(run_dir, recorded):
        return recorded
    if choice == "free":
        return Ports.free(mongo_members)
    if choice is None and recorded is not None and recorded.mongo_members == mongo_members:
        return recorded
    return Ports.default(mongo_members)


def _any_running(run_dir: Path, ports: Ports) -> bool:
    servers = LocalServers(run_dir, ports, persistent=True)
    return any(pid is not None for pid in servers.pids().values())


def export_lines(env: dict[str, str]) -> str:
    return "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())


def write_env_file(path: Path, env: dict[str, str]) -> None:
    # KEY=VALUE lines: the format honcho's and docker's env files read.
    # Owner-only before it holds the URLs' passwords and the S3 secret.
    write_private(path, "".join(f"{key}={value}\n" for key, value in env.items()))


@contextmanager
def _signals(handler: signal.Handlers | object, *signums: int) -> Iterator[None]:
    previous = {signum: signal.signal(signum, handler) for signum in signums}  # type: ignore[arg-type]
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _exit_on_signal(signum: int, _frame: object) -> None:
    # SystemExit unwinds through start()'s clean-up, unlike the default SIGTERM action.
    raise SystemExit(128 + signum)


def run_command(servers: LocalServers, command: Sequence[str]) -> int:
    """Run command with the servers' env; servers stop afterwards whatever happens."""
    with _signals(_exit_on_signal, signal.SIGTERM, signal.SIGHUP):
        servers.start()
    try:
        child = subprocess.Popen(list(command), env={**os.environ, **servers.env()})
        return _wait_child(child)
    finally:
        # A second Ctrl-C must not abandon half-stopped servers.
        with _signals(signal.SIG_IGN, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            servers.stop()


def _wait_child(child: subprocess.Popen[bytes]) -> int:
    requested: list[float] = []

    def forward(signum: int, _frame: object) -> None:
        requested.append(time.monotonic())
        _process.send_signal(child.pid, signum)

    # The terminal already delivers Ctrl-C to the child (same process group), so
    # SIGINT is only absorbed here; SIGTERM/SIGHUP come to us alone and are forwarded.
    with _signals(forward, signal.SIGTERM, signal.SIGHUP), _signals(signal.SIG_IGN, signal.SIGINT):
        while True:
            try:
                code = child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if requested and time.monotonic() - requested[0] > 20:
                    child.kill()
    return 128 - code if code < 0 else code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infra.local_servers", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    for action in ("start", "stop", "env", "run"):
        cmd = sub.add_parser(action)
        cmd.add_argument("--dir", required=True, type=Path, help="run directory (data, pidfiles, logs)")
        cmd.add_argument(
            "--ports",
            choices=("default", "free"),
            default=None,
            help="default: 16379/27117/19000; free: ask the OS (default: ports "
            "recorded in --dir by a previous start, else default)",
        )
        if action in ("start", "run"):
            cmd.add_argument("--ephemeral", action="store_true", help="Redis without persistence (as in tests)")
            cmd.add_argument("--mongo-members", type=int, default=1,
                             help="members of the MongoDB replica set, on consecutive ports (default 1)")
        if action == "start":
            cmd.add_argument("--env-file", type=Path, help="write KEY=VALUE lines here instead of stdout")
        if action == "run":
            cmd.add_argument("command", nargs=argparse.REMAINDER, help="-- command to run")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run_dir = args.dir.resolve()
    ports = resolve_ports(run_dir, args.ports, getattr(args, "mongo_members", 1))
    servers = LocalServers(run_dir, ports, persistent=not getattr(args, "ephemeral", False))
    try:
        return _dispatch(args, servers)
    except InfraError as exc:
        print(f"local_servers: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, servers: LocalServers) -> int:
    if args.action == "start":
        with _signals(_exit_on_signal, signal.SIGTERM, signal.SIGHUP):
            servers.start()
        if args.env_file:
            write_env_file(args.env_file, servers.env())
        else:
            sys.stdout.write(export_lines(servers.env()))
        return 0
    if args.action == "stop":
        servers.stop()
        return 0
    if args.action == "env":
        sys.stdout.write(export_lines(servers.env()))
        return 0
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print("local_servers run: give a command after --", file=sys.stderr)
        return 2
    return run_command(servers, command)


if __name__ == "__main__":
    sys.exit(main())
