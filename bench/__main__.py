"""`python -m bench`: run the benchmark matrix against the sandbox and write bench/results/.

The engine's floor (an empty Pulumi program) first, then each stack shape's life at each latency
on each platform (Programmable Chat, Flex Conversations), each new resource count followed by the
engine's floor for as many dynamic resources as its stack has, then the offline commands; prints
the tables and the targets at the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import machine, report
from bench.floor import measure_floor
from bench.offline import measure_offline
from bench.peer.life import PeerMissing, Tools, run_peer
from bench.pulumi_ops import run_shape
from bench.resource_floor import measure_resource_floor
from bench.shapes import CONVERSATIONS, PLATFORMS, PROGRAMMABLE_CHAT, Shape
from bench.targets import judge

# Issue #10: 2, 10 and 100 numbers at 5 channels, each with the sandbox answering at once and
# 150 ms late.
DEFAULT_SHAPES = ("2x5", "10x5", "100x5")
DEFAULT_LATENCIES = (0, 150)
QUICK_SHAPES = ("2x5", "100x5")
RESULTS = Path(__file__).resolve().parent / "results"
QUICK_RESULTS = Path(tempfile.gettempdir()) / "flexorch-bench-quick"


def _numbers(text: str) -> list[float]:
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated milliseconds") from None
    if not values or any(not 0 <= v <= 60_000 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: milliseconds from 0 to 60000")
    return values


def _shapes(text: str) -> list[Shape]:
    try:
        return [Shape.parse(s.strip()) for s in text.split(",") if s.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: NUMBERSxCHANNELS, e.g. 10x5") from None


def _platforms(text: str) -> list[str]:
    names = list(dict.fromkeys(p.strip() for p in text.split(",") if p.strip()))
    if not names or any(p not in PLATFORMS for p in names):
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated, of {','.join(PLATFORMS)}")
    return names


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line, with `--quick`'s defaults filled in."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--shapes",
        type=_shapes,
        default=None,
        help="comma-separated NUMBERSxCHANNELS stacks (default: "
        f"{','.join(DEFAULT_SHAPES)}; with --quick {','.join(QUICK_SHAPES)})",
    )
    parser.add_argument(
        "--latency",
        type=_numbers,
        default=list(DEFAULT_LATENCIES),
        metavar="MS[,MS...]",
        help="run every shape with the sandbox answering this late (default: "
        f"{','.join(str(x) for x in DEFAULT_LATENCIES)})",
    )
    parser.add_argument(
        "--platforms",
        type=_platforms,
        default=list(PLATFORMS),
        metavar="PLATFORM[,PLATFORM...]",
        help="run every shape on each of these `flexorch:platform`s (default: "
        f"{','.join(PLATFORMS)}); conversations stacks are named n<N>-c<C>-conv",
    )
    parser.add_argument(
        "--repeat", type=int, default=None, help="runs per preview (median; default 3, quick 1)"
    )
    parser.add_argument(
        "--repeat-offline",
        type=int,
        default=None,
        help="runs per offline command (default 5, quick 1)",
    )
    parser.add_argument("--no-offline", action="store_true", help="skip validate and render")
    parser.add_argument(
        "--peer",
        action="store_true",
        help="also run the peer (OpenTofu + Twilio's provider, bench/peer/build) after each "
        "programmable-chat stack, --repeat lives each",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"a quick look: shapes {','.join(QUICK_SHAPES)}, one run per preview, one per "
        f"offline command, results in {QUICK_RESULTS} (any option given still wins)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"results folder (default: {RESULTS}; with --quick {QUICK_RESULTS})",
    )
    args = parser.parse_args(argv)
    if args.shapes is None:
        args.shapes = [Shape.parse(s) for s in (QUICK_SHAPES if args.quick else DEFAULT_SHAPES)]
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat_offline is None:
        args.repeat_offline = 1 if args.quick else 5
    if args.out is None:
        args.out = QUICK_RESULTS if args.quick else RESULTS
    if args.repeat < 1 or args.repeat_offline < 1:
        parser.error("--repeat and --repeat-offline: at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run, print progress and the tables, write results.json and results.md."""
    args = parse(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine.machine(), "versions": machine.versions()}
    try:
        peer_versions = Tools.find().versions if args.peer else []
    except PeerMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    peer_runs: list[dict[str, Any]] = []
    parallel = machine.engine_parallel()
    log("the engine's floor: an empty Pulumi program, preview and up")
    floor = measure_floor(args.repeat, log=log)
    stacks = []
    # Resources -> the engine's floor for that many dynamic resources: measured once per count,
    # right after the first stack that has it (no network, so the latency does not matter).
    resource_floors: dict[int, dict[str, Any]] = {}
    for latency in args.latency:
        for shape in (s.on(p) for s in args.shapes for p in args.platforms):
            on = ", on Flex Conversations" if shape.platform == CONVERSATIONS else ""
            log(
                f"stack {shape.name}: {shape.numbers} numbers, {shape.channels} channels{on}, "
                f"answers {latency:g} ms late"
            )
            stacks.append(run_shape(shape, args.repeat, log=log, latency_ms=latency))
            if args.peer and shape.platform == PROGRAMMABLE_CHAT:
                log(f"the peer for {shape.name}: OpenTofu + Twilio's provider, {args.repeat} lives")
                peer_runs.append(run_peer(shape, args.repeat, log, latency))
            resources = stacks[-1]["resources"]
            if resources not in resource_floors:
                log(f"the engine's floor for {resources} dynamic resources (as {shape.name} has)")
                resource_floors[resources] = measure_resource_floor(resources, args.repeat, log)
    for resources, measured in resource_floors.items():
        names = (s["shape"]["name"] for s in stacks if s["resources"] == resources)
        measured["stacks"] = list(dict.fromkeys(names))
    offline = []
    if not args.no_offline:
        for shape in sorted({Shape(1, s.channels) for s in args.shapes}, key=lambda s: s.channels):
            label = f"{shape.channels} channel{'s' if shape.channels != 1 else ''}"
            log(f"offline: validate and render, {label}")
            offline.append({"shape": label, **measure_offline(shape, args.repeat_offline)})
    if args.peer:
        results["peer"] = {"lives": args.repeat, "versions": peer_versions, "runs": peer_runs}
    results["machine"]["load_after"] = machine.load()
    results.update(
        seconds=round(time.perf_counter() - started, 1),
        repeat=args.repeat,
        repeat_offline=args.repeat_offline,
        engine_parallel=parallel,
        latencies=args.latency,
        platforms=args.platforms,
        floor=floor,
        resource_floors=list(resource_floors.values()),
        targets=[
            t.as_dict()
            for t in judge(
                stacks,
                offline,
                floor,
                parallel,
                list(resource_floors.values()),
                results.get("peer"),
            )
        ],
        stacks=stacks,
        offline=offline,
    )
    data, text = report.write(results, args.out)
    print()
    print("\n".join(report.tables(results)))
    print()
    print(f"wrote {data} and {text} in {results['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
