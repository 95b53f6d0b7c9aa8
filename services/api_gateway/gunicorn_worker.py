"""gunicorn's threaded worker, answering the requests gunicorn refuses in the envelope.

gunicorn's ``handle_error`` decides the status of a request it could not parse, logs it
and writes an HTML page to the socket. This worker lets it do all of that against a
socket that only records what was written, then sends the same status in the On-Prem
envelope (``server_errors``) to the client.
"""

from __future__ import annotations

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from services.api_gateway import server_errors
from services.common.config import Config


class _RecordingSocket:
    """What ``gunicorn.util.write_error`` needs of a socket, keeping what it is sent."""

    def __init__(self) -> None:
        self.sent = b""

    def gettimeout(self) -> float:
        return 0.0  # non-blocking already: write_nonblock does not toggle it

    def sendall(self, data: bytes) -> None:
        self.sent += data


class EnvelopeThreadWorker(ThreadWorker):
    def init_process(self) -> None:
        self.api_version = Config.from_env().api_version
        super().init_process()

    def handle_request(self, req, conn):
        keepalive = super().handle_request(req, conn)
        # Answered. gunicorn may still fail on this request while draining a body the app
        # did not read (a bad chunk after a 401): no second answer on the connection then.
        req.answered = True
        return keepalive

    def handle_error(self, req, client, addr, exc) -> None:
        if getattr(req, "answered", False):
            self.log.debug("Closing after an answered request whose body could not be drained.")
            return
        recorded = _RecordingSocket()
        super().handle_error(req, recorded, addr, exc)
        status = server_errors.parse_status_line(recorded.sent)
        if status is None:
            return
        try:
            util.write_nonblock(client, server_errors.http_answer(*status, self.api_version))
        except Exception:  # noqa: BLE001 - the client may be gone, as gunicorn assumes too
            self.log.debug("Failed to send error message.")
