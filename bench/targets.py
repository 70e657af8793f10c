"""The issues' targets, judged from the measurements: what each compared, and whether it holds.

Issue #10's targets are on the 100-number, 5-channel stack (`TARGET_SHAPE`): its times as ratios
to the engine's floor (the empty program, measured in the same run) with the sandbox answering at
once, and its concurrency, connections and times with every answer `SLOW_MS` late. When that
stack or latency is not in the run, the target is judged on the largest stack there is, said so,
and left undecided (`holds` None): a smaller stack's numbers do not answer the issue.

Issue #24's targets follow, each named `#24: ...` (`issue_24`): flexorch against the peer
(OpenTofu with Twilio's Terraform provider, `bench/peer/`, measured in the same run with
`--peer`) per phase at `SLOW_MS`, faster at 100 numbers and within 2x at 2; the CLI floor ratios
at 100 numbers; the requests (none for no change, reads as lists: one per kind and collection,
none repeated, none growing from 2 to 100 numbers, refresh included; at least
`IN_FLIGHT_24` in flight in up from scratch); the state (its size per managed number,
information; no pickled provider). Without the peer, a shape or a latency, a row says what is
missing and is undecided.

One row is information, not a target (`informational`): how much of that stack's time, with no
latency, the engine itself takes for as many dynamic resources (`bench/resource_floor.py`) and how
much is flexorch's above it.

Stacks on each platform (`flexorch:platform`) are judged apart: a target about one stack shape
has a row per platform in the run, the programmable-chat one under the target's own name, the
others with the platform after it (`... [conversations]`), judged on that platform's stacks
alone; the 10/100 preview ratio pairs stacks of the same platform. A stack without a platform (an
older results.json) is programmable-chat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bench.peer.life import APPLY, APPLY_SAME, PLAN_SAME, PLAN_SCRATCH
from bench.peer.life import DESTROY as PEER_DESTROY
from bench.peer.life import REFRESH as PEER_REFRESH
from bench.pulumi_ops import (
    DESTROY,
    OPERATIONS,
    PREVIEW_SAME,
    PREVIEW_SCRATCH,
    REFRESH,
    UP_SAME,
    UP_SCRATCH,
)
from bench.resource_floor import OPERATIONS as FLOOR_OPERATIONS
from bench.shapes import PLATFORMS, PROGRAMMABLE_CHAT, Shape

RENDER_LIMIT = 0.5
PREVIEW_RATIO_LIMIT = 3.0

# Issue #10.
TARGET_SHAPE = (100, 5)
SLOW_MS = 150
NO_CHANGE_PREVIEW_RATIO = 1.5
UP_SCRATCH_RATIO = 3.0
UP_SCRATCH_READS = 6
NO_CHANGE_UP_RATIO = 1.5
REQUESTS_PER_CONNECTION = 10
SLOW_UP_SECONDS = 4.0
SLOW_DESTROY_SECONDS = 3.0

# Issue #24: flexorch's operation -> the peer's phase it is judged against, per phase the issue
# names. `pulumi refresh` (every resource read back, the state written) pairs with
# `apply -refresh-only`, which does the same; the no-change preview with tofu's plain plan.
PHASES_24: tuple[tuple[str, str], ...] = (
    (PREVIEW_SCRATCH, PLAN_SCRATCH),
    (UP_SCRATCH, APPLY),
    (PREVIEW_SAME, PLAN_SAME),
    (UP_SAME, APPLY_SAME),
    (REFRESH, PEER_REFRESH),
    (DESTROY, PEER_DESTROY),
)
SMALL_SHAPE = (2, 5)
SMALL_PEER_RATIO = 2.0
IN_FLIGHT_24 = 16


@dataclass(frozen=True)
class Target:
    """One target: what it asks, what was measured, whether it holds (None: not measurable).

    `informational`: a row that states numbers and judges nothing (`holds` is None).
    """

    name: str
    measured: str
    holds: bool | None
    informational: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        row: dict[str, Any] = {"target": self.name, "measured": self.measured, "holds": self.holds}
        if self.informational:
            row["informational"] = True
        return row


def label(stack: dict[str, Any]) -> str:
    """`n100-c5 @150 ms`."""
    return f"{stack['shape']['name']} @{stack.get('latency_ms', 0):g} ms"


def platform_of(stack: dict[str, Any]) -> str:
    """The stack's `flexorch:platform` (programmable-chat when the results predate platforms)."""
    return str(stack.get("platform") or PROGRAMMABLE_CHAT)


def platforms(stacks: list[dict[str, Any]]) -> list[str]:
    """The platforms the run measured, the default first (then any unknown one, by name)."""
    found = {platform_of(s) for s in stacks}
    return [p for p in PLATFORMS if p in found] + sorted(found - set(PLATFORMS))


def on(stacks: list[dict[str, Any]], platform: str) -> list[dict[str, Any]]:
    """The stacks measured on this platform."""
    return [s for s in stacks if platform_of(s) == platform]


def latencies(stacks: list[dict[str, Any]]) -> list[float]:
    """The latencies the run measured, in order."""
    return sorted({s.get("latency_ms", 0) for s in stacks})


def at(stacks: list[dict[str, Any]], latency: float) -> list[dict[str, Any]]:
    """The stacks measured at this latency."""
    return [s for s in stacks if s.get("latency_ms", 0) == latency]


def resource_floor_of(
    stack: dict[str, Any], resource_floors: list[dict[str, Any]] | None
) -> dict[str, Any] | None:
    """The engine's floor for as many dynamic resources as this stack has, if measured."""
    for measured in resource_floors or ():
        if measured["resources"] == stack["resources"]:
            return measured
    return None


def above(
    stack: dict[str, Any], op: str, resource_floors: list[dict[str, Any]] | None
) -> tuple[float, float] | None:
    """(the N-resource floor's seconds, the stack's seconds above it) for an operation.

    To the hundredth of a second the tables show, so that the two add up there. None when the
    floor was not measured or has no such operation (the handler URL change).
    """
    measured = resource_floor_of(stack, resource_floors)
    if measured is None or op not in measured["operations"]:
        return None
    base = round(measured["operations"][op]["seconds"], 2)
    return base, round(round(stack["operations"][op]["seconds"], 2) - base, 2)


def _engine_share(stacks: list[dict[str, Any]], resource_floors: list[dict[str, Any]]) -> Target:
    name = (
        "information, not a target: the engine's own time for as many trivial dynamic "
        "resources, and flexorch's above it (no latency)"
    )
    subject, note = _subject(stacks, 0)
    if subject is None:
        return Target(name, note, None, informational=True)
    parts = []
    for op in FLOOR_OPERATIONS:
        split = above(subject, op, resource_floors)
        if split is None:
            continue
        base, extra = split
        seconds = subject["operations"][op]["seconds"]
        parts.append(
            f"{op} {seconds:.2f} s = {base:.2f} s engine + {extra:.2f} s flexorch "
            f"({extra / seconds:.0%})"
        )
    measured = (
        f"{subject['resources']} resources; " + "; ".join(parts)
        if parts
        else f"n/a: no engine floor for {subject['resources']} resources"
    )
    note = note.replace("not judged", "not the issue's stack")
    return Target(name, f"{label(subject)}: {measured}{note}", None, informational=True)


def _no_change(stacks: list[dict[str, Any]]) -> Target:
    made = {
        f"{label(s)} {op}": sum(s["operations"][op]["request_totals"])
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
            f"{label(s)}: {made['reads']}/{budget['reads']} reads, "
            f"{made['writes']}/{budget['writes']} writes"
        )
        over += [f"{label(s)} {problem}" for problem in s["up_over_budget"]]
    measured = "; ".join(parts) + (f" — over: {', '.join(over)}" if over else "")
    return Target(
        "up from scratch: ≤ 1 write per owned resource (+ 1 per configured adoption, per disabled "
        "Flex Flow) and ≤ 1 read per adopted resource (+ 1 per Flex Flow page); made/budget",
        measured,
        not over,
    )


def _preview_ratio(stacks: list[dict[str, Any]]) -> Target:
    fastest = at(stacks, min(latencies(stacks), default=0))
    order = {p: i for i, p in enumerate(platforms(fastest))}
    by_shape = {(platform_of(s), s["shape"]["numbers"], s["shape"]["channels"]): s for s in fastest}
    pairs = [
        (platform, channels, by_shape[(platform, 10, channels)], hundred)
        for (platform, numbers, channels), hundred in by_shape.items()
        if numbers == 100 and (platform, 10, channels) in by_shape
    ]
    if not pairs:
        return Target("preview time, 100 numbers ≤ 3× 10 numbers", "n/a: no 10/100 pair", None)
    parts, holds = [], True
    for platform, channels, ten, hundred in sorted(pairs, key=lambda p: (order[p[0]], p[1])):
        where = f"{channels} ch." + ("" if platform == PROGRAMMABLE_CHAT else f", {platform}")
        for op in (PREVIEW_SCRATCH, PREVIEW_SAME):
            a, b = ten["operations"][op]["seconds"], hundred["operations"][op]["seconds"]
            ratio = b / a
            holds = holds and ratio <= PREVIEW_RATIO_LIMIT
            parts.append(f"{op}, {where}: {b:.2f} s / {a:.2f} s = {ratio:.2f}×")
    return Target(
        "preview time, 100 numbers ≤ 3× 10 numbers (same channels)", "; ".join(parts), holds
    )


def _render(offline: list[dict[str, Any]]) -> Target:
    name = f"render < {RENDER_LIMIT} s (the command, start-up included)"
    if not offline:
        return Target(name, "n/a: offline commands not measured in this run", None)
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
    return Target(name, measured, worst_cli < RENDER_LIMIT)


def _subject(stacks: list[dict[str, Any]], latency: float) -> tuple[dict[str, Any] | None, str]:
    """The stack a target is judged on at this latency, and a note when it is not the issue's.

    `stacks` are one platform's (`on`): the issue's shape is looked for on it.
    """
    here = at(stacks, latency)
    for s in here:
        if (s["shape"]["numbers"], s["shape"]["channels"]) == TARGET_SHAPE:
            return s, ""
    if not here:
        return None, f"n/a: nothing measured at {latency:g} ms"
    largest = max(here, key=lambda s: (s["shape"]["numbers"], s["shape"]["channels"]))
    wanted = Shape(*TARGET_SHAPE, platform=platform_of(largest)).name
    return largest, f" (not judged: {wanted} @{latency:g} ms is not in this run)"


def _judged(
    name: str,
    stacks: list[dict[str, Any]],
    latency: float,
    check: Callable[[dict[str, Any]], tuple[str, bool]],
) -> Target:
    subject, note = _subject(stacks, latency)
    if subject is None:
        return Target(name, note, None)
    measured, holds = check(subject)
    return Target(name, f"{label(subject)}: {measured}{note}", None if note else holds)


def ratio(stack: dict[str, Any], op: str, floor: dict[str, Any], of: str) -> tuple[float, str]:
    """The operation's median time over the floor's `of` ("preview" or "up"), and how it reads."""
    seconds, base = stack["operations"][op]["seconds"], floor[of]["seconds"]
    value = seconds / base
    return value, f"{seconds:.2f} s / {base:.2f} s (empty program's {of}) = {value:.2f}×"


def _floor_ratio(
    stacks: list[dict[str, Any]], floor: dict[str, Any], op: str, of: str, limit: float
) -> Target:
    def check(stack: dict[str, Any]) -> tuple[str, bool]:
        value, text = ratio(stack, op, floor, of)
        return text, value <= limit

    name = f"{op}: ≤ {limit:g}× the empty program's {of} (no latency)"
    return _judged(name, stacks, 0, check)


def _up_reads(stacks: list[dict[str, Any]]) -> Target:
    def check(stack: dict[str, Any]) -> tuple[str, bool]:
        reads = stack["operations"][UP_SCRATCH]["requests"]["reads"]
        if stack.get("platform") == "conversations":
            # One read more: the list of the account's SMS Address Configurations.
            limit = UP_SCRATCH_READS + 1
            return f"{reads} reads (≤ {limit}: + the addresses' list)", reads <= limit
        # On Programmable Chat, the guard's channel scan as the account calls for it.
        by_kind = stack.get("up_budget", {}).get("by_kind", {})
        scan = sum(by_kind.get(k, {}).get("reads", 0) for k in ("ChatChannel", "FlexChannel"))
        if scan:
            limit = UP_SCRATCH_READS + scan
            text = f"{reads} reads (≤ {limit}: + the guard's {scan} channel reads)"
            return text, reads <= limit
        return f"{reads} reads", reads <= UP_SCRATCH_READS

    return _judged(f"{UP_SCRATCH}: ≤ {UP_SCRATCH_READS} reads in all", stacks, 0, check)


def _in_flight(stacks: list[dict[str, Any]], parallel: int) -> Target:
    def check(stack: dict[str, Any]) -> tuple[str, bool]:
        op = stack["operations"][UP_SCRATCH]
        return f"at most {op['max_in_flight']} in flight", op["max_in_flight"] >= parallel

    name = f"{UP_SCRATCH} @{SLOW_MS} ms: ≥ {parallel} requests in flight (the engine's --parallel)"
    return _judged(name, stacks, SLOW_MS, check)


def _connections(stacks: list[dict[str, Any]]) -> Target:
    def check(stack: dict[str, Any]) -> tuple[str, bool]:
        op = stack["operations"][UP_SCRATCH]
        made, opened = op["requests"]["total"], op["connections"]
        return (
            f"{opened} connections for {made} requests",
            opened * REQUESTS_PER_CONNECTION <= made,
        )

    name = f"{UP_SCRATCH} @{SLOW_MS} ms: ≤ 1 new connection per {REQUESTS_PER_CONNECTION} requests"
    return _judged(name, stacks, SLOW_MS, check)


def _slow_seconds(stacks: list[dict[str, Any]], op: str, limit: float) -> Target:
    def check(stack: dict[str, Any]) -> tuple[str, bool]:
        seconds = stack["operations"][op]["seconds"]
        return f"{seconds:.2f} s", seconds <= limit

    return _judged(f"{op} @{SLOW_MS} ms: ≤ {limit:g} s", stacks, SLOW_MS, check)


def _exact(stacks: list[dict[str, Any]], shape: tuple[int, int], latency: float) -> Any:
    """The stack of exactly this (numbers, channels) at this latency, or None."""
    for s in at(stacks, latency):
        if (s["shape"]["numbers"], s["shape"]["channels"]) == shape:
            return s
    return None


def _peer_run(peer: dict[str, Any] | None, shape: tuple[int, int], latency: float) -> Any:
    """The peer's run of this shape at this latency, or None."""
    for run in (peer or {}).get("runs", ()):
        numbers, channels = run["shape"]["numbers"], run["shape"]["channels"]
        if (numbers, channels) == shape and run["latency_ms"] == latency:
            return run
    return None


def _versus_peer(
    stacks: list[dict[str, Any]],
    peer: dict[str, Any] | None,
    shape: tuple[int, int],
    pair: tuple[str, str],
    limit: float | None,
) -> Target:
    """The time of flexorch's operation over the peer's phase at `SLOW_MS`: < 1, or ≤ limit."""
    op, phase = pair
    wanted = f"{shape[0]} numbers"
    than = "faster than" if limit is None else f"≤ {limit:g}× the time of"
    name = f"#24: {op} @{SLOW_MS} ms, {wanted}: {than} the peer's {phase}"
    where = f"{Shape(*shape).name} @{SLOW_MS} ms"
    stack, run = _exact(stacks, shape, SLOW_MS), _peer_run(peer, shape, SLOW_MS)
    if peer is None:
        missing = "the peer was not run (python -m bench --peer)"
    elif run is None:
        missing = f"the peer's {where} is not in this run"
    elif stack is None:
        missing = f"flexorch's {where} is not in this run"
    elif op not in stack["operations"]:
        missing = f"flexorch's {op} was not measured in this run"
    else:
        missing = ""
    if missing:
        return Target(name, f"n/a: {missing}", None)
    mine, theirs = stack["operations"][op]["seconds"], run["operations"][phase]["seconds"]
    value = mine / theirs if theirs else float("inf")
    holds = value < 1 if limit is None else value <= limit
    return Target(
        name, f"{where}: flexorch {mine:.2f} s vs peer {theirs:.2f} s = {value:.2f}×", holds
    )


def _missing_refresh(stacks: list[dict[str, Any]]) -> str:
    """A note when a stack has no refresh, or no per-collection reads (results before #24)."""
    if not stacks:
        return "n/a: no stack measured"
    if any(REFRESH not in s["operations"] for s in stacks):
        return "n/a: refresh was not measured in this run"
    if any("reads" not in op for s in stacks for op in s["operations"].values()):
        return "n/a: reads per collection were not recorded in this run"
    return ""


def _listed(found: list[str], most: int = 6) -> str:
    shown = "; ".join(found[:most])
    return shown + (f"; and {len(found) - most} more" if len(found) > most else "")


def _reads_judged(stacks: list[dict[str, Any]], name: str, key: str, least: int, ok: str) -> Target:
    """A row on every phase's reads of kind `key` (`lists` or `repeated`).

    It holds when no read of that kind counts `least` or more; else it names each, with its count.
    """
    if note := _missing_refresh(stacks):
        return Target(name, note, None)
    found = [
        f"{label(s)} {op}: {read} ×{count}"
        for s in stacks
        for op, measured in s["operations"].items()
        for read, count in measured["reads"][key].items()
        if count >= least
    ]
    phases = sum(len(s["operations"]) for s in stacks)
    if not found:
        return Target(name, f"{phases} phases of {len(stacks)} stacks: {ok}", True)
    return Target(name, _listed(found), False)


def _one_list(stacks: list[dict[str, Any]]) -> Target:
    name = (
        "#24: reads per phase: at most one list per kind and collection (a list's later pages "
        "count once), refresh included, every stack"
    )
    return _reads_judged(stacks, name, "lists", 2, "each list read once")


def _repeated(stacks: list[dict[str, Any]]) -> Target:
    name = "#24: no read repeated within a phase (same path and query), every stack"
    return _reads_judged(stacks, name, "repeated", 0, "none repeated")


def _growing(stacks: list[dict[str, Any]]) -> Target:
    small, large = Shape(*SMALL_SHAPE).name, Shape(*TARGET_SHAPE).name
    name = (
        f"#24: reads do not grow with the numbers: per phase and kind, {TARGET_SHAPE[0]} numbers "
        f"read no more than {SMALL_SHAPE[0]} (refresh included)"
    )
    if note := _missing_refresh(stacks):
        return Target(name, note, None)
    pairs = [
        (latency, two, hundred)
        for latency in latencies(stacks)
        if (two := _exact(stacks, SMALL_SHAPE, latency))
        and (hundred := _exact(stacks, TARGET_SHAPE, latency))
    ]
    if not pairs:
        return Target(name, f"n/a: no {small} and {large} at the same latency", None)
    found = []
    for latency, two, hundred in pairs:
        for op in OPERATIONS:
            few = two["operations"][op]["requests"]["by_kind"]
            many = hundred["operations"][op]["requests"]["by_kind"]
            for kind in sorted(many):
                before, after = few.get(kind, {}).get("reads", 0), many[kind]["reads"]
                if after > before:
                    found.append(f"@{latency:g} ms {op}: {kind} {before} → {after}")
    at_latencies = ", ".join(f"@{latency:g} ms" for latency, _, _ in pairs)
    if not found:
        return Target(name, f"{small} vs {large} {at_latencies}: no phase reads more", True)
    return Target(name, f"{small} → {large}: " + _listed(found), False)


def _in_flight_24(stacks: list[dict[str, Any]]) -> Target:
    def check(stack: dict[str, Any]) -> tuple[str, bool]:
        op = stack["operations"][UP_SCRATCH]
        most, made = op["max_in_flight"], op["requests"]["total"]
        return f"at most {most} in flight ({made} requests)", most >= IN_FLIGHT_24

    name = f"#24: {UP_SCRATCH} @{SLOW_MS} ms: ≥ {IN_FLIGHT_24} requests in flight"
    return _judged(name, stacks, SLOW_MS, check)


def _state_size(stacks: list[dict[str, Any]]) -> Target:
    name = "#24, information: state size per managed number (the exported state after up)"
    measured = [s for s in at(stacks, min(latencies(stacks), default=0)) if s.get("state")]
    if not measured:
        return Target(name, "n/a: the state was not measured in this run", None, True)
    measured.sort(key=lambda s: s["shape"]["numbers"])
    parts = [
        f"{s['shape']['name']}: {s['state']['bytes']:,} B, "
        f"{s['state']['bytes'] / s['shape']['numbers']:,.0f} B per number"
        for s in measured
    ]
    fewest, most = measured[0], measured[-1]
    added = most["shape"]["numbers"] - fewest["shape"]["numbers"]
    if added:
        grown = (most["state"]["bytes"] - fewest["state"]["bytes"]) / added
        parts.append(
            f"each number more ({fewest['shape']['name']} → {most['shape']['name']}): "
            f"{grown:,.0f} B"
        )
    return Target(name, "; ".join(parts), None, True)


def _pickled(stacks: list[dict[str, Any]]) -> Target:
    name = "#24: no pickled code in the state (no resource with `__provider`)"
    measured = [s for s in stacks if s.get("state")]
    if not measured:
        return Target(name, "n/a: the state was not measured in this run", None)
    first = at(measured, min(latencies(measured)))
    parts = [
        f"{s['shape']['name']}: {s['state']['pickled_providers']} of "
        f"{s['state']['resources']} resources carry `__provider`"
        for s in first
    ]
    holds = not any(s["state"]["pickled_providers"] for s in measured)
    return Target(name, "; ".join(parts), holds)


def issue_24(
    stacks: list[dict[str, Any]],
    peer: dict[str, Any] | None,
    floor: dict[str, Any] | None,
    per_platform: Callable[[Callable[[list[dict[str, Any]]], Target]], list[Target]],
) -> list[Target]:
    """Issue #24's targets in its order; against the peer on Programmable Chat (the peer's work)."""
    chat = on(stacks, PROGRAMMABLE_CHAT)
    rows = [_versus_peer(chat, peer, TARGET_SHAPE, pair, None) for pair in PHASES_24]
    rows += [_versus_peer(chat, peer, SMALL_SHAPE, pair, SMALL_PEER_RATIO) for pair in PHASES_24]
    makers: list[Callable[[list[dict[str, Any]]], Target]] = []
    if floor is not None:
        makers += [
            lambda s: _floor_ratio(s, floor, PREVIEW_SAME, "preview", NO_CHANGE_PREVIEW_RATIO),
            lambda s: _floor_ratio(s, floor, UP_SCRATCH, "up", UP_SCRATCH_RATIO),
        ]
    makers += [_no_change, _one_list, _repeated, _growing, _in_flight_24, _state_size, _pickled]
    for make in makers:
        for row in per_platform(make):
            rows.append(
                row if row.name.startswith("#24") else replace(row, name=f"#24: {row.name}")
            )
    return rows


def judge(
    stacks: list[dict[str, Any]],
    offline: list[dict[str, Any]],
    floor: dict[str, Any] | None = None,
    parallel: int = 8,
    resource_floors: list[dict[str, Any]] | None = None,
    peer: dict[str, Any] | None = None,
) -> list[Target]:
    """Every target: issue #10's first (in its order), issue #24's, then the earlier ones.

    `peer`: the peer's runs (`results["peer"]`), None when it was not run.

    A target about one stack has a row per platform in the run (`per_platform`). With
    `resource_floors`, informational rows come last: the engine's share (`_engine_share`).
    """

    def per_platform(make: Callable[[list[dict[str, Any]]], Target]) -> list[Target]:
        rows = []
        for platform in platforms(stacks) or [PROGRAMMABLE_CHAT]:
            target = make(on(stacks, platform))
            if platform != PROGRAMMABLE_CHAT:
                target = replace(target, name=f"{target.name} [{platform}]")
            rows.append(target)
        return rows

    makers: list[Callable[[list[dict[str, Any]]], Target]] = []
    if floor is not None:
        makers += [
            lambda s: _floor_ratio(s, floor, PREVIEW_SAME, "preview", NO_CHANGE_PREVIEW_RATIO),
            lambda s: _floor_ratio(s, floor, UP_SCRATCH, "up", UP_SCRATCH_RATIO),
            _up_reads,
            lambda s: _floor_ratio(s, floor, UP_SAME, "up", NO_CHANGE_UP_RATIO),
        ]
    makers += [
        lambda s: _in_flight(s, parallel),
        _connections,
        lambda s: _slow_seconds(s, UP_SCRATCH, SLOW_UP_SECONDS),
        lambda s: _slow_seconds(s, DESTROY, SLOW_DESTROY_SECONDS),
    ]
    speed = [row for make in makers for row in per_platform(make)]
    speed += issue_24(stacks, peer, floor, per_platform)
    earlier = [_no_change(stacks), _budget(stacks), _preview_ratio(stacks), _render(offline)]
    floors = resource_floors or []
    information = per_platform(lambda s: _engine_share(s, floors)) if floors else []
    return speed + earlier + information
