"""End-to-end benchmark: texts through /v1/messages until every `delivered` callback.

Starts its own real servers and the real processes (as `make test` does), registers a
business number, creates several virtual phones, sends a few thousand texts from
concurrent clients and waits until the local webhook has every `delivered` callback.
Prints accepted/s, delivered/s and p50/p99 from request to `delivered` callback.

    make bench                       # defaults
    BENCH_MESSAGES=5000 BENCH_CLIENTS=16 BENCH_PHONES=20 make bench
    BENCH_RATE=100 make bench        # paced at 100 messages/s: latency without a backlog
    BENCH_CORES=4 BENCH_SHARDS=4 make bench   # four core processes sharing four shards
    BENCH_MEDIA_KB=100 BENCH_MESSAGES=500 make bench   # 100 KB images (by media id) instead of texts
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from infra.local_servers import LocalServers, Ports
from infra.process_stack import Stack, procfile_commands

MESSAGES = int(os.environ.get("BENCH_MESSAGES", "3000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
PHONES = int(os.environ.get("BENCH_PHONES", "10"))
RATE = float(os.environ.get("BENCH_RATE", "0"))  # messages/s; 0 sends as fast as the clients can
CORES = int(os.environ.get("BENCH_CORES", "1"))  # core processes, as `honcho start -c core=N`
SHARDS = os.environ.get("BENCH_SHARDS")  # WA_SHARDS; default: the stack's own (1)
MEDIA_KB = int(os.environ.get("BENCH_MEDIA_KB", "0"))  # >0: send images of this size instead of texts
PASSWORD = "Bench!Passw0rd"


class DeliveredCollector:
    """A local webhook that notes when each message's `delivered` callback arrived."""

    def __init__(self, sock: socket.socket) -> None:
        """``sock``: bound on a port the stack's egress policy allows (``stack.egress.take()``)."""
        self.delivered: dict[str, float] = {}
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                now = time.monotonic()
                with collector.lock:
                    for status in body.get("statuses", []):
                        if status["status"] == "delivered":
                            collector.delivered.setdefault(status["id"], now)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(sock.getsockname(), Handler, bind_and_activate=False)
        self.server.socket.close()
        self.server.socket = sock
        self.server.server_activate()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _setup(stack: Stack, webhook_url: str) -> str:
    login = requests.post(f"{stack.api_url}/v1/users/login", auth=("admin", "secret"),
                          json={"new_password": PASSWORD}, timeout=10)
    token = login.json()["users"][0]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    business = {"cc": "1", "phone_number": "5550199", "vname": "Bench Co"}
    cert = requests.post(f"{stack.network_url}/sandbox/v1/certificates", json=business, timeout=10).json()["cert"]
    requests.post(f"{stack.api_url}/v1/account", headers=headers, timeout=60,
                  json={"cc": "1", "phone_number": "5550199", "method": "sms", "cert": cert}).raise_for_status()
    code = requests.get(f"{stack.network_url}/sandbox/v1/verification-codes/15550199", timeout=10).json()["code"]
    requests.post(f"{stack.api_url}/v1/account/verify", headers=headers, json={"code": code},
                  timeout=60).raise_for_status()
    requests.patch(f"{stack.api_url}/v1/settings/application", headers=headers, timeout=10, json={
        "webhooks": {"url": webhook_url, "message": {"sent": False, "delivered": True, "read": False}},
    }).raise_for_status()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        health = requests.get(f"{stack.api_url}/v1/health", headers=headers, timeout=10).json()
        if health["health"].get("gateway_status") == "connected":
            break
        time.sleep(0.2)
    return token


def _phones(stack: Stack) -> list[str]:
    """Virtual phones that have each written to the business first, so that its texts
    are inside the 24-hour customer-service window (spec §15.5)."""
    import pymongo

    phones = [f"1555900{n:04d}" for n in range(PHONES)]
    for wa_id in phones:
        requests.post(f"{stack.network_url}/sandbox/v1/phones", timeout=10, json={
            "wa_id": wa_id, "name": f"Phone {wa_id}", "auto_delivered": True}).raise_for_status()
        requests.post(f"{stack.network_url}/sandbox/v1/phones/{wa_id}/messages", timeout=10, json={
            "to": "15550199", "type": "text", "text": {"body": "hello"}}).raise_for_status()
    contacts = pymongo.MongoClient(stack.env["WA_MONGO_URL"])[stack.env["WA_MONGO_DB"]].contacts
    deadline = time.monotonic() + 60
    while contacts.count_documents({"_id": {"$in": phones}, "last_inbound_at": {"$exists": True}}) < len(phones):
        if time.monotonic() > deadline:
            raise TimeoutError("the phones' first messages did not reach the business")
        time.sleep(0.2)
    return phones


def _image(stack: Stack, token: str) -> str:
    """One uploaded JPEG of MEDIA_KB KB; every message sends it by id (the media service
    encrypts each send with a fresh key and uploads it to the network's store)."""
    body = b"\xff\xd8\xff\xe0" + os.urandom(MEDIA_KB * 1024 - 4)
    answer = requests.post(f"{stack.api_url}/v1/media", data=body, timeout=60,
                           headers={"Authorization": f"Bearer {token}", "Content-Type": "image/jpeg"})
    answer.raise_for_status()
    return answer.json()["media"][0]["id"]


def _message(n: int, image: str | None) -> dict:
    if image is None:
        return {"type": "text", "text": {"body": f"bench message {n}"}}
    return {"type": "image", "image": {"id": image, "caption": f"bench image {n}"}}


def _send_all(stack: Stack, token: str, phones: list[str]) -> dict[str, float]:
    started: dict[str, float] = {}
    image = _image(stack, token) if MEDIA_KB else None
    local = threading.local()

    began = time.monotonic()

    def send(n: int) -> None:
        if RATE:
            time.sleep(max(0.0, began + n / RATE - time.monotonic()))
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers["Authorization"] = f"Bearer {token}"
        begin = time.monotonic()
        answer = local.session.post(f"{stack.api_url}/v1/messages", timeout=60,
                                    json={"to": phones[n % len(phones)], **_message(n, image)})
        answer.raise_for_status()
        started[answer.json()["messages"][0]["id"]] = begin

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(send, range(MESSAGES)))
    return started


class PipelineTrace(threading.Thread):
    """With BENCH_TRACE=1: once a second, where the messages are in the pipeline."""

    def __init__(self, mongo_url: str, database: str, collector: DeliveredCollector) -> None:
        super().__init__(daemon=True)
        import pymongo

        self.db = pymongo.MongoClient(mongo_url)[database]
        self.collector = collector
        self.stopping = threading.Event()

    def run(self) -> None:
        began = time.monotonic()
        while not self.stopping.wait(1.0):
            counts = {status: self.db.messages.count_documents({"direction": "outbound", "status": status})
                      for status in ("accepted", "sent", "delivered")}
            print(f"  t={time.monotonic() - began:5.1f}s {counts} inbound_events="
                  f"{self.db.inbound_events.estimated_document_count()} pending_callbacks="
                  f"{self.db.pending_callbacks.estimated_document_count()} "
                  f"delivered_callbacks={len(self.collector.delivered)}", flush=True)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="wa-bench-") as tmp:
        run_dir = Path(tmp)
        servers = LocalServers(run_dir=run_dir / "servers", ports=Ports.free(), persistent=False)
        servers.start()
        stack = Stack.create(run_dir, servers.env())
        if SHARDS:
            stack.env["WA_SHARDS"] = SHARDS
        collector = DeliveredCollector(stack.egress.take())
        try:
            others = [name for name in procfile_commands() if name != "core"]
            stack.start(*others)
            stack.start("core", count=CORES)
            token = _setup(stack, collector.url)
            phones = _phones(stack)
            pace = f"paced at {RATE:g}/s" if RATE else "unpaced"
            what = f"{MEDIA_KB} KB images" if MEDIA_KB else "texts"
            print(f"bench: {MESSAGES} {what}, {CLIENTS} concurrent clients ({pace}), {PHONES} virtual phones, "
                  f"{CORES} core process(es), {stack.env.get('WA_SHARDS', '1')} shard(s)")
            trace = None
            if os.environ.get("BENCH_TRACE"):
                trace = PipelineTrace(stack.env["WA_MONGO_URL"], stack.env["WA_MONGO_DB"], collector)
                trace.start()
            first = time.monotonic()
            started = _send_all(stack, token, phones)
            accepted_at = time.monotonic()
            deadline = accepted_at + 600
            while len(collector.delivered.keys() & started.keys()) < len(started):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"only {len(collector.delivered)} of {len(started)} delivered")
                stack.check_alive()
                time.sleep(0.2)
            if trace:
                trace.stopping.set()
            latencies = [collector.delivered[mid] - begin for mid, begin in started.items()]
            last_delivered = max(collector.delivered[mid] for mid in started)
            print(f"accepted:  {MESSAGES / (accepted_at - first):8.1f} messages/s  (201 answers)")
            print(f"delivered: {MESSAGES / (last_delivered - first):8.1f} messages/s  (delivered callbacks)")
            print(f"request -> delivered callback: p50 {statistics.median(latencies) * 1000:8.1f} ms"
                  f"   p99 {_percentile(latencies, 0.99) * 1000:8.1f} ms")
        finally:
            stack.stop_all()
            collector.server.shutdown()
            servers.stop()


if __name__ == "__main__":
    main()
