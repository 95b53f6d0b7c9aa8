"""Common lifecycle of one locally launched server: launch, readiness, stop."""

from __future__ import annotations

import functools
import os
import signal
import subprocess
from abc import ABC, abstractmethod
from pathlib import Path

from infra import _process
from infra.errors import InfraError, PortBusyError, ServerStartError

HOST = "127.0.0.1"


PORT_RELEASE_SECONDS = 5.0


class ManagedServer(ABC):
    name: str  # file stem for <name>.pid / <name>.log
    program: str  # basename of argv[0], used to recognise our process
    data_subdir: str

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._child: subprocess.Popen[bytes] | None = None
        self.launched_here = False

    @property
    def pidfile(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    @property
    def data_dir(self) -> Path:
        return self.run_dir / self.data_subdir

    @property
    def marker(self) -> str:
        # Trailing separator so /x/var never matches a server of /x/var2.
        return str(self.run_dir) + os.sep

    def pid(self) -> int | None:
        return _process.owned_pid(self.pidfile, self.program, self.marker)

    @abstractmethod
    def ports(self) -> list[int]: ...

    @abstractmethod
    def check_available(self) -> None:
        """Raise MissingDependencyError with an actionable message."""

    @abstractmethod
    def _launch(self) -> None: ...

    @abstractmethod
    def _probe(self) -> bool:
        """One real client round trip; True when the server serves requests."""

    def leftovers(self) -> list[Path]:
        """Files the server leaves behind after exiting, to delete once it is gone."""
        return []

    def launch(self) -> None:
        """Start the process unless our own instance is already running."""
        if self.pid() is not None:
            return
        self.check_available()
        self._check_ports_free()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._launch()
        self.launched_here = True

    def _check_ports_free(self) -> None:
        for port in self.ports():
            # Right after a stop the kernel may still hold the port for a moment
            # (sockets of the exiting server being torn down): give it a few seconds.
            if not _process.poll(functools.partial(_process.port_is_free, port), PORT_RELEASE_SECONDS):
                raise PortBusyError(
                    f"{self.name}: port {port} on {HOST} is already in use by another "
                    f"process; stop it or choose other ports (--ports free)"
                    f"{_process.describe_port(port)}"
                )

    def _spawn(self, cmd: list[str], env: dict[str, str] | None = None) -> None:
        # A new session keeps a terminal's Ctrl-C away from the server, so the
        # launcher decides when and how it stops.
        with self.logfile.open("ab") as log:
            self._child = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                env=env,
                start_new_session=True,
            )
        _process.write_pid(self.pidfile, self._child.pid)

    def _exited(self) -> bool:
        if self._child is not None:
            return self._child.poll() is not None
        return self.pid() is None

    def wait_ready(self, timeout: float) -> None:
        last_error: list[BaseException] = []

        def probe() -> bool:
            if self._exited():
                raise self._start_error("exited during start-up", last_error)
            try:
                return self._probe()
            except Exception as exc:  # noqa: BLE001 - any failure means "not yet"
                last_error[:] = [exc]
                return False

        if not _process.poll(probe, timeout):
            raise self._start_error(f"not ready after {timeout:g} s", last_error)

    def _start_error(self, what: str, last_error: list[BaseException]) -> ServerStartError:
        detail = f"; last error: {last_error[0]!r}" if last_error else ""
        return ServerStartError(
            f"{self.name} (port {self.ports()[0]}) {what}{detail}\n"
            f"--- tail of {self.logfile} ---\n{_process.log_tail(self.logfile)}"
        )

    def request_stop(self) -> int | None:
        """Send SIGTERM to our process, if it is running; returns its pid."""
        pid = self.pid()
        if pid is not None:
            _process.send_signal(pid, signal.SIGTERM)
        return pid

    def wait_stopped(self, pid: int | None, timeout: float) -> None:
        if pid is not None and not _process.wait_gone(pid, timeout):
            # Re-check ownership: the pid could have been recycled meanwhile.
            if _process.is_ours(pid, self.program, self.marker):
                _process.send_signal(pid, signal.SIGKILL)
            _process.wait_gone(pid, 5)
        self._child = None
        self.pidfile.unlink(missing_ok=True)
        for path in self.leftovers():
            path.unlink(missing_ok=True)

    def stop(self, timeout: float = 15) -> None:
        self.wait_stopped(self.request_stop(), timeout)

    # ------------------------------------------------------------ fault injection

    def kill(self, sig: int = signal.SIGKILL, timeout: float = 15) -> int:
        """Signal our running process (by its pidfile, never by name) and wait until it is
        gone; returns its pid. The data directory stays as it is."""
        pid = self.pid()
        if pid is None:
            raise InfraError(f"{self.name} is not running in {self.run_dir}")
        _process.send_signal(pid, sig)
        self.wait_stopped(pid, timeout)
        return pid

    def restart(self, sig: int = signal.SIGKILL, timeout: float = 60.0) -> int:
        """Kill our process with ``sig`` and start it again on the same ports and data
        directory (what survives is what the server itself made durable: nothing for an
        ephemeral Redis, the journal for MongoDB); returns the new pid once it serves."""
        self.kill(sig)
        self.launch()
        self.wait_ready(timeout)
        pid = self.pid()
        assert pid is not None  # wait_ready proved it runs
        return pid
