"""One stack's life against a fresh sandbox, each Pulumi operation timed and its requests counted.

preview and up from scratch, no-change preview and up, refresh (`pulumi refresh`: every
resource read back and the state written, the peer's `apply -refresh-only`), a one-value change
(the handler URL: every number's SMS webhook, on conversations its Address Configuration's
webhook, and the chat service's webhooks follow it) previewed then applied, and destroy. The
operations share the stack, so they run in this order. A preview changes nothing, nor does a
refresh when nothing drifted, so each is run `repeat` times and its median reported (the
machine is shared, timings are noisy); the other operations run once. After up from scratch
the stack's state is exported (not timed): its size and how many resources carry a pickled
provider (`__provider`).

Per operation the sandbox also says how many requests were in flight at most and how many client
connections were opened (`Sandbox.traffic`); with `latency_ms` every answer comes that late.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.accounting import ChannelScan, Reads, Tally, reads_of, tally, up_budget
from bench.shapes import CHANGED_HANDLER, Shape, account, numbers_of, stack_config
from flexorch.sandbox import seed
from flexorch.sandbox.fake import FakeTwilio
from flexorch.sandbox.server import Sandbox, Traffic
from flexorch.twilio_facts import attributes_of, flex_handoff, identities
from tests.engine import engine, rewrite_flexorch_config

PREVIEW_SCRATCH = "preview from scratch"
UP_SCRATCH = "up from scratch"
PREVIEW_SAME = "preview, no change"
UP_SAME = "up, no change"
REFRESH = "refresh"
PREVIEW_CHANGE = "preview, handler URL changed"
UP_CHANGE = "up, handler URL changed"
DESTROY = "destroy"
OPERATIONS = (
    PREVIEW_SCRATCH,
    UP_SCRATCH,
    PREVIEW_SAME,
    UP_SAME,
    REFRESH,
    PREVIEW_CHANGE,
    UP_CHANGE,
    DESTROY,
)
PREVIEWS = (PREVIEW_SCRATCH, PREVIEW_SAME, PREVIEW_CHANGE)
"""Compared to the floor's preview; every other operation to the floor's up."""


@dataclass
class Measured:
    """One operation: wall time (median of the samples), resource changes, requests made.

    `requests`, `reads`, `max_in_flight` and `connections` are the first run's;
    `request_totals` every run's request count.
    """

    operation: str
    samples: list[float]
    changes: dict[str, int]
    requests: Tally
    request_totals: list[int]
    max_in_flight: int = 0
    connections: int = 0
    reads: Reads = field(default_factory=Reads)

    @property
    def seconds(self) -> float:
        """The median wall time."""
        return statistics.median(self.samples)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; `requests` is the first run's, `request_totals` every run's total."""
        return {
            "operation": self.operation,
            "seconds": round(self.seconds, 3),
            "samples": [round(s, 3) for s in self.samples],
            "changes": self.changes,
            "requests": self.requests.as_dict(),
            "request_totals": self.request_totals,
            "max_in_flight": self.max_in_flight,
            "connections": self.connections,
            "reads": self.reads.as_dict(),
        }


def _changes(summary: Any) -> dict[str, int]:
    return {str(getattr(k, "value", k)): int(v) for k, v in (summary or {}).items()}


def _measure(
    name: str, sandbox: Sandbox, run: Callable[[], dict[str, int]], times: int = 1
) -> Measured:
    samples: list[float] = []
    traffic: list[Traffic] = []
    changes: dict[str, int] = {}
    for _ in range(times):
        mark = sandbox.mark()
        started = time.perf_counter()
        changes = run()
        samples.append(time.perf_counter() - started)
        traffic.append(sandbox.traffic(mark))
    first = traffic[0]
    return Measured(
        name,
        samples,
        changes,
        tally(first.requests),
        [len(t.requests) for t in traffic],
        first.max_in_flight,
        first.connections,
        reads_of(first.requests),
    )


def run_shape(
    shape: Shape, repeat: int = 3, log: Callable[[str], None] = print, latency_ms: float = 0
) -> dict[str, Any]:
    """Run every operation on a stack of this shape against its own freshly seeded sandbox.

    The stack is on the shape's platform and named after both (`Shape.name`). `latency_ms`: how
    late the sandbox answers every request.
    """
    fake = account(shape)
    flows = fake.all(seed.FLEX_FLOWS)
    managed = set(numbers_of(shape.numbers))
    conflicts = sum(1 for f in flows if f["enabled"] and f["contact_identity"] in managed)
    started = time.perf_counter()
    results: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix=f"flexorch-bench-{shape.name}-") as tmp:
        with Sandbox(fake, workdir=Path(tmp) / "sandbox", latency_ms=latency_ms) as sandbox:
            stack = engine(Path(tmp), sandbox, shape.name, stack_config(shape))

            def preview() -> dict[str, int]:
                return _changes(stack.preview().change_summary)

            def up() -> dict[str, int]:
                return _changes(stack.up().summary.resource_changes)

            def refresh() -> dict[str, int]:
                return _changes(stack.refresh(show_secrets=False).summary.resource_changes)

            def destroy() -> dict[str, int]:
                return _changes(stack.destroy().summary.resource_changes)

            def step(name: str, run: Callable[[], dict[str, int]], times: int = 1) -> None:
                results.append(_measure(name, sandbox, run, times))
                done = results[-1]
                traffic = (
                    f", {done.requests.total} requests, at most {done.max_in_flight} in flight, "
                    f"{done.connections} connections"
                    if done.requests.total
                    else ""
                )
                log(f"  {shape.name} @{latency_ms:g} ms: {name}: {done.seconds:.1f} s{traffic}")

            step(PREVIEW_SCRATCH, preview, repeat)
            step(UP_SCRATCH, up)
            state = state_of(stack.export_stack().deployment or {})
            step(PREVIEW_SAME, preview, repeat)
            step(UP_SAME, up)
            step(REFRESH, refresh, repeat)
            stack_file = Path(stack.workspace.work_dir) / f"Pulumi.{shape.name}.yaml"
            rewrite_flexorch_config(stack_file, stack_config(shape, CHANGED_HANDLER))
            step(PREVIEW_CHANGE, preview, repeat)
            step(UP_CHANGE, up)
            step(DESTROY, destroy)
            stack.workspace.remove_stack(shape.name)
    budget = up_budget(shape, len(flows), conflicts, scan=channel_scan(fake, managed))
    up_scratch = results[OPERATIONS.index(UP_SCRATCH)].requests
    return {
        "shape": {"name": shape.name, "numbers": shape.numbers, "channels": shape.channels},
        "platform": shape.platform,
        "latency_ms": latency_ms,
        "contract_checks": sandbox.prism_missing is None,
        "resources": sum(results[OPERATIONS.index(UP_SCRATCH)].changes.values())
        or resource_count(shape),
        "operations": {m.operation: m.as_dict() for m in results},
        "up_budget": {"reads": budget.reads, "writes": budget.writes, "by_kind": budget.by_kind},
        "up_over_budget": budget.over(up_scratch),
        "state": state,
        "seconds": round(time.perf_counter() - started, 1),
    }


def channel_scan(fake: FakeTwilio, managed: set[str]) -> ChannelScan | None:
    """What the guard's channel scan meets in the account, before up; None if it makes none."""
    forms = {form for number in managed for form in identities(number)}
    owners = {f["sid"] for f in fake.all(seed.FLEX_FLOWS) if f["contact_identity"] in forms}
    if not owners:
        return None
    chat = fake.all(seed.CHAT_CHANNELS)
    active = {
        c["sid"] for c in chat if str(attributes_of(c["attributes"]).get("status")) == "ACTIVE"
    }
    flex = fake.all(seed.FLEX_CHANNELS)
    mine = {c["sid"] for c in flex if c["flex_flow_sid"] in owners and c["sid"] in active}
    handoffs = [
        w
        for w in fake.all(seed.CHANNEL_WEBHOOKS)
        if w["channel_sid"] in mine and flex_handoff(w["type"], w["configuration"])
    ]
    return ChannelScan(len(chat), len(active), len(flex), len(mine), len(handoffs))


def resource_count(shape: Shape) -> int:
    """Pulumi resources of the stack as first designed (a fallback: the results count them).

    The results take the resource changes of up from scratch, the snapshots included. Here: the
    stack itself, the component, the Flex Flow guard, the workspace, the queue, the
    workflow and the chat webhooks, plus one per channel and one per number.
    """
    return 7 + shape.channels + shape.numbers


def state_of(deployment: Mapping[str, Any]) -> dict[str, int]:
    """The exported state's size (bytes of its JSON) and its resources with a pickled provider.

    Only counted: the state itself (secrets as ciphertext) is never kept or logged.
    """
    resources = deployment.get("resources") or []
    pickled = sum(
        1
        for r in resources
        if "__provider" in (r.get("inputs") or {}) or "__provider" in (r.get("outputs") or {})
    )
    size = len(json.dumps(deployment, separators=(",", ":")).encode())
    return {"bytes": size, "resources": len(resources), "pickled_providers": pickled}
