"""The chaos suite's bookkeeping catches each kind of failure it claims to count."""

from __future__ import annotations

from tests.chaos.verdict import Attempt, Observed, judge, recovery_seconds

PHONE = "15550001"


def _sent(*specs: tuple[str, int | None]) -> list[Attempt]:
    return [Attempt(PHONE, body, started=float(n), status=status, message_id=f"id-{body}" if status == 201 else None)
            for n, (body, status) in enumerate(specs)]


def _at_phone(*bodies: str) -> Observed:
    return Observed(at_phones={PHONE: [(f"id-{b}", b) for b in bodies]},
                    delivered={f"id-{b}": [1.0] for b in bodies})


def test_a_clean_burst_has_no_problem() -> None:
    verdict = judge(_sent(("a", 201), ("b", 201)), [], _at_phone("a", "b"))
    assert verdict.problems() == []
    assert verdict.outbound == {"201": 2}


def test_lost_duplicated_and_reordered_messages_are_each_counted() -> None:
    sent = _sent(("a", 201), ("b", 201), ("c", 201), ("d", 201))
    verdict = judge(sent, [], _at_phone("b", "a", "b", "d"))
    assert verdict.lost == ["c"]
    assert verdict.duplicated_at_phone == ["b"]
    assert verdict.out_of_order == [PHONE]


def test_a_lost_message_alone_is_not_a_reordering() -> None:
    verdict = judge(_sent(("a", 201), ("b", 201), ("c", 201)), [], _at_phone("a", "c"))
    assert verdict.lost == ["b"] and verdict.out_of_order == []


def test_a_5xx_that_reached_the_phone_is_a_false_failure_but_an_unanswered_one_is_not() -> None:
    verdict = judge(_sent(("a", 500), ("b", None), ("c", 503)), [], _at_phone("a", "b"))
    assert verdict.failed_but_delivered == ["a"]
    assert verdict.unanswered_delivered == 1
    assert verdict.outbound == {"500": 1, "503": 1, "unanswered": 1}
    assert [p for p in verdict.problems() if "5xx" in p]


def test_missing_and_repeated_delivered_callbacks() -> None:
    observed = _at_phone("a", "b")
    observed.delivered = {"id-a": [1.0, 2.0]}
    verdict = judge(_sent(("a", 201), ("b", 201)), [], observed)
    assert verdict.delivered_missing == ["id-b"]
    assert verdict.delivered_duplicates == 1


def test_inbound_callbacks_counted_per_id_and_by_body() -> None:
    inbound = [Attempt(PHONE, "x", 0.0, 201, "in-x"), Attempt(PHONE, "y", 1.0, 201, "in-y"),
               Attempt(PHONE, "z", 2.0, 500), Attempt(PHONE, "w", 3.0, 201, "in-w")]
    observed = Observed(inbound=[("in-x", "x", 1.0), ("in-x", "x", 2.0), ("in-z", "z", 3.0),
                                 ("in-w", "w", 4.0), ("in-w2", "w", 5.0)])
    verdict = judge([], inbound, observed)
    assert verdict.inbound_missing == ["y"]
    assert verdict.inbound_duplicates == 1  # x twice under one id: allowed, reported
    assert verdict.inbound_failed_but_arrived == ["z"]
    assert verdict.inbound_duplicated == ["w"]  # one phone message, two business ids


def test_recovery_waits_for_every_shard_in_both_directions() -> None:
    shard_of = {"p0": 0, "p1": 1}
    out = [Attempt("p0", "o0", 9.0, 201, "o0"),  # before the fault: does not count
           Attempt("p0", "o1", 10.5, 201, "o1"), Attempt("p1", "o2", 10.5, 201, "o2")]
    into = [Attempt("p0", "i0", 10.5, 201, "i0"), Attempt("p1", "i1", 10.5, 201, "i1")]
    observed = Observed(delivered={"o0": [10.1], "o1": [12.0], "o2": [11.0]},
                        inbound=[("i0", "i0", 11.0), ("i1", "i1", 17.0)])
    assert recovery_seconds(10.0, out, into, observed, shard_of) == 7.0
    observed.inbound = [("i0", "i0", 11.0)]
    assert recovery_seconds(10.0, out, into, observed, shard_of) is None
