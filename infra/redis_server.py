"""Redis from the Debian `redis-server` package (built with TLS: it links libssl)."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import redis

from infra._server import HOST, ManagedServer
from infra.credentials import write_private
from infra.errors import MissingDependencyError
from infra.tls import ServerTls


def with_db(url: str, db: int) -> str:
    """``url`` naming Redis database ``db``; credentials and query (``rediss://`` TLS
    options name file paths, slashes included) kept as they are."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{db}"))


class RedisServer(ManagedServer):
    name = "redis"
    program = "redis-server"
    data_subdir = "redis"

    def __init__(self, run_dir: Path, port: int, persistent: bool, password: str | None = None,
                 tls: ServerTls | None = None) -> None:
        super().__init__(run_dir)
        self.port = port
        self.persistent = persistent
        self.password = password
        self.tls = tls

    def ports(self) -> list[int]:
        return [self.port]

    @property
    def config_file(self) -> Path:
        return self.run_dir / f"{self.name}.conf"

    def url(self, db: int = 0) -> str:
        """What clients connect with: the password in it, ``rediss://`` with TLS."""
        auth = f":{quote(self.password, safe='')}@" if self.password else ""
        if self.tls is None:
            return f"redis://{auth}{HOST}:{self.port}/{db}"
        query = urlencode({"ssl_cert_reqs": "required", "ssl_ca_certs": str(self.tls.ca_file)})
        return f"rediss://{auth}{HOST}:{self.port}/{db}?{query}"

    def check_available(self) -> None:
        if shutil.which("redis-server") is None:
            raise MissingDependencyError(
                "redis-server is not installed: run `apt-get install -y redis-server` "
                "(or `python -m infra.ensure_packages`)"
            )

    def command(self) -> list[str]:
        durability = ["--appendonly", "yes"] if self.persistent else ["--save", "", "--appendonly", "no"]
        return [
            "redis-server",
            # The password sits in an owner-only file, not in argv (which `ps` shows everybody).
            str(self.config_file),
            *self._listen_options(),
            "--bind",
            HOST,
            "--dir",
            str(self.data_dir),
            "--pidfile",
            str(self.pidfile),
            "--logfile",
            str(self.logfile),
            "--daemonize",
            "no",
            # Keep argv intact: ownership checks look for the run dir in /proc/<pid>/cmdline.
            "--set-proc-title",
            "no",
            *durability,
        ]

    def _listen_options(self) -> list[str]:
        if self.tls is None:
            return ["--port", str(self.port)]
        # TLS only: the plain port is closed. Clients need no certificate of their own.
        return ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", str(self.tls.cert_file),
                "--tls-key-file", str(self.tls.key_file), "--tls-ca-cert-file", str(self.tls.ca_file),
                "--tls-auth-clients", "no"]

    def _launch(self) -> None:
        write_private(self.config_file, f"requirepass {self.password}\n" if self.password else "")
        self._spawn(self.command())

    def _probe(self) -> bool:
        client = redis.Redis.from_url(self.url(), socket_timeout=1, socket_connect_timeout=1)
        try:
            # Comparing pids proves we reached our server, not a stranger on the port.
            return int(client.info("server")["process_id"]) == self.pid()
        finally:
            client.close()
