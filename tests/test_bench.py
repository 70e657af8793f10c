"""The benchmark's own logic: options, the floor's program, targets and tables (no engine run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bench import floor, report
from bench.__main__ import DEFAULT_SHAPES, QUICK_RESULTS, RESULTS, parse
from bench.pulumi_ops import DESTROY, OPERATIONS, PREVIEWS, UP_SAME, UP_SCRATCH
from bench.shapes import Shape
from bench.targets import judge

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_are_the_issues_shapes_at_both_latencies() -> None:
    args = parse([])
    assert [s.name for s in args.shapes] == ["n2-c5", "n10-c5", "n100-c5"]
    assert DEFAULT_SHAPES == ("2x5", "10x5", "100x5")
    assert args.latency == [0, 150] and args.repeat == 3 and args.out == RESULTS


def test_quick_mode_is_short_and_writes_outside_the_repo_unless_told() -> None:
    args = parse(["--quick"])
    assert [s.name for s in args.shapes] == ["n2-c5", "n100-c5"]
    assert (args.repeat, args.repeat_offline, args.out) == (1, 1, QUICK_RESULTS)
    args = parse(["--quick", "--repeat", "2", "--latency", "150", "--out", "x"])
    assert (args.repeat, args.latency, args.out) == (2, [150], Path("x"))


@pytest.mark.parametrize("bad", [["--latency", "-1"], ["--latency", "a"], ["--shapes", "10"]])
def test_bad_options_are_refused(bad: list[str]) -> None:
    with pytest.raises(SystemExit):
        parse(bad)


def test_the_floor_is_an_empty_program_with_the_projects_runtime(tmp_path: Path) -> None:
    project = floor._project(tmp_path)
    document = yaml.safe_load((project / "Pulumi.yaml").read_text())
    ours = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert document["runtime"] == ours["runtime"] and document["main"] == "program/"
    program = (project / "program" / "__main__.py").read_text()
    assert program == 'import pulumi\n\npulumi.export("x", 1)\n'


def _op(name: str, seconds: float, reads: int = 0, writes: int = 0, **traffic: int) -> dict:
    return {
        "operation": name,
        "seconds": seconds,
        "samples": [seconds],
        "changes": {},
        "requests": {
            "total": reads + writes,
            "reads": reads,
            "writes": writes,
            "rejected": 0,
            "by_kind": {},
        },
        "request_totals": [reads + writes],
        "max_in_flight": traffic.get("in_flight", 0),
        "connections": traffic.get("connections", 0),
    }


def _stack(numbers: int, latency: float, ops: dict[str, dict]) -> dict[str, Any]:
    operations = {op: _op(op, 2.0) for op in OPERATIONS}
    operations.update(ops)
    return {
        "shape": {"name": f"n{numbers}-c5", "numbers": numbers, "channels": 5},
        "latency_ms": latency,
        "resources": 10,
        "operations": operations,
        "up_budget": {"reads": 0, "writes": 0, "by_kind": {}},
        "up_over_budget": [],
    }


FLOOR = {"preview": {"seconds": 1.0, "samples": [1.0]}, "up": {"seconds": 2.0, "samples": [2.0]}}


def _targets(stacks: list[dict]) -> dict[str, Any]:
    return {t.name: t for t in judge(stacks, [], FLOOR, parallel=8)}


def test_the_issues_targets_are_judged_on_the_100_number_stack() -> None:
    fast = _stack(
        100,
        0,
        {
            "preview, no change": _op("preview, no change", 1.4),
            UP_SCRATCH: _op(UP_SCRATCH, 7.0, reads=105, writes=104, in_flight=5, connections=9),
            UP_SAME: _op(UP_SAME, 3.1),
        },
    )
    slow = _stack(
        100,
        150,
        {
            UP_SCRATCH: _op(UP_SCRATCH, 3.9, reads=5, writes=104, in_flight=8, connections=10),
            DESTROY: _op(DESTROY, 3.5, writes=104, in_flight=8, connections=8),
        },
    )
    small = _stack(2, 0, {UP_SCRATCH: _op(UP_SCRATCH, 99.0, reads=99)})
    found = _targets([small, fast, slow])
    holds = {name: t.holds for name, t in found.items()}
    assert holds["preview, no change: ≤ 1.5× the empty program's preview (no latency)"] is True
    assert holds["up from scratch: ≤ 3× the empty program's up (no latency)"] is False  # 3.5×
    assert holds["up from scratch: ≤ 6 reads in all"] is False
    assert holds["up, no change: ≤ 1.5× the empty program's up (no latency)"] is False  # 1.55×
    assert holds["up from scratch @150 ms: ≥ 8 requests in flight (the engine's --parallel)"]
    assert holds["up from scratch @150 ms: ≤ 1 new connection per 10 requests"] is True
    assert holds["up from scratch @150 ms: ≤ 4 s"] is True
    assert holds["destroy @150 ms: ≤ 3 s"] is False
    up = found["up from scratch: ≤ 3× the empty program's up (no latency)"]
    assert up.measured == "n100-c5 @0 ms: 7.00 s / 2.00 s (empty program's up) = 3.50×"


def test_without_the_issues_stack_a_target_shows_numbers_but_is_not_judged() -> None:
    found = _targets([_stack(2, 0, {}), _stack(10, 0, {})])
    reads = found["up from scratch: ≤ 6 reads in all"]
    assert reads.holds is None and reads.measured.startswith("n10-c5 @0 ms: 0 reads")
    assert "n100-c5 @0 ms is not in this run" in reads.measured
    slow = found["destroy @150 ms: ≤ 3 s"]
    assert (slow.holds, slow.measured) == (None, "n/a: nothing measured at 150 ms")


def test_the_tables_give_each_operation_as_a_ratio_to_its_floor() -> None:
    stacks = [
        _stack(2, 0, {UP_SCRATCH: _op(UP_SCRATCH, 5.0, reads=6, writes=6, in_flight=4,
                                      connections=3)}),
        _stack(2, 150, {}),
    ]  # fmt: skip
    results = {
        "stacks": stacks,
        "floor": FLOOR,
        "repeat": 1,
        "engine_parallel": 8,
        "targets": [t.as_dict() for t in judge(stacks, [], FLOOR)],
    }
    text = "\n".join(report.tables(results))
    assert "| up from scratch | 5.00 s · 2.5× · 6 r / 6 w · 4 in flight · 3 conn. |" in text
    assert "| preview from scratch | 2.00 s · 2.0× · 0 r / 0 w |" in text  # over the preview
    assert "| destroy | 2.00 s · 1.0× · 0 r / 0 w |" in text  # over the up
    assert "### Every answer 150 ms late (`--latency 150`)" in text
    assert "| empty program | 1.00 s | 2.00 s |" in text
    assert set(PREVIEWS) < set(OPERATIONS)
    machine = {k: "m" for k in ("date", "cores", "cpu", "memory_gib", "os")}
    versions = {k: "v" for k in ("python", "node", "pulumi_cli", "pulumi_sdk", "twilio_sdk")}
    versions.update(pydantic="v", jinja2="v", prism="v", flexorch="v")
    page = report.markdown(
        {
            **results,
            "machine": {**machine, "load_before": [0], "load_after": [0]},
            "versions": versions,
            "seconds": 1,
            "offline": [],
        }
    )
    assert text in page and "## Offline commands" not in page


def test_shapes_parse() -> None:
    assert Shape.parse("100x5") == Shape(100, 5)
