"""bench/results/results.json and results.md: the measurements as data and as Markdown tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench import accounting
from bench.peer import report as peer_report
from bench.pulumi_ops import (
    DESTROY,
    OPERATIONS,
    PREVIEW_SAME,
    PREVIEW_SCRATCH,
    PREVIEWS,
    UP_SAME,
    UP_SCRATCH,
)
from bench.resource_floor import OPERATIONS as FLOOR_OPERATIONS
from bench.shapes import PROGRAMMABLE_CHAT
from bench.targets import above, at, latencies, platform_of, platforms, resource_floor_of


def write(results: dict[str, Any], folder: Path) -> tuple[Path, Path]:
    """Write both files into `folder`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    data, text = folder / "results.json", folder / "results.md"
    data.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    text.write_text(markdown(results))
    return data, text


def _holds(target: dict[str, Any]) -> str:
    if target.get("informational"):
        return "info"
    return {True: "**yes**", False: "**no**", None: "n/a"}[target["holds"]]


def _of(op: str) -> str:
    """Which floor an operation is compared to."""
    return "preview" if op in PREVIEWS else "up"


def _signed(seconds: float) -> str:
    return f"{seconds:+.2f} s"


def _cell(
    op: dict[str, Any],
    floor: dict[str, Any] | None,
    split: tuple[float, float] | None = None,
) -> str:
    """Seconds · ratio to the empty floor · above the N-resource floor (share) · requests."""
    requests = op["requests"]
    parts = [f"{op['seconds']:.2f} s"]
    if floor:
        parts.append(f"{op['seconds'] / floor[_of(op['operation'])]['seconds']:.1f}×")
    if split is not None:
        share = split[1] / op["seconds"] if op["seconds"] else 0.0
        parts.append(f"{_signed(split[1])} ({share:.0%})")
    parts.append(f"{requests['reads']} r / {requests['writes']} w")
    if requests["total"]:
        parts.append(f"{op.get('max_in_flight', 0)} in flight")
        parts.append(f"{op.get('connections', 0)} conn.")
    return " · ".join(parts)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _latency_title(latency: float) -> str:
    if not latency:
        return "Sandbox answering at once (latency 0 ms)"
    return f"Every answer {latency:g} ms late (`--latency {latency:g}`)"


def _column(stack: dict[str, Any]) -> str:
    """`n100-c5 (115 res.)`; a stack off the default platform says which it is on."""
    platform = platform_of(stack)
    on = "" if platform == PROGRAMMABLE_CHAT else f", {platform}"
    return f"{stack['shape']['name']} ({stack['resources']} res.{on})"


def _naming(stacks: list[dict[str, Any]]) -> str:
    """How the stacks are named, and what the one-value change touches, for these platforms."""
    if platforms(stacks) in ([], [PROGRAMMABLE_CHAT]):
        return (
            "Stacks are named `n<numbers>-c<channels>`; the one-value change is the handler URL "
            "(every number's SMS webhook and the chat service's webhooks follow it)."
        )
    return (
        "Stacks are named `n<numbers>-c<channels>` on Programmable Chat (`flexorch:platform: "
        "programmable-chat`, Flex UI 1.x) and `n<numbers>-c<channels>-conv` on Flex "
        "Conversations (`flexorch:platform: conversations`: each number's inbound messages "
        "go through a Conversations Address Configuration, its SmsUrl emptied, and the chat "
        "service's webhooks are the Conversations service's); the one-value change is the "
        "handler URL (on Programmable Chat every number's SMS webhook, on Conversations every "
        "number's Address Configuration, and the chat service's webhooks follow it)."
    )


def tables(results: dict[str, Any]) -> list[str]:
    """The floors, the operations per latency, and the targets: what the console shows too."""
    stacks, floor = results["stacks"], results.get("floor")
    floors = results.get("resource_floors") or []
    lines: list[str] = []
    if floor:
        lines += [
            "## The engine's floor",
            "",
            'An empty Pulumi Python program (`import pulumi; pulumi.export("x", 1)`), same CLI, '
            "interpreter and environment as the stacks; median of "
            f"{_runs(len(floor['preview']['samples']))}. Preview operations below are divided by "
            "its preview, up and destroy by its up.",
            "",
        ]
        lines += _table(
            ["", "preview", "up"],
            [
                [
                    "empty program",
                    f"{floor['preview']['seconds']:.2f} s",
                    f"{floor['up']['seconds']:.2f} s",
                ],
                [
                    "samples",
                    ", ".join(f"{x:.2f}" for x in floor["preview"]["samples"]),
                    ", ".join(f"{x:.2f}" for x in floor["up"]["samples"]),
                ],
            ],
        )
        lines.append("")
    lines += _resource_floors(results)
    lines += [
        "## Pulumi operations",
        "",
        "Wall time of the Automation API call (Pulumi CLI, Python program and dynamic provider "
        f"host included; previews: median of {_runs(results['repeat'])})"
        + (" · ratio to the floor" if floor else "")
        + (
            " · flexorch's time above the engine's floor for as many dynamic resources, and "
            "its share of the operation (none for the handler URL change, which that floor "
            "does not measure)"
            if floors
            else ""
        )
        + " · Twilio requests the sandbox saw (r = reads, GET; w = writes, POST/DELETE) · the "
        "most requests in flight at once · client connections opened. Engine `--parallel`: "
        f"{results.get('engine_parallel', 'default')}. " + _naming(stacks),
        "",
    ]
    for latency in latencies(stacks):
        here = at(stacks, latency)
        lines += [f"### {_latency_title(latency)}", ""]
        header = ["operation", *(_column(s) for s in here)]
        # An operation a run did not have (refresh, before the bench ran it) shows as `—`.
        rows = [
            [
                op,
                *(
                    _cell(s["operations"][op], floor, above(s, op, floors))
                    if op in s["operations"]
                    else "—"
                    for s in here
                ),
            ]
            for op in OPERATIONS
            if any(op in s["operations"] for s in here)
        ]
        lines += _table(header, rows)
        lines.append("")
        shares = [line for s in here if (line := engine_line(s, floors))]
        if shares:
            lines += [f"- {line}" for line in shares] + [""]
    if results.get("peer"):
        lines += peer_report.tables(results["peer"], stacks)
    lines += ["## Targets", ""]
    lines += _table(
        ["target", "measured", "holds"],
        [[t["target"], t["measured"], _holds(t)] for t in results["targets"]],
    )
    return lines


def _resource_floors(results: dict[str, Any]) -> list[str]:
    floors = results.get("resource_floors") or []
    if not floors:
        return []
    lines = [
        "## The engine's floor per dynamic resource",
        "",
        "A Pulumi Python program registering N trivial dynamic resources (`bench/resource_floor.py`"
        ": an importable provider pickled by reference, `create` answers a fixed id and its "
        "inputs, `diff` compares one input, no network, no dependencies between them), N = the "
        "resources the flexorch stack of that shape registers; same CLI, interpreter and "
        f"environment as the stacks; median of {_runs(results['repeat'])} of its whole life "
        "(the destroy empties the stack for the next one). Below, each stack's operation "
        "also shows its time above this floor's same operation.",
        "",
    ]
    rows = []
    for measured in floors:
        stacks = ", ".join(measured.get("stacks", ()))
        row = [f"{measured['resources']} resources" + (f" ({stacks})" if stacks else "")]
        for op in FLOOR_OPERATIONS:
            sample = measured["operations"][op]
            spread = (
                " (" + ", ".join(f"{x:.2f}" for x in sample["samples"]) + ")"
                if len(sample["samples"]) > 1
                else ""
            )
            row.append(f"{sample['seconds']:.2f} s{spread}")
        rows.append(row)
    lines += _table(["program", *FLOOR_OPERATIONS], rows)
    lines.append("")
    return lines


def engine_line(stack: dict[str, Any], floors: list[dict[str, Any]]) -> str:
    """`n100-c5 (115 res.): engine floor for 115 dynamic resources: preview 2.10 s, ...`.

    Empty when no floor was measured for the stack's resource count.
    """
    measured = resource_floor_of(stack, floors)
    if measured is None:
        return ""
    ops = measured["operations"]

    def extra(op: str) -> str:
        split = above(stack, op, floors)
        return _signed(split[1]) if split else "n/a"

    def pair(preview: str, up: str) -> tuple[str, str]:
        base = f"preview {ops[preview]['seconds']:.2f} s, up {ops[up]['seconds']:.2f} s"
        return base, f"{extra(preview)}, {extra(up)}"

    scratch, scratch_above = pair(PREVIEW_SCRATCH, UP_SCRATCH)
    same, same_above = pair(PREVIEW_SAME, UP_SAME)
    destroy = ops[DESTROY]["seconds"]
    destroy_above = extra(DESTROY)
    return (
        f"{stack['shape']['name']} ({stack['resources']} res.): engine floor for "
        f"{measured['resources']} dynamic resources: {scratch} (from scratch); flexorch above "
        f"it: {scratch_above} · no change: {same}; above it: {same_above} · destroy "
        f"{destroy:.2f} s; above it: {destroy_above}"
    )


def markdown(results: dict[str, Any]) -> str:
    """The results as a Markdown page."""
    m, v, stacks = results["machine"], results["versions"], results["stacks"]
    lines = [
        "# flexorch benchmarks",
        "",
        f"Measured {m['date']} by `python -m bench` in {results['seconds']:.0f} s on "
        f"{m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB, {m['os']}; load average "
        f"(1/5/15 min) {m['load_before']} before, {m['load_after']} after — the machine is "
        "shared with other jobs, so timings are noisy.",
        "",
        f"Python {v['python']}, Node {v['node']}, Pulumi CLI {v['pulumi_cli']}, pulumi SDK "
        f"{v['pulumi_sdk']}, twilio SDK {v['twilio_sdk']}, pydantic {v['pydantic']}, "
        f"Jinja2 {v['jinja2']}, Prism {v['prism']}, flexorch {v['flexorch']}.",
        "",
    ]
    lines += tables(results)
    first = at(stacks, min(latencies(stacks), default=0))
    lines += [
        "",
        "## up from scratch, requests per Twilio resource kind (made / budget)",
        "",
        "The same at every latency; shown for the first one.",
        "",
    ]
    made_by_kind = [s["operations"][UP_SCRATCH]["requests"]["by_kind"] for s in first]
    kinds = sorted({k for s in first for k in s["up_budget"]["by_kind"]}.union(*made_by_kind))
    rows = []
    for kind in kinds:
        row = [kind]
        for s, made_here in zip(first, made_by_kind, strict=True):
            made = made_here.get(kind, {})
            budget = s["up_budget"]["by_kind"].get(kind, {})
            row.append(
                f"{made.get('reads', 0)}/{budget.get('reads', 0)} r, "
                f"{made.get('writes', 0)}/{budget.get('writes', 0)} w"
            )
        rows.append(row)
    lines += _table(["kind", *(s["shape"]["name"] for s in first)], rows)
    if results["offline"]:
        lines += _offline(results)
    # The accounting module's docstring is the definition; the results quote it, minus its title.
    definition = "\n".join((accounting.__doc__ or "").splitlines()[2:]).strip()
    lines += ["", "## How requests are counted", "", definition]
    lines += [
        "",
        "In flight and connections are counted by the sandbox's front, the server the client "
        "connects to (`flexorch.sandbox.server`): a request is in flight from its headers read "
        "to its answer ready (the latency included), and a connection is one the front accepted.",
    ]
    if results.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in results["notes"]]
    return "\n".join(lines) + "\n"


def _offline(results: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Offline commands",
        "",
        "`flexorch validate` / `flexorch render --out` as a new process (`python -m flexorch.cli`, "
        "start-up and imports included; median of "
        f"{_runs(results['repeat_offline'])}) and the library call in process (`load_stack_file`, "
        "`flexorch.render.render`: warm median, and the first, cold call).",
        "",
    ]
    rows = []
    for o in results["offline"]:
        render = o["render_in_process"]
        cold = f" (cold {render['cold'] * 1000:.1f} ms)" if render.get("cold") is not None else ""
        rows.append(
            [
                o["shape"],
                _seconds(o["validate_cli"]),
                _ms(o["validate_in_process"]),
                _seconds(o["render_cli"]),
                _ms(render) + cold,
            ]
        )
    header = ["stack", "validate (command)", "validate (in process)", "render (command)"]
    lines += _table([*header, "render (in process)"], rows)
    imports = results["offline"][-1].get("render_imports_ms")
    if imports:
        parts = ", ".join(f"`{k}` {v:.0f} ms" for k, v in imports.items() if k != "total")
        lines += [
            "",
            f"Where the `render` command's time goes ({results['offline'][-1]['shape']}, one run "
            "with `-X importtime`, which inflates them; cumulative): imports "
            f"{imports['total']:.0f} ms in all — {parts}; "
            "the render itself is the in-process time above.",
        ]
    return lines


def _seconds(sample: dict[str, Any]) -> str:
    if sample.get("median") is None:
        return str(sample.get("note", "n/a"))
    return f"{sample['median']:.3f} s"


def _ms(sample: dict[str, Any]) -> str:
    if sample.get("median") is None:
        return str(sample.get("note", "n/a"))
    return f"{sample['median'] * 1000:.1f} ms"


def _runs(count: int) -> str:
    return "1 run" if count == 1 else f"{count} runs"
