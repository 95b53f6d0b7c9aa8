"""HTTP sessions that obey the egress policy (services/common/egress_rules.py) and hold
their deadlines at the socket.

:func:`egress_session` gives a ``requests.Session`` whose connections (urllib3's,
subclassed) resolve the host once (``getaddrinfo``), judge every address it gave, and
connect only to an address that passed: the socket is opened to that very address, so a
second resolution (DNS rebinding) cannot change where it goes. TLS still uses the host
name, for SNI and the certificate check. A redirect is a new request, judged the same
way. A refused connection raises :class:`EgressRefused` (a ``requests.ConnectionError``)
before any socket is opened. ``trust_env`` is off: a proxy from the environment would
connect on our behalf, unchecked, and ``.netrc`` credentials would go to any host.

Deadlines: within :func:`transfer` (or, for a session made with ``total_timeout=True``,
within each request, its ``timeout`` being the total), every socket read and send waits
at most what remains of the deadline (and the read timeout), and the connect too; a
transfer slower than ``min_rate`` bytes per second over a ``window`` (counted from its
first byte) is cut. A cut raises a socket timeout, which requests reports as a
``Timeout`` or a ``ConnectionError``; :attr:`Budget.cut` says which limit it was.
"""

from __future__ import annotations

import contextlib
import io
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from services.common import egress_rules
from services.common.egress_rules import EgressAllow

Resolver = Callable[..., list[tuple[Any, ...]]]


class EgressRefused(requests.ConnectionError):
    """The policy refused every address of the host: nothing was connected. ``reason``:
    "localhost resolves to 127.0.0.1, a loopback address"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Refusal(Exception):  # noqa: N818 (internal: travels through urllib3 unwrapped, not an OSError)
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransferCut(TimeoutError):
    """A deadline or the minimum rate cut the transfer (a socket timeout, so urllib3 and
    requests report it as they report a read timeout)."""


@dataclass
class Budget:
    """The limits of one transfer (a download with its redirects, one webhook POST)."""

    deadline: float | None = None
    """``time.monotonic()`` by which it must be over; None: no total."""
    min_rate: float = 0.0
    """Bytes per second, averaged over ``window`` seconds from the first byte; 0: none."""
    window: float = 30.0
    cut: str | None = None
    """Why it was cut ("deadline", "too slow"), once it was."""
    total: float | None = None
    """The deadline's length in seconds, as it was set (for messages)."""
    received: int = 0
    _window_start: float | None = None
    _window_bytes: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def lasting(cls, seconds: float, *, min_rate: float = 0.0, window: float = 30.0) -> Budget:
        return cls(deadline=time.monotonic() + seconds, min_rate=min_rate, window=window, total=seconds)

    def remaining(self) -> float:
        return math.inf if self.deadline is None else self.deadline - time.monotonic()

    def wait_limit(self, timeout: float | None) -> tuple[float | None, str | None]:
        """How long the next socket operation may wait, and which limit that is (None:
        the socket's own timeout). Raises ``TransferCut`` when a limit has passed."""
        now = time.monotonic()
        limit, which = (math.inf if timeout is None else timeout), None
        if self.deadline is not None:
            left = self.deadline - now
            if left <= 0:
                raise self._cut("deadline")
            if left < limit:
                limit, which = left, "deadline"
        if self.min_rate > 0 and self._window_start is not None:
            window_end = self._window_start + self.window
            if self._window_bytes < self.min_rate * self.window:
                if window_end <= now:
                    raise self._cut("too slow")
                if window_end - now < limit:
                    limit, which = window_end - now, "too slow"
        return (None if limit == math.inf else max(limit, 0.001)), which

    def count(self, received: int) -> None:
        with self._lock:
            now = time.monotonic()
            self.received += received
            if self._window_start is None:
                if received:
                    self._window_start, self._window_bytes = now, received
                return
            if now - self._window_start >= self.window:
                if self._window_bytes < self.min_rate * self.window:
                    raise self._cut("too slow")
                self._window_start, self._window_bytes = now, received
            else:
                self._window_bytes += received

    def _cut(self, why: str) -> TransferCut:
        self.cut = why
        return TransferCut(f"transfer cut: {why}")


_current = threading.local()


def current_budget() -> Budget | None:
    return getattr(_current, "budget", None)


@contextlib.contextmanager
def transfer(budget: Budget | None) -> Iterator[Budget | None]:
    """Requests made (and connections opened) on this thread within the block obey
    ``budget``; the bodies of their answers too, wherever they are read."""
    previous = current_budget()
    _current.budget = budget
    try:
        yield budget
    finally:
        _current.budget = previous


class BudgetedSocket:
    """A connected socket (plain or TLS) whose reads and sends obey the budget of the
    request its connection carries: each waits at most the smaller of the socket's
    timeout and what the budget has left."""

    def __init__(self, sock: socket.socket, connection: _Checked) -> None:
        self._sock = sock
        self._connection = connection
        self._timeout = sock.gettimeout()

    def settimeout(self, timeout: float | None) -> None:
        self._timeout = timeout
        self._sock.settimeout(timeout)

    def gettimeout(self) -> float | None:
        return self._timeout

    def _limited(self, operation: Callable[[], Any]) -> Any:
        budget = self._connection.budget
        if budget is None:
            return operation()
        limit, which = budget.wait_limit(self._timeout)
        self._sock.settimeout(limit)
        try:
            return operation()
        except TimeoutError:
            if which is not None:
                raise budget._cut(which) from None
            raise

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        received = self._limited(lambda: self._sock.recv_into(buffer, nbytes, flags))
        if self._connection.budget is not None:
            self._connection.budget.count(received)
        return received

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data = self._limited(lambda: self._sock.recv(bufsize, flags))
        if self._connection.budget is not None:
            self._connection.budget.count(len(data))
        return data

    def sendall(self, data: Any, flags: int = 0) -> None:
        self._limited(lambda: self._sock.sendall(data, flags))

    def send(self, data: Any, flags: int = 0) -> int:
        return self._limited(lambda: self._sock.send(data, flags))

    def makefile(self, mode: str = "r", buffering: int | None = None, **_: Any) -> io.BufferedReader:
        # As socket.makefile("rb"), over this object so that every read passes through it.
        if mode not in ("r", "rb"):
            raise ValueError(f"unsupported mode {mode!r}")
        raw = socket.SocketIO(self, "rb")  # type: ignore[arg-type]
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        return io.BufferedReader(raw, buffering if buffering and buffering > 0 else io.DEFAULT_BUFFER_SIZE)

    def _decref_socketios(self) -> None:
        self._sock._decref_socketios()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _Checked:
    """Mixed into urllib3's connections: resolve once, judge, connect to what was judged."""

    allow: EgressAllow = EgressAllow()
    resolver: Resolver = staticmethod(socket.getaddrinfo)
    budget: Budget | None = None
    connected_to: tuple[str, int] | None = None
    """The address the socket was opened to (for tests and logs)."""

    # Attributes urllib3's connection classes have (declared for the type checker).
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    sock: Any

    def request(self, *args: Any, **kwargs: Any) -> Any:
        # The budget of the request being made, kept for the reads of its answer, which
        # may happen after the ``transfer`` block (a streamed body) or on the same thread.
        self.budget = current_budget()
        return super().request(*args, **kwargs)  # type: ignore[misc]

    def _new_conn(self) -> socket.socket:
        host = self.host
        # The budget of the request being sent: a pooled connection the server closed is
        # reopened here before ``request`` runs, and must not carry the last one's.
        budget = self.budget = current_budget()
        timeout = self.timeout if isinstance(self.timeout, int | float) else None
        if budget is not None:
            budget.wait_limit(timeout)  # nothing is resolved once the deadline has passed
        try:
            infos = self.resolver(host.strip("[]").rstrip("."), self.port, 0, socket.SOCK_STREAM)
        except socket.gaierror as error:
            raise NameResolutionError(host, self, error) from error  # type: ignore[arg-type]
        allowed, refusals = [], []
        for family, kind, proto, _, sockaddr in infos:
            address = egress_rules.literal_address(sockaddr[0])
            if address is None:
                continue
            refused = egress_rules.refused_as(address, self.port, self.allow, host)
            if refused is None:
                allowed.append((family, kind, proto, sockaddr))
            else:
                refusals.append(refused)
        if not allowed:
            # Only the addresses that passed are ever connected to; none did.
            name = egress_rules.normal_host(host)
            if not refusals:
                raise _Refusal(f"{name} has no address")
            literal = egress_rules.literal_address(name)
            if literal is not None:
                raise _Refusal(egress_rules.refusal(literal, self.port, self.allow) or refusals[0])
            raise _Refusal(f"{name} resolves to {refusals[0]}")
        return self._connect(allowed, timeout, budget)

    def _connect(self, candidates: list[tuple[Any, ...]], socket_timeout: float | None,
                 budget: Budget | None) -> socket.socket:
        # Each address waits at most what the budget has left after the resolution and
        # the addresses before it: N addresses that fail slowly cannot outlast it.
        last: OSError | None = None
        for family, kind, proto, sockaddr in candidates:
            timeout, which = budget.wait_limit(socket_timeout) if budget is not None else (socket_timeout, None)
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                sock.settimeout(timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(sockaddr)
            except TimeoutError as error:
                sock.close()
                if budget is not None and which is not None:
                    budget.cut = which
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from error  # type: ignore[arg-type]
            except OSError as error:
                sock.close()
                last = error
                continue
            self.connected_to = (sockaddr[0], sockaddr[1])
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")  # type: ignore[arg-type]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        if self.sock is not None and not isinstance(self.sock, BudgetedSocket):
            self.sock = BudgetedSocket(self.sock, self)


class CheckedHTTPConnection(_Checked, HTTPConnection):
    pass


class CheckedHTTPSConnection(_Checked, HTTPSConnection):
    pass


class EgressAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose pools make checked connections. ``total_timeout``: a
    request's ``timeout`` (a number) is the total of the whole exchange, headers and body,
    not a per-read one."""

    def __init__(self, allow: EgressAllow, *, total_timeout: bool = False, resolver: Resolver | None = None,
                 **kwargs: Any) -> None:
        attributes: dict[str, Any] = {"allow": allow}
        if resolver is not None:
            attributes["resolver"] = staticmethod(resolver)
        http_connection = type("PolicyHTTPConnection", (CheckedHTTPConnection,), attributes)
        https_connection = type("PolicyHTTPSConnection", (CheckedHTTPSConnection,), attributes)
        self._pool_classes = {
            "http": type("PolicyHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_connection}),
            "https": type("PolicyHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_connection}),
        }
        self.total_timeout = total_timeout
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        raise EgressRefused("a proxy would connect unchecked")

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        if proxies:
            raise EgressRefused("a proxy would connect unchecked")
        budget = current_budget()
        if self.total_timeout and isinstance(timeout, int | float):
            budget = Budget.lasting(float(timeout))
        try:
            with transfer(budget):
                return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert)
        except _Refusal as refusal:
            raise EgressRefused(refusal.reason) from None


class _NoCookies(DefaultCookiePolicy):
    # A shared session must not let one request carry state a server set on another.
    def set_ok(self, cookie, request) -> bool:  # noqa: ANN001 (stdlib signature)
        return False


def egress_session(allow: EgressAllow, *, total_timeout: bool = False, pool_maxsize: int = 10,
                   pool_connections: int = 4, resolver: Resolver | None = None,
                   ca_bundle: str | None = None) -> requests.Session:
    """A session every connection of which obeys the policy with ``allow``'s exceptions.
    No cookies kept; no proxy and no ``.netrc`` from the environment (``trust_env`` off:
    a proxy would connect on our behalf, unchecked, and ``.netrc`` credentials would go to
    any host); only http and https. ``ca_bundle``: the CA file to verify servers with
    (``Config.tls_ca_bundle``, what ``trust_env`` would have read from
    ``REQUESTS_CA_BUNDLE``); a request's own ``verify`` wins. ``resolver``:
    ``getaddrinfo``'s stand-in, for tests."""
    session = requests.Session()
    session.trust_env = False
    if ca_bundle:
        session.verify = ca_bundle
    session.cookies.set_policy(_NoCookies())
    # max_retries=0: a retry is a new attempt of the caller's, with its own backoff.
    adapter = EgressAdapter(allow, total_timeout=total_timeout, resolver=resolver, pool_connections=pool_connections,
                            pool_maxsize=pool_maxsize, max_retries=0)
    session.adapters.clear()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
