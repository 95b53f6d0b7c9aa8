"""A scripted local webhook and a way to run the real dispatcher worker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from services.common.egress_rules import parse_allow
from services.webhook_dispatcher import delivery
from tests.common.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]


@dataclass
class Hit:
    at: float
    body: bytes
    headers: dict[str, str]


@dataclass
class Webhook:
    """Answers with `script` in order, then with `then` for ever."""

    script: list[int] = field(default_factory=list)
    then: int = 200
    hits: list[Hit] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, body: bytes, headers: dict[str, str]) -> int:
        with self.lock:
            self.hits.append(Hit(time.monotonic(), body, headers))
            return self.script.pop(0) if self.script else self.then

    def wait_for_hits(self, count: int, timeout: float, message: str | Callable[[], str] = "") -> None:
        wait_for(lambda: len(self.hits) >= count, timeout=timeout, interval=0.02,
                 message=message or f"{count} webhook hits")


def _handler(webhook: Webhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = webhook.answer(body, dict(self.headers))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:  # noqa: ANN002 (silence per-request stderr lines)
            pass

    return Handler


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hook))
    server.daemon_threads = True
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/callbacks"
    # shutdown() waits for serve_forever's next poll: half a second at its default interval.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


class Dispatcher:
    """The real worker in a subprocess, stopped by pid."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout: float = 20.0) -> None:
        """Start the worker and wait until it consumes; a running worker is left as it is
        (a module may share one: starting and stopping one costs seconds)."""
        if self.running():
            return
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "services.webhook_dispatcher"],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(offset, timeout)

    def _wait_ready(self, offset: int, timeout: float) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"dispatcher exited early:\n{self.log_tail()}")
            return " ready." in self.log_path.read_text(errors="replace")[offset:]

        wait_for(ready, timeout=timeout, message=lambda: f"dispatcher not ready:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, its reserved kicks are lost with it."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log_mark(self) -> int:
        """Where the log ends now, for ``log_since``."""
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, mark: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(mark)
            return log.read().decode(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="module")
def dispatcher_env(servers_env: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        **servers_env,
        "WA_ALLOW_HTTP_WEBHOOKS": "1",
        # The webhooks of these tests are on loopback, each test's on a port of its own
        # chosen after a module's worker started: all of 127.0.0.1 is allowed here (the
        # egress policy itself is tested in tests/integration/common/test_egress_http.py,
        # test_delivery_http.py and the end-to-end tests, where only exact ports are).
        "WA_EGRESS_ALLOW": "127.0.0.1/32",
        "WA_WEBHOOK_TIMEOUT_SECONDS": "2",
        # Fast sweeps so the kill/restart test does not wait out production timings.
        "WA_DISPATCHER_SWEEP_SECONDS": "1",
        "WA_DISPATCHER_SWEEP_GRACE_SECONDS": "1",
        "WA_DISPATCHER_CONCURRENCY": "4",
    }


@pytest.fixture
def dispatcher(dispatcher_env: dict[str, str], tmp_path: Path) -> Iterator[Dispatcher]:
    """A worker of the test's own, not started."""
    yield from stopped_after(Dispatcher(dispatcher_env, tmp_path / "dispatcher.log"))


def stopped_after(worker: Dispatcher) -> Iterator[Dispatcher]:
    try:
        yield worker
    finally:
        worker.stop()


@pytest.fixture
def producer(config):
    """The Celery app a producer (gateway, core) would use to send kicks."""
    from services.common.celery_app import make_celery

    app = make_celery(config, "dispatcher-test-producer")
    try:
        yield app
    finally:
        app.close()


@pytest.fixture
def loopback_allowed():
    """The process-wide delivery session allows 127.0.0.1 (the webhooks of these tests),
    as the worker's WA_EGRESS_ALLOW would; nothing else on loopback."""
    delivery.configure(parse_allow("127.0.0.1/32"))
    yield
    delivery.configure(parse_allow(""))
