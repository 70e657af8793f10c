"""The offline commands: `flexorch validate` and `flexorch render`, timed.

Each is timed two ways: the command a user or CI step runs (a fresh `python -m flexorch.cli`
process, so interpreter start-up and imports included), and the library call alone in this
process (`load_stack_file`, `flexorch.render.render`), cold (first call: template compilation)
and warm.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bench.shapes import ROOT, Shape, stack_config
from flexorch.loading import load_stack_file


def _cli(*args: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "flexorch.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return time.perf_counter() - started, done.returncode, done.stderr.strip()


def _samples(run: Callable[[], float], repeat: int) -> dict[str, Any]:
    times = [run() for _ in range(repeat)]
    return {
        "median": round(statistics.median(times), 4),
        "min": round(min(times), 4),
        "max": round(max(times), 4),
        "samples": len(times),
    }


def _in_process(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure_offline(shape: Shape, repeat: int = 5) -> dict[str, Any]:
    """Time `validate` and `render` of a stack of this shape, as commands and in process."""
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="flexorch-bench-offline-") as tmp:
        folder = Path(tmp)
        path = folder / f"Pulumi.{shape.name}.yaml"
        path.write_text(yaml.safe_dump({"config": stack_config(shape)}))

        def validate_cli() -> float:
            seconds, code, err = _cli("validate", "--config", str(path))
            if code != 0:
                raise RuntimeError(f"flexorch validate failed ({code}): {err}")
            return seconds

        result["validate_cli"] = _samples(validate_cli, repeat)
        loaded = load_stack_file(path)
        result["validate_in_process"] = _samples(
            lambda: _in_process(lambda: load_stack_file(path)), repeat * 4
        )
        result["render_cli"] = _render_cli(path, folder, repeat)
        result["render_in_process"] = _render_in_process(loaded, repeat * 4)
        result["render_imports_ms"] = import_breakdown(path, folder / "imports")
    return result


# Packages whose import cost is reported wherever they sit in the import tree.
WATCHED = ("pydantic", "pydantic.plugin._loader", "jinja2", "yaml")


def import_breakdown(path: Path, out: Path) -> dict[str, float]:
    """Where the `render` command's start-up goes: cumulative import times in ms (one run).

    Top-level imports (`site`, `flexorch.config`, ...) plus the packages in `WATCHED`, and `total`:
    the sum of the top-level ones.
    """
    command = ["render", "--config", str(path), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "flexorch.cli", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    times: dict[str, float] = {}
    total = 0.0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _self, cumulative, name = line.removeprefix("import time:").split("|")
        if not cumulative.strip().isdigit():
            continue  # the header line
        ms = int(cumulative) / 1000
        module = name.strip()
        if name.startswith(" ") and not name.startswith("  "):  # top level: one space
            total += ms
            if ms >= 5:
                times[module] = round(ms, 1)
        elif module in WATCHED:
            times[module] = round(ms, 1)
    times["total"] = round(total, 1)
    return times


def _render_cli(path: Path, folder: Path, repeat: int) -> dict[str, Any]:
    outs = iter(range(repeat))

    def once() -> float:
        seconds, code, err = _cli(
            "render", "--config", str(path), "--out", str(folder / f"out{next(outs)}")
        )
        if code != 0:
            raise RuntimeError(f"flexorch render: exit {code}: {err}")
        return seconds

    return _samples(once, repeat)


def _render_in_process(loaded: Any, repeat: int) -> dict[str, Any]:
    from flexorch import render

    cold = _in_process(lambda: render.render(loaded.config, loaded.name, "js"))
    warm = _samples(
        lambda: _in_process(lambda: render.render(loaded.config, loaded.name, "js")), repeat
    )
    return {**warm, "cold": round(cold, 4)}
