"""The sandbox as a real process on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.common.waiting import wait_for

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxProcess:
    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> SandboxProcess:
        cmd = [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(self.port), *self.extra]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        wait_for(self._healthy, timeout=20, interval=0.1, message="the sandbox did not start")
        return self

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError("the sandbox exited at start")
        try:
            return requests.get(self.url + "/healthz", timeout=1).ok
        except requests.ConnectionError:
            return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxProcess]:
    proc = SandboxProcess("--ping-interval", "0.5").start()
    try:
        yield proc
    finally:
        proc.stop()


_numbers = iter(range(5550000, 5559999))


@pytest.fixture
def number() -> str:
    """A fresh 7-digit subscriber number per use."""
    return str(next(_numbers))
