"""Small builders shared by the tests."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("Pulumi.*.yaml"))


@dataclass
class Run:
    code: int
    out: str
    err: str


def flexorch(*args: str, cwd: Path | None = None) -> Run:
    """Run the real console entry point in a subprocess, as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "stack.cli", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return Run(done.returncode, done.stdout, done.stderr)


def minimal_config(**overrides: Any) -> dict[str, Any]:
    """The `flexorch:` namespace of a small valid stack, with keys replaced as given."""
    config: dict[str, Any] = {
        "handler": {"url": "https://handler.example.com/flex"},
        "workspace": {"friendlyName": "Flex Task Assignment"},
        "chatService": {"sid": "IS" + "0" * 32},
    }
    config.update(overrides)
    return config


def write_stack(path: Path, flexorch_config: dict[str, Any], **other: Any) -> Path:
    """Write a Pulumi stack settings file holding the given flexorch: keys."""
    config = {f"flexorch:{k}": v for k, v in flexorch_config.items()}
    config.update(other)
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path
