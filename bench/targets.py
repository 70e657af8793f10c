"""The issue's targets, judged from the measurements: what each compared, and whether it holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bench.pulumi_ops import PREVIEW_SAME, PREVIEW_SCRATCH, UP_SAME, UP_SCRATCH

RENDER_LIMIT = 0.5
PREVIEW_RATIO_LIMIT = 3.0


@dataclass(frozen=True)
class Target:
    """One target: what it asks, what was measured, whether it holds (None: not measurable)."""

    name: str
    measured: str
    holds: bool | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {"target": self.name, "measured": self.measured, "holds": self.holds}


def _no_change(stacks: list[dict[str, Any]]) -> Target:
    made = {
        f"{s['shape']['name']} {op}": sum(s["operations"][op]["request_totals"])
        for s in stacks
        for op in (PREVIEW_SAME, UP_SAME)
    }
    nonzero = {k: v for k, v in made.items() if v}
    measured = (
        f"0 requests in all {len(made)} runs"
        if not nonzero
        else "; ".join(f"{k}: {v}" for k, v in nonzero.items())
    )
    return Target(
        "no-change preview and no-change up make 0 Twilio requests", measured, not nonzero
    )


def _budget(stacks: list[dict[str, Any]]) -> Target:
    parts, over = [], []
    for s in stacks:
        made = s["operations"][UP_SCRATCH]["requests"]
        budget = s["up_budget"]
        parts.append(
            f"{s['shape']['name']}: {made['reads']}/{budget['reads']} reads, "
            f"{made['writes']}/{budget['writes']} writes"
        )
        over += [f"{s['shape']['name']} {problem}" for problem in s["up_over_budget"]]
    measured = "; ".join(parts) + (f" — over: {', '.join(over)}" if over else "")
    return Target(
        "up from scratch: ≤ 1 write per owned resource (+ 1 per configured adoption, per disabled "
        "Flex Flow) and ≤ 1 read per adopted resource (+ 1 per Flex Flow page); made/budget",
        measured,
        not over,
    )


def _preview_ratio(stacks: list[dict[str, Any]]) -> Target:
    by_shape = {(s["shape"]["numbers"], s["shape"]["channels"]): s for s in stacks}
    pairs = [
        (channels, by_shape[(10, channels)], hundred)
        for (numbers, channels), hundred in by_shape.items()
        if numbers == 100 and (10, channels) in by_shape
    ]
    if not pairs:
        return Target("preview time, 100 numbers ≤ 3× 10 numbers", "n/a: no 10/100 pair", None)
    parts, holds = [], True
    for channels, ten, hundred in sorted(pairs, key=lambda p: p[0]):
        for op in (PREVIEW_SCRATCH, PREVIEW_SAME):
            a, b = ten["operations"][op]["seconds"], hundred["operations"][op]["seconds"]
            ratio = b / a
            holds = holds and ratio <= PREVIEW_RATIO_LIMIT
            parts.append(f"{op}, {channels} ch.: {b:.2f} s / {a:.2f} s = {ratio:.2f}×")
    return Target(
        "preview time, 100 numbers ≤ 3× 10 numbers (same channels)", "; ".join(parts), holds
    )


def _render(offline: list[dict[str, Any]]) -> Target:
    cli = [o["render_cli"]["median"] for o in offline]
    lib = [o["render_in_process"]["median"] for o in offline]
    if any(t is None for t in cli + lib):
        notes = {o["render_cli"].get("note") or o["render_in_process"].get("note") for o in offline}
        return Target(f"render < {RENDER_LIMIT} s", "; ".join(n for n in notes if n), None)
    worst_cli, worst_lib = max(cli), max(lib)
    imports = offline[-1].get("render_imports_ms") or {}
    start_up = (
        f", imports {imports['total']:.0f} ms of it under -X importtime (`flexorch.config` "
        f"{imports.get('flexorch.config', 0):.0f} ms, pydantic included)"
        if imports
        else ""
    )
    measured = (
        f"`flexorch render` command (new process): median ≤ {worst_cli:.3f} s{start_up}; "
        f"`flexorch.render.render` in process: ≤ {worst_lib * 1000:.1f} ms warm"
    )
    name = f"render < {RENDER_LIMIT} s (the command, start-up included)"
    return Target(name, measured, worst_cli < RENDER_LIMIT)


def judge(stacks: list[dict[str, Any]], offline: list[dict[str, Any]]) -> list[Target]:
    """Every target, in the issue's order."""
    return [_no_change(stacks), _budget(stacks), _preview_ratio(stacks), _render(offline)]
