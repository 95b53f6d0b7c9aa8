"""A scripted local webhook and a way to run the real dispatcher worker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

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

    def wait_for_hits(self, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.hits) >= count:
                return True
            time.sleep(0.02)
        return len(self.hits) >= count


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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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

    def start(self, timeout: float = 20.0) -> None:
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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"dispatcher exited early:\n{self.log_tail()}")
            if " ready." in self.log_path.read_text(errors="replace")[offset:]:
                return
            time.sleep(0.05)
        raise AssertionError(f"dispatcher not ready in {timeout}s:\n{self.log_tail()}")

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

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def dispatcher_env(servers_env: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        **servers_env,
        "WA_ALLOW_HTTP_WEBHOOKS": "1",
        "WA_WEBHOOK_TIMEOUT_SECONDS": "2",
        # Fast sweeps so the kill/restart test does not wait out production timings.
        "WA_DISPATCHER_SWEEP_SECONDS": "1",
        "WA_DISPATCHER_SWEEP_GRACE_SECONDS": "1",
        "WA_DISPATCHER_CONCURRENCY": "4",
    }


@pytest.fixture
def dispatcher(dispatcher_env: dict[str, str], tmp_path: Path) -> Iterator[Dispatcher]:
    worker = Dispatcher(dispatcher_env, tmp_path / "dispatcher.log")
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
