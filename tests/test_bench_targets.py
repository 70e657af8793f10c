"""Issue #24's targets in the bench: reads as lists, the state, and flexorch against the peer."""

from __future__ import annotations

from typing import Any

from bench import report
from bench.accounting import collection_of, reads_of
from bench.peer.life import PHASES
from bench.pulumi_ops import (
    DESTROY,
    OPERATIONS,
    PREVIEW_SAME,
    PREVIEW_SCRATCH,
    REFRESH,
    UP_SAME,
    UP_SCRATCH,
    state_of,
)
from bench.shapes import CONVERSATIONS, Shape
from bench.targets import Target, judge

NUMBERS = "/2010-04-01/Accounts/AC" + "0" * 32 + "/IncomingPhoneNumbers"
PN = ["PN" + f"{i:032x}" for i in range(3)]
FLOOR = {"preview": {"seconds": 1.0, "samples": [1.0]}, "up": {"seconds": 2.0, "samples": [2.0]}}


def _get(path: str, host: str = "api.twilio.com", **query: str) -> dict[str, Any]:
    return {
        "method": "GET",
        "host": host,
        "path": path,
        "query": {k: [v] for k, v in query.items()},
    }


def test_reads_are_lists_per_collection_and_a_later_page_is_the_same_list() -> None:
    reads = reads_of(
        [
            _get(f"{NUMBERS}.json", PageSize="1000"),
            _get(f"{NUMBERS}.json", PageSize="1000", Page="1", PageToken="PT1"),
            *(_get(f"{NUMBERS}/{sid}.json") for sid in PN),
            _get(f"{NUMBERS}/{PN[0]}.json"),
            {"method": "POST", "host": "api.twilio.com", "path": f"{NUMBERS}/{PN[1]}.json"},
        ]
    )
    collection = "PhoneNumber /2010-04-01/Accounts/{sid}/IncomingPhoneNumbers"
    assert reads.lists == {f"{collection}.json": 1, f"{collection}/{{sid}}.json": 4}
    assert reads.repeated == {f"api.twilio.com{NUMBERS}/{PN[0]}.json": 2}
    assert reads.as_dict() == {"lists": reads.lists, "repeated": reads.repeated}


def test_a_collection_is_told_by_host_and_path() -> None:
    path = "/v1/Services/IS" + "1" * 32 + "/Configuration/Webhooks"
    assert collection_of(_get(path, "conversations.twilio.com")) == (
        "ChatService /v1/Services/{sid}/Configuration/Webhooks"
    )
    assert collection_of(_get("/v1/FlexFlows", "flex-api.twilio.com")) == "FlexFlow /v1/FlexFlows"


def test_the_state_is_measured_without_keeping_it() -> None:
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "v": "x"}
    deployment = {
        "resources": [
            {"type": "pulumi:pulumi:Stack", "outputs": {}},
            {"type": "pulumi-python:dynamic:Resource", "inputs": {"__provider": secret}},
            {"type": "flexorch:x", "inputs": {"a": 1}, "outputs": {"__provider": secret}},
        ]
    }
    state = state_of(deployment)
    assert state["resources"] == 3 and state["pickled_providers"] == 2
    assert state["bytes"] > 100 and set(state) == {"bytes", "resources", "pickled_providers"}
    assert state_of({})["pickled_providers"] == 0


def _op(name: str, seconds: float, by_kind: dict[str, int] | None = None, **more: Any) -> dict:
    by_kind = by_kind or {}
    reads = sum(by_kind.values())
    return {
        "operation": name,
        "seconds": seconds,
        "samples": [seconds],
        "changes": {},
        "requests": {
            "total": reads,
            "reads": reads,
            "writes": 0,
            "rejected": 0,
            "by_kind": {k: {"reads": n, "writes": 0} for k, n in by_kind.items()},
        },
        "request_totals": [reads],
        "max_in_flight": more.get("in_flight", 0),
        "connections": 0,
        "reads": {"lists": more.get("lists", {}), "repeated": more.get("repeated", {})},
    }


def _stack(
    numbers: int, latency: float, seconds: float = 2.0, platform: str = "programmable-chat", **ops
) -> dict[str, Any]:
    operations = {op: _op(op, seconds) for op in OPERATIONS}
    operations.update(ops)
    shape = Shape(numbers, 5, platform)
    return {
        "shape": {"name": shape.name, "numbers": numbers, "channels": 5},
        "platform": platform,
        "latency_ms": latency,
        "resources": 7 + 5 + numbers,
        "operations": operations,
        "up_budget": {"reads": 0, "writes": 0, "by_kind": {}},
        "up_over_budget": [],
        "state": {"bytes": 1000 + 500 * numbers, "resources": 12 + numbers, "pickled_providers": 0},
    }


def _peer(numbers: int, latency: float, seconds: float) -> dict[str, Any]:
    return {
        "shape": {"name": Shape(numbers, 5).name, "numbers": numbers, "channels": 5},
        "latency_ms": latency,
        "operations": {phase: _op(phase, seconds) for phase in PHASES},
    }


def _rows(stacks: list[dict], peer: dict | None = None) -> dict[str, Target]:
    return {t.name: t for t in judge(stacks, [], FLOOR, peer=peer)}


FASTER = "#24: {op} @150 ms, 100 numbers: faster than the peer's {phase}"
WITHIN = "#24: {op} @150 ms, 2 numbers: ≤ 2× the time of the peer's {phase}"
PAIRS = [
    (PREVIEW_SCRATCH, "plan from scratch"),
    (UP_SCRATCH, "apply"),
    (PREVIEW_SAME, "no-change plan"),
    (UP_SAME, "no-change apply"),
    (REFRESH, "refresh"),
    (DESTROY, "destroy"),
]


def test_each_phase_is_judged_against_the_peer_of_the_same_shape_at_150_ms() -> None:
    stacks = [
        _stack(100, 150, 3.0, **{UP_SCRATCH: _op(UP_SCRATCH, 5.0)}),
        _stack(2, 150, 2.0, **{DESTROY: _op(DESTROY, 2.5)}),
        _stack(100, 0, 99.0),  # another latency: not the one judged
    ]
    peer = {"runs": [_peer(100, 150, 4.0), _peer(2, 150, 1.2), _peer(100, 0, 0.1)]}
    rows = _rows(stacks, peer)
    for op, phase in PAIRS:
        faster, within = (
            rows[FASTER.format(op=op, phase=phase)],
            rows[WITHIN.format(op=op, phase=phase)],
        )
        assert faster.holds is (op != UP_SCRATCH)
        assert within.holds is (op != DESTROY)  # 2.5 / 1.2 > 2
    up = rows[FASTER.format(op=UP_SCRATCH, phase="apply")]
    assert up.measured == "n100-c5 @150 ms: flexorch 5.00 s vs peer 4.00 s = 1.25×"
    refresh = rows[WITHIN.format(op=REFRESH, phase="refresh")]
    assert refresh.measured == "n2-c5 @150 ms: flexorch 2.00 s vs peer 1.20 s = 1.67×"
    # As fast as the peer is not faster; twice its time is within 2x.
    even = _rows([_stack(100, 150, 4.0), _stack(2, 150, 2.4)], peer)
    assert even[FASTER.format(op=DESTROY, phase="destroy")].holds is False
    assert even[WITHIN.format(op=DESTROY, phase="destroy")].holds is True
    # The peer does Programmable Chat's work: no row compares a Conversations stack with it.
    conv = _rows([*stacks, _stack(100, 150, 0.1, platform=CONVERSATIONS)], peer)
    assert not any("peer" in name and "[conversations]" in name for name in conv)


def test_without_the_peer_or_a_shape_the_peer_rows_say_what_is_missing() -> None:
    name = FASTER.format(op=REFRESH, phase="refresh")
    alone = _rows([_stack(100, 150)])[name]
    assert (alone.holds, alone.measured) == (
        None,
        "n/a: the peer was not run (python -m bench --peer)",
    )
    only_small = _rows([_stack(100, 150)], {"runs": [_peer(2, 150, 1.0)]})[name]
    assert only_small.measured == "n/a: the peer's n100-c5 @150 ms is not in this run"
    no_stack = _rows([_stack(100, 0)], {"runs": [_peer(100, 150, 1.0)]})[name]
    assert no_stack.measured == "n/a: flexorch's n100-c5 @150 ms is not in this run"
    older = _stack(100, 150)
    del older["operations"][REFRESH]
    before = _rows([older], {"runs": [_peer(100, 150, 1.0)]})[name]
    assert (before.holds, before.measured) == (
        None,
        "n/a: flexorch's refresh was not measured in this run",
    )


def test_the_floor_and_no_change_rows_are_named_for_issue_24_and_judged_at_100_numbers() -> None:
    stacks = [_stack(100, 0, **{PREVIEW_SAME: _op(PREVIEW_SAME, 1.6)}), _stack(2, 0, 0.5)]
    rows = _rows(stacks)
    preview = rows["#24: preview, no change: ≤ 1.5× the empty program's preview (no latency)"]
    assert (preview.holds, preview.measured) == (
        False,
        "n100-c5 @0 ms: 1.60 s / 1.00 s (empty program's preview) = 1.60×",
    )
    assert rows["#24: up from scratch: ≤ 3× the empty program's up (no latency)"].holds is True
    assert rows["#24: no-change preview and no-change up make 0 Twilio requests"].holds is True


def test_reads_are_judged_as_lists_none_repeated_none_growing_refresh_included() -> None:
    many = {"PhoneNumber /x/{sid}.json": 100}
    small = _stack(2, 0, **{REFRESH: _op(REFRESH, 1.0, {"PhoneNumber": 2})})
    large = _stack(
        100,
        0,
        **{
            REFRESH: _op(REFRESH, 1.0, {"PhoneNumber": 100}, lists=many),
            UP_SCRATCH: _op(UP_SCRATCH, 1.0, {"Workflow": 2}, repeated={"h/v1/W": 2}),
        },
    )
    rows = _rows([small, large])
    one = rows[
        "#24: reads per phase: at most one list per kind and collection (a list's later pages "
        "count once), refresh included, every stack"
    ]
    assert (one.holds, one.measured) == (
        False,
        "n100-c5 @0 ms refresh: PhoneNumber /x/{sid}.json ×100",
    )
    repeated = rows["#24: no read repeated within a phase (same path and query), every stack"]
    assert (repeated.holds, repeated.measured) == (
        False,
        "n100-c5 @0 ms up from scratch: h/v1/W ×2",
    )
    growing = rows[
        "#24: reads do not grow with the numbers: per phase and kind, 100 numbers read no more "
        "than 2 (refresh included)"
    ]
    assert growing.holds is False
    assert growing.measured == (
        "n2-c5 → n100-c5: @0 ms up from scratch: Workflow 0 → 2; @0 ms refresh: PhoneNumber 2 → 100"
    )
    same = {UP_SCRATCH: _op(UP_SCRATCH, 1.0, {"Workflow": 1})}  # as many reads: not growing
    fine = _rows([_stack(2, 0, **same), _stack(100, 0, **same)])
    assert (
        fine[one.name].measured == f"{2 * len(OPERATIONS)} phases of 2 stacks: each list read once"
    )
    assert fine[one.name].holds and fine[repeated.name].holds and fine[growing.name].holds
    alone = _rows([_stack(100, 0)])[growing.name]
    assert (alone.holds, alone.measured) == (None, "n/a: no n2-c5 and n100-c5 at the same latency")
    older = _stack(100, 0)
    del older["operations"][REFRESH]
    assert _rows([older])[one.name].measured == "n/a: refresh was not measured in this run"


def test_at_least_16_in_flight_in_up_at_100_numbers_and_150_ms() -> None:
    name = "#24: up from scratch @150 ms: ≥ 16 requests in flight"
    busy = _stack(100, 150, **{UP_SCRATCH: _op(UP_SCRATCH, 1.0, {"Workflow": 1}, in_flight=16)})
    assert _rows([busy])[name].holds is True
    idle = _stack(100, 150, **{UP_SCRATCH: _op(UP_SCRATCH, 1.0, {"Workflow": 1}, in_flight=8)})
    row = _rows([idle])[name]
    assert (row.holds, row.measured) == (False, "n100-c5 @150 ms: at most 8 in flight (1 requests)")


def test_the_state_size_per_number_is_information_and_pickled_code_is_judged() -> None:
    stacks = [_stack(2, 0), _stack(100, 0), _stack(100, 150)]
    rows = _rows(stacks)
    size = rows["#24, information: state size per managed number (the exported state after up)"]
    assert size.informational and size.holds is None
    assert size.measured == (
        "n2-c5: 2,000 B, 1,000 B per number; n100-c5: 51,000 B, 510 B per number; "
        "each number more (n2-c5 → n100-c5): 500 B"
    )
    pickled = "#24: no pickled code in the state (no resource with `__provider`)"
    assert rows[pickled].holds is True
    stacks[2]["state"]["pickled_providers"] = 3  # any stack with one fails it
    assert _rows(stacks)[pickled].holds is False
    for s in stacks:
        del s["state"]
    row = _rows(stacks)[pickled]
    assert (row.holds, row.measured) == (None, "n/a: the state was not measured in this run")


def test_the_tables_show_refresh_and_older_results_without_it() -> None:
    stack = _stack(100, 0)
    results = {"stacks": [stack], "floor": FLOOR, "repeat": 1, "targets": []}
    assert "| refresh | 2.00 s · 1.0× · 0 r / 0 w |" in report.tables(results)
    del stack["operations"][REFRESH]
    assert not any(line.startswith("| refresh |") for line in report.tables(results))
