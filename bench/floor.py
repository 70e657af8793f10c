"""The engine's floor: an empty Pulumi Python program, previewed and brought up, timed.

`import pulumi; pulumi.export("x", 1)` run exactly as the bench stacks are (`tests/engine.py`'s
environment: the same Pulumi CLI from `.tools`, the same interpreter, a file backend, a throwaway
`PULUMI_HOME`, plugin downloads off, the same `runtime:` section of `Pulumi.yaml`, the same
`twilio:` config with its secret). Every operation is reported as a ratio to it (DESIGN.md,
"Measuring speed"). Beyond it are the engine's own cost per resource, which the second floor
measures (`bench/resource_floor.py`, built on `floor_stack` here), and flexorch's.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import yaml

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox
from tests.engine import ROOT, local_stack

PROGRAM = 'import pulumi\n\npulumi.export("x", 1)\n'
STACK = "floor"
# At least this many samples of each, whatever --repeat says: the floor divides everything.
MIN_SAMPLES = 3


def _project(
    folder: Path,
    program: str = PROGRAM,
    name: str = STACK,
    files: Mapping[str, str] | None = None,
) -> Path:
    """A project folder `folder/name` whose `program/` holds `__main__.py` and `files`.

    `Pulumi.yaml` has this repo's `runtime:` section, so the program runs as the stacks' does.
    """
    project = folder / name
    (project / "program").mkdir(parents=True)
    (project / "program" / "__main__.py").write_text(program)
    for file, text in (files or {}).items():
        (project / "program" / file).write_text(text)
    ours = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    (project / "Pulumi.yaml").write_text(
        yaml.safe_dump({"name": name, "runtime": ours["runtime"], "main": "program/"})
    )
    return project


@contextmanager
def floor_stack(
    name: str, make_project: Callable[[Path], Path]
) -> Iterator[tuple[auto.Stack, Sandbox]]:
    """A stack of the project `make_project(folder)` makes, run as the bench stacks are.

    `tests/engine.py`'s environment (the `.tools` CLI, this interpreter, a file backend, a
    throwaway `PULUMI_HOME`, plugin downloads off) and the same `twilio:` config with its
    secret. A sandbox without Prism is started only because that environment names one; a floor
    program never calls it (the caller can count `sandbox.requests` to say so). The stack is
    removed afterwards; destroying its resources is the caller's.
    """
    with tempfile.TemporaryDirectory(prefix=f"flexorch-bench-{name}-") as tmp:
        folder = Path(tmp)
        with Sandbox(seed.flex_account(), workdir=folder / "sandbox", contract=False) as sandbox:
            project = make_project(folder)
            stack = local_stack(project, name, sandbox, select_existing=True)
            yield stack, sandbox
            stack.workspace.remove_stack(name)


def timed(run: Callable[[], object]) -> float:
    """Seconds `run()` took."""
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _summary(samples: list[float]) -> dict[str, Any]:
    return {
        "seconds": round(statistics.median(samples), 3),
        "samples": [round(s, 3) for s in samples],
    }


def measure_floor(repeat: int = 3, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Preview and up of the empty program, each `max(repeat, 3)` times; medians and samples.

    The first up creates the stack's one resource; the later ones change nothing (the floor of an
    up is the engine's cost of an update, with or without that one create). A sandbox without
    Prism is started only because the engine's environment names one; the program never calls it,
    and `requests` says so.
    """
    times = max(repeat, MIN_SAMPLES)
    with floor_stack(STACK, _project) as (stack, sandbox):
        previews = [timed(stack.preview) for _ in range(times)]
        log(f"  floor: preview: {statistics.median(previews):.2f} s")
        ups = [timed(stack.up) for _ in range(times)]
        log(f"  floor: up: {statistics.median(ups):.2f} s")
        stack.destroy()
        requests = len(sandbox.requests)
    return {"preview": _summary(previews), "up": _summary(ups), "requests": requests}
