"""`python -m bench.peer`: the peer alone (OpenTofu + Twilio's provider), its tables and ratios.

`python -m bench --peer` runs it in the same run as flexorch's stacks instead; `--against` sets
a peer-only run beside the stacks of an earlier `results.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.peer import report
from bench.peer.life import PeerMissing, Tools, run_peer
from bench.shapes import Shape

RESULTS = Path(tempfile.gettempdir()) / "flexorch-bench-peer"


def _shapes(text: str) -> list[Shape]:
    return [Shape.parse(s.strip()) for s in text.split(",") if s.strip()]


def _latencies(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def run(
    shapes: list[Shape], latencies: list[float], repeat: int, log: Any = print
) -> dict[str, Any]:
    """Every shape at every latency: the `peer` part of the bench's results."""
    versions = Tools.find().versions
    runs = [run_peer(s, repeat, log, latency) for latency in latencies for s in shapes]
    return {"lives": repeat, "versions": versions, "runs": runs}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the peer, print its tables, write peer.json and peer.md into --out."""
    parser = argparse.ArgumentParser(prog="python -m bench.peer", description=__doc__)
    parser.add_argument("--shapes", type=_shapes, default=_shapes("2x5,100x5"), help="NxC,...")
    parser.add_argument("--latency", type=_latencies, default=[0.0, 150.0], help="MS,...")
    parser.add_argument("--repeat", type=int, default=3, help="lives per shape (median)")
    parser.add_argument("--against", type=Path, help="a results.json of `python -m bench`")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat: at least 1")
    stacks = json.loads(args.against.read_text())["stacks"] if args.against else []
    started = time.perf_counter()
    try:
        peer = run(args.shapes, args.latency, args.repeat, lambda line: print(line, flush=True))
    except PeerMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    peer["seconds"] = round(time.perf_counter() - started, 1)
    lines = report.tables(peer, stacks)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "peer.json").write_text(json.dumps(peer, indent=2) + "\n")
    (args.out / "peer.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {args.out / 'peer.json'} and peer.md in {peer['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
