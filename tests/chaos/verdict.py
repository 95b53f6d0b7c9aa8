"""What a chaos burst proved: pure bookkeeping over what was sent and what was observed.

Every request of a burst is an ``Attempt``; after the fault and the settling wait the
harness gathers what the phones hold and what the webhook got (``Observed``), and
``judge`` counts everything: lost, duplicated at a phone, out of order, answered as
failed yet accepted, callbacks missing or repeated. No I/O here, so the checks
themselves are unit-tested (tests/unit/chaos/).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Attempt:
    """One request of the burst: business → phone (``POST /v1/messages``) or phone →
    business (``POST /sandbox/v1/phones/{wa_id}/messages``)."""

    phone: str
    body: str  # unique per attempt: how it is recognised wherever it arrives
    started: float  # time.monotonic() when the request went out
    status: int | None  # HTTP status, None when no answer came (reset, timeout)
    message_id: str | None = None  # the id a 201 answered
    probe: bool = False  # sent after the fault to time the recovery

    @property
    def accepted(self) -> bool:
        return self.status == 201

    @property
    def failed(self) -> bool:
        return self.status is not None and self.status >= 500


def outcome(attempt: Attempt) -> str:
    if attempt.status is None:
        return "unanswered"
    if attempt.accepted:
        return "201"
    # The exact status, so a summary tells a 503 (unavailable, try again) from a 500.
    return str(attempt.status)


@dataclass
class Observed:
    # phone → [(message id, text body)] of what it received, in the phone's order
    at_phones: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # outbound message id → arrival times of its `delivered` callbacks
    delivered: dict[str, list[float]] = field(default_factory=dict)
    # inbound message callbacks, in arrival order: (message id, text body, arrival time)
    inbound: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass
class Verdict:
    outbound: Counter[str]
    inbound: Counter[str]
    lost: list[str]  # bodies answered 201 that never reached their phone
    duplicated_at_phone: list[str]  # bodies a phone holds more than once
    out_of_order: list[str]  # phones that hold accepted messages in another order
    failed_but_delivered: list[str]  # bodies answered 5xx that reached their phone
    unanswered_delivered: int  # unanswered requests that were carried out anyway (allowed)
    delivered_missing: list[str]  # 201'd message ids without a `delivered` callback
    delivered_duplicates: int  # extra `delivered` callbacks (at-least-once allows them)
    inbound_missing: list[str]  # phone messages answered 201 without a callback
    inbound_duplicated: list[str]  # phone messages the business got under several ids
    inbound_failed_but_arrived: list[str]  # phone sends answered 5xx that the business got
    inbound_duplicates: int  # extra callbacks of one inbound id (allowed)

    def problems(self) -> list[str]:
        checks = [
            ("accepted but never reached the phone", self.lost),
            ("duplicated at the phone", self.duplicated_at_phone),
            ("phones with messages out of order", self.out_of_order),
            ("answered 5xx but delivered", self.failed_but_delivered),
            ("accepted without a `delivered` callback", self.delivered_missing),
            ("phone messages accepted without a callback", self.inbound_missing),
            ("phone messages the business got under several ids", self.inbound_duplicated),
            ("phone sends answered 5xx that the business got", self.inbound_failed_but_arrived),
        ]
        return [f"{len(items)} {what}, e.g. {items[:3]}" for what, items in checks if items]

    def summary(self) -> str:
        return (f"business->phone {dict(sorted(self.outbound.items()))}, "
                f"phone->business {dict(sorted(self.inbound.items()))}; "
                f"lost {len(self.lost)}, duplicated at phone {len(self.duplicated_at_phone)}, "
                f"out of order {len(self.out_of_order)}, 5xx yet delivered {len(self.failed_but_delivered)}, "
                f"unanswered yet delivered {self.unanswered_delivered}, "
                f"delivered callbacks missing {len(self.delivered_missing)} (+{self.delivered_duplicates} repeats), "
                f"inbound callbacks missing {len(self.inbound_missing)} (+{self.inbound_duplicates} repeats)")


def judge(outbound: list[Attempt], inbound: list[Attempt], observed: Observed) -> Verdict:
    lost, duplicated, out_of_order, failed_delivered, unanswered_delivered = _phones(outbound, observed)
    accepted_ids = [a.message_id for a in outbound if a.accepted and a.message_id]
    delivered_missing = [mid for mid in accepted_ids if not observed.delivered.get(mid)]
    delivered_duplicates = sum(max(0, len(observed.delivered.get(mid, [])) - 1) for mid in accepted_ids)

    ids_by_body: dict[str, set[str]] = defaultdict(set)
    callbacks_per_id: Counter[str] = Counter()
    for message_id, body, _ in observed.inbound:
        ids_by_body[body].add(message_id)
        callbacks_per_id[message_id] += 1
    sent_bodies = {a.body for a in inbound}
    return Verdict(
        outbound=Counter(outcome(a) for a in outbound),
        inbound=Counter(outcome(a) for a in inbound),
        lost=lost,
        duplicated_at_phone=duplicated,
        out_of_order=out_of_order,
        failed_but_delivered=failed_delivered,
        unanswered_delivered=unanswered_delivered,
        delivered_missing=delivered_missing,
        delivered_duplicates=delivered_duplicates,
        inbound_missing=[a.body for a in inbound if a.accepted and a.message_id not in callbacks_per_id],
        inbound_duplicated=sorted(body for body, ids in ids_by_body.items() if body in sent_bodies and len(ids) > 1),
        inbound_failed_but_arrived=[a.body for a in inbound if a.failed and a.body in ids_by_body],
        inbound_duplicates=sum(callbacks_per_id[a.message_id] - 1 for a in inbound
                               if a.message_id and callbacks_per_id[a.message_id] > 1),
    )


def _phones(outbound: list[Attempt], observed: Observed) -> tuple[list[str], list[str], list[str], list[str], int]:
    by_phone: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in outbound:
        by_phone[attempt.phone].append(attempt)
    lost: list[str] = []
    duplicated: list[str] = []
    out_of_order: list[str] = []
    failed_delivered: list[str] = []
    unanswered_delivered = 0
    for phone, attempts in by_phone.items():
        held = [body for _, body in observed.at_phones.get(phone, [])]
        counts = Counter(held)
        duplicated += [a.body for a in attempts if counts[a.body] > 1]
        lost += [a.body for a in attempts if a.accepted and not counts[a.body]]
        failed_delivered += [a.body for a in attempts if a.failed and counts[a.body]]
        unanswered_delivered += sum(1 for a in attempts if a.status is None and counts[a.body])
        # Order among what arrived: a lost message is counted once, as lost, not again here.
        sent_order = [a.body for a in sorted(attempts, key=lambda a: a.started) if a.accepted and counts[a.body]]
        accepted = set(sent_order)
        arrival_order = list(dict.fromkeys(body for body in held if body in accepted))
        if arrival_order != sent_order:
            out_of_order.append(phone)
    return lost, duplicated, out_of_order, failed_delivered, unanswered_delivered


def recovery_seconds(fault_at: float, probes_out: list[Attempt], probes_in: list[Attempt],
                     observed: Observed, shard_of: dict[str, int]) -> float | None:
    """From the fault to the moment every shard has served, in both directions, a message
    sent after the fault (its `delivered` callback, or its message callback); None when
    some shard never did."""
    inbound_first: dict[str, float] = {}
    for message_id, _, arrived in observed.inbound:
        inbound_first.setdefault(message_id, arrived)
    done: dict[tuple[int, str], float] = {}
    for direction, probes in (("out", probes_out), ("in", probes_in)):
        for probe in probes:
            if not probe.accepted or probe.started < fault_at or probe.message_id is None:
                continue
            if direction == "out":
                times = observed.delivered.get(probe.message_id)
                arrived = min(times) if times else None
            else:
                arrived = inbound_first.get(probe.message_id)
            if arrived is not None:
                key = (shard_of[probe.phone], direction)
                done[key] = min(done.get(key, arrived), arrived)
    wanted = {(shard, direction) for shard in set(shard_of.values()) for direction in ("out", "in")}
    if not wanted or not wanted <= done.keys():
        return None
    return max(done[key] for key in wanted) - fault_at
