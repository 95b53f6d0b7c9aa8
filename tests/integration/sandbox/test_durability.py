"""The commit barrier of ``--state-file``: the real process is SIGKILLed right after the
last answer of a burst and restarted on the same file; nothing it answered or pushed
is missing (sandbox/persistence.py)."""

from __future__ import annotations

import json
import os
import stat
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests
from websockets.exceptions import ConnectionClosed

from sandbox.persistence import journal_path
from tests.common.waiting import wait_for
from tests.integration.sandbox.client import Business
from tests.integration.sandbox.conftest import SandboxProcess

PHONES = 4
PHONE_MESSAGES = 40  # per phone, to the business
BUSINESS_MESSAGES = 20  # per phone, from the business
TEMPLATES = 5
BUNDLE_FETCHES = 5
WORKERS = 16


class Pushes(threading.Thread):
    """The business's connection: every item pushed, every other one acknowledged."""

    def __init__(self, biz: Business) -> None:
        super().__init__(daemon=True)
        self.ws = biz.connect()
        self.items: dict[str, dict[str, Any]] = {}
        self.acked: set[str] = set()

    def run(self) -> None:
        try:
            with self.ws:
                self._receive()
        except (ConnectionClosed, OSError):
            pass

    def _receive(self) -> None:
        while True:
            item = json.loads(self.ws.recv())
            if item.get("type") == "ping":
                continue
            self.items[item["id"]] = item
            if len(self.items) % 2:
                self.ws.send(json.dumps({"type": "ack", "ids": [item["id"]]}))
                self.acked.add(item["id"])


def _template(n: int) -> dict[str, Any]:
    return {"namespace": "durable_ns", "name": f"t{n}", "language": "en_US",
            "components": [{"type": "BODY", "text": f"Template {n}"}]}


def _burst(jobs: list[Callable[[], requests.Response]]) -> tuple[list[requests.Response], list[float]]:
    def timed(job: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
        started = time.perf_counter()
        answer = job()
        return answer, time.perf_counter() - started

    with ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(timed, jobs))
    return [r for r, _ in results], [t for _, t in results]


def _messages(url: str, phone: str) -> list[dict[str, Any]]:
    return requests.get(f"{url}/sandbox/v1/phones/{phone}/messages", timeout=10).json()["messages"]


def test_nothing_answered_is_lost_by_a_sigkill(tmp_path: Path, number: str) -> None:
    state_file = tmp_path / "state.json"
    first = SandboxProcess("--state-file", str(state_file)).start()
    phones = [f"44{number}{n}" for n in range(PHONES)]
    url = first.url
    try:
        biz = Business(url, "1", number).setup(keys=20)
        for phone in phones:
            assert requests.post(url + "/sandbox/v1/phones", json={"wa_id": phone, "name": phone},
                                 timeout=10).status_code == 201
        pushes = Pushes(biz)
        pushes.start()
        # Sealed beforehand (the client's sessions are not thread-safe), submitted concurrently.
        envelopes = [e.to_dict() for phone in phones
                     for e in biz.seal_texts(phone, [f"to {phone} #{n}" for n in range(BUSINESS_MESSAGES)])]
        jobs: list[Callable[[], requests.Response]] = []
        for n in range(PHONE_MESSAGES):
            for phone in phones:
                jobs.append(lambda phone=phone, n=n: requests.post(
                    f"{url}/sandbox/v1/phones/{phone}/messages",
                    json={"to": biz.wa_id, "type": "text", "text": {"body": f"from {phone} #{n}"}}, timeout=10))
        jobs += [lambda e=e: biz.post("/network/v1/envelopes", e) for e in envelopes]
        jobs += [lambda n=n: requests.post(url + "/sandbox/v1/templates", json=_template(n), timeout=10)
                 for n in range(TEMPLATES)]
        jobs += [lambda: biz.get(f"/network/v1/keys/{phones[0]}") for _ in range(BUNDLE_FETCHES)]

        started = time.perf_counter()
        answers, latencies = _burst(jobs)
        assert first.proc is not None
        first.proc.kill()  # SIGKILL, by pid, right after the last answer
        elapsed = time.perf_counter() - started
        first.proc.wait()
        pushes.join(5)
    finally:
        first.stop()

    assert all(a.status_code in (200, 201) for a in answers), {a.status_code for a in answers}
    journal = journal_path(state_file)
    batches = journal.read_bytes().count(b"\n")
    print(f"\nburst of {len(jobs)} requests ({WORKERS} at a time) with --state-file: {elapsed:.2f}s, "
          f"latency p50 {statistics.median(latencies) * 1000:.1f}ms, "
          f"p95 {statistics.quantiles(latencies, n=20)[-1] * 1000:.1f}ms; {batches} journal batches")
    sent_by_phones = {(phone, answers[i].json()["id"])
                      for i, phone in enumerate(p for _ in range(PHONE_MESSAGES) for p in phones)}
    delivered_before = {mid for item in pushes.items.values() if item["type"] == "receipt"
                        for mid in item["receipt"]["message_ids"]}
    unacked_before = set(pushes.items) - pushes.acked
    fetched_keys = {answers[-1 - i].json()["one_time_prekey"]["key_id"] for i in range(BUNDLE_FETCHES)}
    for path in (state_file, journal):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert biz.token not in path.read_text()

    second = SandboxProcess("--state-file", str(state_file)).start()
    url = biz.base = second.url
    try:
        # Every message a phone answered 201 for is in its history.
        for phone in phones:
            out = {m["id"] for m in _messages(url, phone) if m["direction"] == "out"}
            assert {mid for p, mid in sent_by_phones if p == phone} <= out
        # Every envelope accepted reaches its phone (pending ones are taken after the
        # restart), those whose delivered receipt the business already had included.
        accepted = {(e["to"], e["id"]) for e in envelopes}
        assert {mid for _, mid in accepted} >= delivered_before

        def all_received() -> bool:
            held = {(phone, m["id"]) for phone in phones for m in _messages(url, phone) if m["direction"] == "in"}
            return accepted <= held

        wait_for(all_received, timeout=20)
        logged = {e["id"] for e in requests.get(url + "/sandbox/v1/relay/log", timeout=10).json()["envelopes"]}
        assert {mid for _, mid in accepted | sent_by_phones} <= logged
        templates = requests.get(url + "/sandbox/v1/templates", timeout=10).json()["templates"]
        assert {t["name"] for t in templates} >= {f"t{n}" for n in range(TEMPLATES)}
        # A one-time prekey handed out before the crash is never handed out again.
        bundle = biz.fetch_bundle(phones[0])
        assert bundle["one_time_prekey"]["key_id"] not in fetched_keys
        # Whatever was pushed and not acknowledged is pushed again; every message of
        # the phones reaches the business.
        again = Pushes(biz)
        again.start()
        wanted = {mid for _, mid in sent_by_phones}

        def everything_pushed() -> bool:
            envelopes_seen = {i["envelope"]["id"] for i in [*pushes.items.values(), *again.items.values()]
                              if i["type"] == "envelope"}
            return unacked_before <= set(again.items) and wanted <= envelopes_seen

        wait_for(everything_pushed, timeout=20)
        again.ws.close()
    finally:
        second.stop()
    # A clean stop folds the journal into the snapshot.
    assert journal.read_bytes() == b""


def test_the_cost_of_the_commit_barrier(tmp_path: Path, number: str) -> None:
    """The same burst of phone messages with and without a state file (printed with -s)."""
    figures = {}
    for mode, extra in (("in memory", ()), ("--state-file", ("--state-file", str(tmp_path / "state.json")))):
        proc = SandboxProcess(*extra).start()
        try:
            biz = Business(proc.url, "1", number).setup()
            phones = [f"45{number}{n}" for n in range(PHONES)]
            for phone in phones:
                requests.post(proc.url + "/sandbox/v1/phones", json={"wa_id": phone, "name": phone}, timeout=10)
            jobs = [lambda phone=phone, n=n, url=proc.url, to=biz.wa_id: requests.post(
                        f"{url}/sandbox/v1/phones/{phone}/messages",
                        json={"to": to, "type": "text", "text": {"body": f"#{n}"}}, timeout=10)
                    for n in range(75) for phone in phones]
            started = time.perf_counter()
            answers, latencies = _burst(jobs)
            figures[mode] = (time.perf_counter() - started, statistics.median(latencies))
            assert all(a.status_code == 201 for a in answers)
        finally:
            proc.stop()
    print("\n" + "; ".join(f"{mode}: 300 phone messages in {total:.2f}s ({300 / total:.0f}/s), p50 {p50 * 1000:.1f}ms"
                           for mode, (total, p50) in figures.items()))
