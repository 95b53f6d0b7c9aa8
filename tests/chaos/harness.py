"""One chaos run: its own servers and process stack, a registered number, a webhook and
virtual phones spread over the shards; ``burst_through`` sends a burst both ways, injects
a fault in the middle of it, waits (bounded) and judges every message and callback.

Everything is real: the Procfile's processes (infra.process_stack), Redis, MongoDB and S3
(infra.local_servers), faults by pid (infra.faults, ``ManagedServer.restart``).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from infra.local_servers import LocalServers, Ports
from infra.process_stack import Stack
from services.cluster.sharding import shard_for
from tests.chaos.verdict import Attempt, Observed, Verdict, judge, recovery_seconds
from tests.common.health import is_connected
from tests.common.waiting import wait_for
from tests.e2e.webhook_receiver import WebhookReceiver

SHARDS = 4
BURST_PHONES_PER_SHARD = 2
MESSAGES = int(os.environ.get("CHAOS_MESSAGES", "300"))  # per direction
RATE = float(os.environ.get("CHAOS_RATE", "60"))  # messages/s per direction
# How long after the fault (or the burst's last answer, whichever is later) everything
# must have arrived. Healthy recovery needs well under it; an unrecovered fault is
# reported when it expires instead of hanging the suite.
SETTLE_SECONDS = float(os.environ.get("CHAOS_SETTLE_SECONDS", "45"))
PROBE_INTERVAL = 0.5
# Repeats of callbacks (allowed by at-least-once) and late duplicates at a phone show up
# only after the expected items: look again this long after everything arrived.
GRACE_SECONDS = 3.0
# The goal of issue 6 is service back within 10 s of any single fault. The suite holds
# each scenario to RECOVERY_BOUND instead, 30 s by default, because it runs on a shared
# 2-core CI machine where the burst, eight processes, three servers and the test client
# compete for the CPU (a restarted Celery worker alone takes 3-6 s there just to import
# and connect); the summary says whether the 10 s goal itself was met.
RECOVERY_GOAL = 10.0
RECOVERY_BOUND = float(os.environ.get("CHAOS_RECOVERY_BOUND", "30"))
PASSWORD = "Chaos!Passw0rd"
BUSINESS = {"cc": "1", "phone_number": "5550177", "vname": "Chaos Co"}
REQUEST_TIMEOUT = 30


@dataclass
class Outcome:
    scenario: str
    verdict: Verdict
    recovery: float | None
    fault_seconds: float  # how long the fault injection itself took (restart included)
    exited: dict[str, int | None]  # processes of the stack that died and stayed dead
    # What the fault itself saw happen, in seconds after it began (ChaosRun.mark).
    marks: dict[str, float] = field(default_factory=dict)
    bound: float = RECOVERY_BOUND  # past this the scenario fails

    def problems(self) -> list[str]:
        found = self.verdict.problems()
        if self.exited:
            found.append(f"processes exited and stayed down: {self.exited}")
        if self.recovery is None:
            found.append("some shard never served a message sent after the fault")
        elif self.recovery > self.bound:
            found.append(f"recovery {self.recovery:.1f} s exceeds the bound of {self.bound:g} s")
        return found

    def line(self) -> str:
        if self.recovery is None:
            recovered = "not recovered"
        else:
            goal = "goal met" if self.recovery <= RECOVERY_GOAL else f"over the {RECOVERY_GOAL:g} s goal"
            recovered = f"recovered in {self.recovery:.1f} s ({goal})"
        verdict = "PASS" if not self.problems() else "FAIL"
        marks = "".join(f"{what} {seconds:.1f} s after the fault; " for what, seconds in self.marks.items())
        return (f"chaos [{verdict}] {self.scenario}: {recovered}; {marks}fault took {self.fault_seconds:.1f} s; "
                f"{self.verdict.summary()}")


class ChaosRun:
    def __init__(self, run_dir: Path, mongo_members: int = 1) -> None:
        self.run_dir = run_dir
        self.servers = LocalServers(run_dir / "servers", Ports.free(mongo_members), persistent=False)
        self._marks: dict[str, float] = {}  # what a fault saw happen: name → time.monotonic()
        self.stack: Stack | None = None
        self.webhook: WebhookReceiver | None = None
        self.token = ""
        self._local = threading.local()  # a requests.Session per thread (they are not thread-safe)
        self.burst_phones: list[str] = []
        self.probe_phones: dict[str, int] = {}  # one per shard: wa_id → shard

    # ---------------------------------------------------------------- set-up

    def start(self, cores: int = 1) -> None:
        self.servers.start()
        stack_dir = self.run_dir / "stack"
        stack_dir.mkdir(exist_ok=True)
        self.stack = Stack.create(stack_dir, self.servers.env())
        self.stack.env.update({"WA_SHARDS": str(SHARDS), "WA_MONGO_DB": "whatsapp_chaos"})
        if cores == 1:
            self.stack.start()
        else:
            # Several core processes sharing the shards by lease (issue 6, leases).
            self.stack.start("gateway", "media", "dispatcher", "sandbox")
            self.stack.start("core", count=cores)
        self.webhook = WebhookReceiver(self.stack.egress.take())
        self._register()
        self._create_phones()

    def close(self) -> None:
        if self.stack is not None:
            self.stack.stop_all()
        if self.webhook is not None:
            self.webhook.close()
        self.servers.stop()

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        assert self.stack is not None
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session.request(method, f"{self.stack.api_url}{path}", timeout=REQUEST_TIMEOUT, **kwargs)

    def network(self, method: str, path: str, **kwargs) -> requests.Response:
        assert self.stack is not None
        return requests.request(method, f"{self.stack.network_url}{path}", timeout=REQUEST_TIMEOUT, **kwargs)

    def _register(self) -> None:
        assert self.stack is not None and self.webhook is not None
        login = requests.post(f"{self.stack.api_url}/v1/users/login", auth=("admin", "secret"),
                              json={"new_password": PASSWORD}, timeout=REQUEST_TIMEOUT)
        login.raise_for_status()
        self.token = login.json()["users"][0]["token"]
        cert = self.network("POST", "/sandbox/v1/certificates", json=BUSINESS).json()["cert"]
        self.api("POST", "/v1/account", json={"cc": BUSINESS["cc"], "phone_number": BUSINESS["phone_number"],
                                              "method": "sms", "cert": cert}).raise_for_status()
        wa_id = BUSINESS["cc"] + BUSINESS["phone_number"]
        code = self.network("GET", f"/sandbox/v1/verification-codes/{wa_id}").json()["code"]
        self.api("POST", "/v1/account/verify", json={"code": code}).raise_for_status()
        self.api("PATCH", "/v1/settings/application", json={
            "webhooks": {"url": self.webhook.url, "message": {"sent": False, "delivered": True, "read": False}},
            "callback_backoff_delay_ms": 300, "max_callback_backoff_delay_ms": 2000,
        }).raise_for_status()
        wait_for(self._connected, timeout=60, interval=0.2,
                 message=lambda: f"the core never connected to the network\n{self.stack.logs()}")

    def _connected(self) -> bool:
        try:
            return is_connected(self.api("GET", "/v1/health").json()["health"])
        except (requests.RequestException, ValueError, KeyError):
            return False

    def _create_phones(self) -> None:
        """Phones on every shard (two for the burst, one probe each); each writes first, so
        the business's texts fall inside the 24-hour window (spec §15.5)."""
        wanted = {shard: BURST_PHONES_PER_SHARD + 1 for shard in range(SHARDS)}
        candidate = 0
        while any(wanted.values()):
            wa_id = f"1555800{candidate:04d}"
            candidate += 1
            shard = shard_for(wa_id, SHARDS)
            if not wanted[shard]:
                continue
            wanted[shard] -= 1
            if wanted[shard]:
                self.burst_phones.append(wa_id)
            else:
                self.probe_phones[wa_id] = shard
        hello = {}
        for wa_id in [*self.burst_phones, *self.probe_phones]:
            self.network("POST", "/sandbox/v1/phones", json={
                "wa_id": wa_id, "name": f"Phone {wa_id}", "auto_delivered": True}).raise_for_status()
            answer = self.network("POST", f"/sandbox/v1/phones/{wa_id}/messages", json={
                "to": BUSINESS["cc"] + BUSINESS["phone_number"], "type": "text", "text": {"body": "hello"}})
            answer.raise_for_status()
            hello[answer.json()["id"]] = wa_id
        wait_for(lambda: hello.keys() <= {mid for mid, _, _ in self.observe_webhook().inbound}, timeout=60,
                 interval=0.2, message="the phones' first messages did not reach the webhook")

    def mark(self, what: str) -> None:
        """Called by a fault: ``what`` happened now; the summary line says when."""
        self._marks[what] = time.monotonic()

    # ---------------------------------------------------------------- the burst

    def burst_through(self, scenario: str, fault: Callable[[], None], *,
                      recovery_bound: float = RECOVERY_BOUND) -> Outcome:
        """``MESSAGES`` each way at ``RATE``/s over the burst phones; ``fault`` runs a third
        of the way in while per-shard probes time the recovery; then waits and judges."""
        outbound: list[Attempt] = []
        inbound: list[Attempt] = []
        began = time.monotonic()
        senders = [threading.Thread(target=self._send_share, args=(direction, phone, began, sink), daemon=True)
                   for phone in self.burst_phones
                   for direction, sink in (("out", outbound), ("in", inbound))]
        for sender in senders:
            sender.start()
        time.sleep(max(0.0, began + MESSAGES / RATE / 3 - time.monotonic()))  # the fault comes a third of the way in

        self._marks.clear()
        fault_at = time.monotonic()
        probes_out: list[Attempt] = []
        probes_in: list[Attempt] = []
        probe_deadline = fault_at + SETTLE_SECONDS
        probers = [threading.Thread(target=self._probe, args=(direction, phone, probe_deadline, sink), daemon=True)
                   for phone in self.probe_phones
                   for direction, sink in (("out", probes_out), ("in", probes_in))]
        for prober in probers:
            prober.start()
        fault()
        fault_seconds = time.monotonic() - fault_at

        for thread in senders:
            thread.join()
        for thread in probers:
            thread.join()
        all_out, all_in = outbound + probes_out, inbound + probes_in
        observed = self._settle(all_out, all_in, max(fault_at, time.monotonic()) + SETTLE_SECONDS)
        assert self.stack is not None
        exited = {name: proc.returncode for name, proc in self.stack.processes.items() if proc.poll() is not None}
        outcome = Outcome(scenario, judge(all_out, all_in, observed),
                          recovery_seconds(fault_at, probes_out, probes_in, observed, self.probe_phones),
                          fault_seconds, exited, {what: at - fault_at for what, at in self._marks.items()},
                          recovery_bound)
        _report(outcome)
        return outcome

    def _send_share(self, direction: str, phone: str, began: float, sink: list[Attempt]) -> None:
        index = self.burst_phones.index(phone)
        for n in range(index, MESSAGES, len(self.burst_phones)):
            time.sleep(max(0.0, began + n / RATE - time.monotonic()))  # the burst's pace, RATE/s
            sink.append(self._send(direction, phone, f"chaos {direction} #{n} {uuid.uuid4().hex}"))

    def _probe(self, direction: str, phone: str, deadline: float, sink: list[Attempt]) -> None:
        """Until a message sent after the fault went through this shard in this direction."""
        mine: list[Attempt] = []
        while time.monotonic() < deadline:
            attempt = self._send(direction, phone, f"probe {direction} {uuid.uuid4().hex}", probe=True)
            mine.append(attempt)
            sink.append(attempt)
            ids = {a.message_id for a in mine if a.message_id}
            observed = self.observe_webhook()
            arrived = ({mid for mid, times in observed.delivered.items() if times} if direction == "out"
                       else {mid for mid, _, _ in observed.inbound})
            if ids & arrived:
                return
            time.sleep(PROBE_INTERVAL)  # the probes' pace: each round sends a message, it is no poll

    def _send(self, direction: str, phone: str, body: str, probe: bool = False) -> Attempt:
        started = time.monotonic()
        try:
            if direction == "out":
                answer = self.api("POST", "/v1/messages", json={"to": phone, "type": "text", "text": {"body": body}})
                ids = answer.json().get("messages", []) if answer.status_code == 201 else []
            else:
                answer = self.network("POST", f"/sandbox/v1/phones/{phone}/messages", json={
                    "to": BUSINESS["cc"] + BUSINESS["phone_number"], "type": "text", "text": {"body": body}})
                ids = [answer.json()] if answer.status_code == 201 else []
        except (requests.RequestException, ValueError):
            return Attempt(phone, body, started, None, probe=probe)
        return Attempt(phone, body, started, answer.status_code, ids[0]["id"] if ids else None, probe=probe)

    # ---------------------------------------------------------------- observing

    def observe_webhook(self) -> Observed:
        assert self.webhook is not None
        observed = Observed()
        for arrived, body, status in list(self.webhook.attempts):
            if status != 200:
                continue
            for item in body.get("statuses", []):
                if item.get("status") == "delivered":
                    observed.delivered.setdefault(item["id"], []).append(arrived)
            for message in body.get("messages", []):
                observed.inbound.append((message["id"], (message.get("text") or {}).get("body", ""), arrived))
        return observed

    def observe(self, phones: list[str]) -> Observed:
        observed = self.observe_webhook()
        for phone in phones:
            try:
                answer = self.network("GET", f"/sandbox/v1/phones/{phone}/messages")
                records = answer.json()["messages"] if answer.status_code == 200 else []
            except (requests.RequestException, ValueError, KeyError):
                records = []  # the sandbox may be down right now; looked at again later
            observed.at_phones[phone] = [(r["id"], (r.get("text") or {}).get("body", ""))
                                         for r in records if r.get("direction") == "in"]
        return observed

    def _settle(self, outbound: list[Attempt], inbound: list[Attempt], deadline: float) -> Observed:
        """What arrived once everything did (after a grace window), or at ``deadline``:
        an incomplete observation is not an error here, the verdict names what is missing."""
        phones = [*self.burst_phones, *self.probe_phones]

        def complete() -> bool:
            verdict = judge(outbound, inbound, self.observe(phones))
            return not (verdict.lost or verdict.delivered_missing or verdict.inbound_missing)

        try:
            wait_for(complete, timeout=max(0.0, deadline - time.monotonic()), interval=1.0, message="settled")
        except AssertionError:
            return self.observe(phones)
        # Duplicates are what this window is for: a repeat still on its way would arrive in it.
        time.sleep(GRACE_SECONDS)
        return self.observe(phones)


def _report(outcome: Outcome) -> None:
    line = outcome.line()
    print(f"\n{line}", flush=True)
    for problem in outcome.problems():
        print(f"    - {problem}", flush=True)
    summary = os.environ.get("CHAOS_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            for problem in outcome.problems():
                fh.write(f"    - {problem}\n")
