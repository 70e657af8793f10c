"""What the numbers were measured on: the machine, its load, and the versions of every tool."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.engine import TOOLS

ROOT = Path(__file__).resolve().parents[1]


def _first(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _output(*command: str) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None


def _package(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model, OS, load, and the date (UTC)."""
    memory = _first("/proc/meminfo", "MemTotal")
    kib = int(memory.split()[0]) if memory else None
    return {
        "date": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "cores": os.cpu_count(),
        "memory_gib": round(kib / 1024 / 1024, 1) if kib else None,
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or None,
        "os": platform.platform(),
        "load_before": load(),
    }


def versions() -> dict[str, str | None]:
    """Python, Node, the Pulumi CLI, and the Python packages flexorch runs on."""
    prism = ROOT / "node_modules" / ".bin" / "prism"
    return {
        "python": sys.version.split()[0],
        "node": _output("node", "--version"),
        "pulumi_cli": _output(str(TOOLS / "bin" / "pulumi"), "version"),
        "pulumi_sdk": _package("pulumi"),
        "twilio_sdk": _package("twilio"),
        "pydantic": _package("pydantic"),
        "jinja2": _package("jinja2"),
        "flexorch": _package("flexorch"),
        "prism": _output(str(prism), "--version") if prism.exists() else None,
    }


DEFAULT_PARALLEL = 8


def engine_parallel() -> int:
    """The Pulumi CLI's default `--parallel` (what the bench's `up` and `destroy` run with).

    Read from `pulumi up --help` (`(default 8)`); the CLI's documented default if that fails.
    """
    text = _output(str(TOOLS / "bin" / "pulumi"), "up", "--help") or ""
    for line in text.splitlines():
        if "--parallel" in line:
            found = re.search(r"\(default (\d+)\)", line)
            if found:
                return int(found.group(1))
    return DEFAULT_PARALLEL
