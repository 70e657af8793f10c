"""The engine's own cost per dynamic resource: N trivial dynamic resources, their life timed.

A Pulumi Python program that registers N `pulumi.dynamic.Resource`s of `bench/trivial_provider.py`
(copied next to the program and imported from there, so dill pickles the provider by reference,
as it does flexorch's; `create` answers a fixed id and its inputs, `diff` compares one input, no
network), with N the number of resources the flexorch stack of the same shape registers (the
stack's `resources`, from its up from scratch). It runs exactly as the empty floor and the stacks
do (`bench.floor.floor_stack`). What a flexorch operation takes beyond this program's same
operation is flexorch's: its providers' work, its Twilio requests, its dependency order (these N
resources depend on nothing, so the engine runs them all in parallel).

One life is preview from scratch, up from scratch, no-change preview, no-change up and destroy;
it is lived `repeat` times (the destroy leaves an empty stack, so the next preview and up are from
scratch again) and each operation's median reported, with the first life's resource changes.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.floor import _project, floor_stack
from bench.pulumi_ops import DESTROY, PREVIEW_SAME, PREVIEW_SCRATCH, UP_SAME, UP_SCRATCH

PROVIDER_MODULE = "trivial_provider"
PROVIDER_SOURCE = Path(__file__).resolve().parent / f"{PROVIDER_MODULE}.py"
# The operations measured, in the order one life runs them; each has its namesake in a stack's.
OPERATIONS = (PREVIEW_SCRATCH, UP_SCRATCH, PREVIEW_SAME, UP_SAME, DESTROY)


def program(resources: int) -> str:
    """The floor program's `__main__.py`: `resources` trivial dynamic resources, one export."""
    return (
        '"""The engine\'s floor for this many dynamic resources (bench/resource_floor.py)."""\n'
        "\n"
        "import pulumi\n"
        f"from {PROVIDER_MODULE} import Trivial\n"
        "\n"
        f"RESOURCES = {resources}\n"
        'declared = [Trivial(f"r{i}", "same", i) for i in range(RESOURCES)]\n'
        'pulumi.export("x", 1)\n'
    )


def stack_name(resources: int) -> str:
    """`floor-n115`."""
    return f"floor-n{resources}"


def project(folder: Path, resources: int) -> Path:
    """The project folder: `Pulumi.yaml` as the empty floor's, the program and the provider."""
    return _project(
        folder,
        program(resources),
        stack_name(resources),
        {f"{PROVIDER_MODULE}.py": PROVIDER_SOURCE.read_text()},
    )


def _changes(summary: Any) -> dict[str, int]:
    return {str(getattr(k, "value", k)): int(v) for k, v in (summary or {}).items()}


def measure_resource_floor(
    resources: int, repeat: int = 3, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Each operation of the N-resource program, `repeat` lives; medians, samples, changes.

    `changes` is the first life's resource changes per operation (the stack resource included:
    N + 1 creates, then N + 1 same); `requests` what the sandbox saw (0: no network).
    """
    samples: dict[str, list[float]] = {op: [] for op in OPERATIONS}
    changes: dict[str, dict[str, int]] = {}
    name = stack_name(resources)
    with floor_stack(name, lambda folder: project(folder, resources)) as (stack, sandbox):
        runs: dict[str, Callable[[], dict[str, int]]] = {
            PREVIEW_SCRATCH: lambda: _changes(stack.preview().change_summary),
            UP_SCRATCH: lambda: _changes(stack.up().summary.resource_changes),
            PREVIEW_SAME: lambda: _changes(stack.preview().change_summary),
            UP_SAME: lambda: _changes(stack.up().summary.resource_changes),
            DESTROY: lambda: _changes(stack.destroy().summary.resource_changes),
        }
        for _ in range(repeat):
            for op in OPERATIONS:
                started = time.perf_counter()
                outcome = runs[op]()
                samples[op].append(time.perf_counter() - started)
                changes.setdefault(op, outcome)
        requests = len(sandbox.requests)
    medians = {op: statistics.median(s) for op, s in samples.items()}
    log(
        f"  engine floor for {resources} dynamic resources: "
        + ", ".join(f"{op} {seconds:.2f} s" for op, seconds in medians.items())
    )
    return {
        "resources": resources,
        "operations": {
            op: {
                "seconds": round(medians[op], 3),
                "samples": [round(s, 3) for s in samples[op]],
                "changes": changes[op],
            }
            for op in OPERATIONS
        },
        "requests": requests,
    }
