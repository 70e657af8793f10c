"""The peer's tables, and flexorch's time over the peer's per phase (issue #24's ratios)."""

from __future__ import annotations

from typing import Any

from bench.peer.life import (
    APPLY,
    APPLY_SAME,
    DESTROY,
    PHASES,
    PLAN_NO_REFRESH,
    PLAN_SAME,
    PLAN_SCRATCH,
    REFRESH,
)
from bench.pulumi_ops import DESTROY as FLEXORCH_DESTROY
from bench.pulumi_ops import PREVIEW_SAME, PREVIEW_SCRATCH, UP_SAME, UP_SCRATCH
from bench.pulumi_ops import REFRESH as FLEXORCH_REFRESH
from bench.shapes import PROGRAMMABLE_CHAT

# flexorch's operation -> the peer's phase doing the same work. flexorch's preview does not
# refresh, so its no-change preview is also set against plan -refresh=false; `pulumi refresh`
# (every resource read back, the state written) against `apply -refresh-only`, which does that.
PAIRS: tuple[tuple[str, str], ...] = (
    (PREVIEW_SCRATCH, PLAN_SCRATCH),
    (UP_SCRATCH, APPLY),
    (PREVIEW_SAME, PLAN_SAME),
    (UP_SAME, APPLY_SAME),
    (PREVIEW_SAME, PLAN_NO_REFRESH),
    (FLEXORCH_REFRESH, REFRESH),
    (FLEXORCH_DESTROY, DESTROY),
)


def cell(op: dict[str, Any]) -> str:
    """`2.44 s · 104 r / 0 w · 10 in flight · 1 conn.`, and what tofu said it would do/did."""
    requests = op["requests"]
    parts = [f"{op['seconds']:.2f} s", f"{requests['reads']} r / {requests['writes']} w"]
    if requests["total"]:
        parts.append(f"{op.get('max_in_flight', 0)} in flight")
        parts.append(f"{op.get('connections', 0)} conn.")
    if requests.get("rejected"):
        parts.append(f"{requests['rejected']} rejected")
    changes = ", ".join(f"{n} {what}" for what, n in sorted(op.get("changes", {}).items()))
    parts.append(changes or "no changes")
    return " · ".join(parts)


def ratio(flexorch: dict[str, Any] | None, peer: dict[str, Any] | None) -> str:
    """`5.00 / 0.99 s = 5.05×` (flexorch over the peer: below 1 is faster), or `—`."""
    if not flexorch or not peer or not peer["seconds"]:
        return "—"
    f, p = flexorch["seconds"], peer["seconds"]
    return f"{f:.2f} / {p:.2f} s = {f / p:.2f}×"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _latencies(runs: list[dict[str, Any]]) -> list[float]:
    return sorted({r["latency_ms"] for r in runs})


def counterpart(stacks: list[dict[str, Any]], peer: dict[str, Any]) -> dict[str, Any] | None:
    """The flexorch stack of the peer run's shape and latency, on Programmable Chat."""
    for stack in stacks:
        if (
            stack["shape"]["name"] == peer["shape"]["name"]
            and stack["latency_ms"] == peer["latency_ms"]
            and stack.get("platform", PROGRAMMABLE_CHAT) == PROGRAMMABLE_CHAT
        ):
            return stack
    return None


def tables(peer: dict[str, Any], stacks: list[dict[str, Any]]) -> list[str]:
    """The peer's section of the report; with flexorch's stacks of the same run, the ratios."""
    runs = peer["runs"]
    lines = [
        "## The peer: OpenTofu with Twilio's Terraform provider",
        "",
        "The same Twilio work as the Programmable Chat stack of each shape (`bench/peer/`): the "
        "Workflow, the TaskChannels, each number's SmsUrl and SmsMethod and the chat service's "
        "webhooks, the numbers and the chat service adopted by `import` blocks; against the "
        "same seeded sandbox. Wall time of each `tofu` command (median of "
        f"{peer['lives']} lives, each on a fresh sandbox) · requests of the first life · what "
        "tofu said it planned or did. Built by `bench/peer/build`: " + "; ".join(peer["versions"]),
        "",
    ]
    unchecked = [r["shape"]["name"] for r in runs if not r.get("contract_checks", True)]
    if unchecked:
        lines += [f"Prism was not in front of the sandbox for: {', '.join(unchecked)}.", ""]
    for latency in _latencies(runs):
        here = [r for r in runs if r["latency_ms"] == latency]
        lines += [f"### Peer, every answer {latency:g} ms late", ""]
        header = ["phase", *(r["shape"]["name"] for r in here)]
        rows = [[phase, *(cell(r["operations"][phase]) for r in here)] for phase in PHASES]
        lines += _table(header, rows) + [""]
        paired = [(r, s) for r in here if (s := counterpart(stacks, r)) is not None]
        if not paired:
            continue
        lines += [
            f"flexorch over the peer, {latency:g} ms (below 1×: flexorch is faster)",
            "",
        ]
        header = ["flexorch / peer", *(r["shape"]["name"] for r, _ in paired)]
        rows = [
            [
                f"{op} / {phase}",
                *(ratio(s["operations"].get(op), r["operations"].get(phase)) for r, s in paired),
            ]
            for op, phase in PAIRS
        ]
        lines += _table(header, rows) + [""]
    return lines
