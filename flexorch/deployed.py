"""A stack's config as Pulumi itself knows it, read through the `pulumi` CLI.

Two kinds of stack hold their flexorch config outside the `flexorch:` keys of
`Pulumi.<stack>.yaml`, so the offline reader cannot see it:
- a program that declares its components in code (`flexorch.CustomMessaging("east", {...})`):
  each component records its validated config as its `config` output, which the stack's state
  (`pulumi stack export`) holds once it was deployed;
- a stack file that imports Pulumi ESC environments (`environment:`), whose values only Pulumi
  resolves (`pulumi config --json`).
Only the CLI commands use this; nothing here imports Pulumi's SDK.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flexorch.errors import FlexorchError

COMPONENT_TYPE = "flexorch:index:CustomMessaging"
# The component output holding its validated config, shaped like the `flexorch:` namespace.
CONFIG_OUTPUT = "config"


# `pulumi` on a remote backend can take a few seconds; a hung one must not hang the command.
PULUMI_TIMEOUT = 60.0


def pulumi_cli() -> str | None:
    """The `pulumi` CLI on PATH, if any."""
    return shutil.which("pulumi")


def run_pulumi(args: list[str], cwd: Path) -> Any:
    """The JSON document `pulumi ARGS` prints in `cwd`, the project folder.

    Raises:
        FlexorchError: naming the command and why (no CLI on PATH, it failed, no JSON).
    """
    shown = "`pulumi " + " ".join(a for a in args if a != "--json") + "`"
    pulumi = pulumi_cli()
    if pulumi is None:
        raise FlexorchError("the Pulumi CLI is not on PATH")
    try:
        done = subprocess.run(
            [pulumi, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise FlexorchError(f"{shown} did not run ({type(exc).__name__})") from None
    if done.returncode != 0:
        said = next((line.strip() for line in done.stderr.splitlines() if line.strip()), "")
        raise FlexorchError(f"{shown} failed" + (f": {said}" if said else ""))
    try:
        document = json.loads(done.stdout)
    except ValueError:
        document = None
    if not isinstance(document, Mapping):
        raise FlexorchError(f"{shown} printed no JSON document")
    return document


def deployed_components(stack: str, root: Path) -> dict[str, Mapping[str, Any]]:
    """Each flexorch component in the stack's state, by resource name: its recorded config."""
    try:
        export = run_pulumi(["stack", "export", "--stack", stack], root)
    except FlexorchError as error:
        raise FlexorchError(
            f"--stack {stack}: reading the flexorch components of the stack's state failed: "
            f"{error}; run it with the Pulumi CLI logged in to the stack's backend, or give the "
            "config with --config FILE"
        ) from None
    resources = (export.get("deployment") or {}).get("resources") or []
    found: dict[str, Mapping[str, Any]] = {}
    for resource in resources:
        config = (resource.get("outputs") or {}).get(CONFIG_OUTPUT)
        if resource.get("type") == COMPONENT_TYPE and isinstance(config, Mapping):
            found[str(resource.get("urn", "")).rsplit("::", 1)[-1]] = config
    return found


def pick_component(
    stack: str, components: Mapping[str, Mapping[str, Any]], name: str | None
) -> tuple[str, Mapping[str, Any]]:
    """The component `name` (or the only one) and its config; a user error otherwise."""
    names = ", ".join(sorted(components)) or "none"
    if name is not None:
        if name not in components:
            raise FlexorchError(
                f"--component {name}: stack {stack} has no flexorch component of that name "
                f"(its state has: {names}); give one of those"
            )
        return name, components[name]
    if len(components) == 1:
        [(only, config)] = components.items()
        return only, config
    if not components:
        raise FlexorchError(
            f"--stack {stack}: Pulumi.{stack}.yaml sets no flexorch: component keys and the "
            "stack's state has no deployed flexorch component; set the keys, run `pulumi up` for "
            "a program that declares flexorch.CustomMessaging, or give a file with --config FILE"
        )
    raise FlexorchError(
        f"--stack {stack}: the stack's state has {len(components)} flexorch components "
        f"({names}); choose one with --component NAME"
    )


def stack_config_values(stack: str, root: Path) -> tuple[dict[str, str], list[str]]:
    """The stack's config as Pulumi resolves it (ESC environments included).

    As the engine hands it to a program: every value as text, and the keys that are secret
    (their values are not asked for).
    """
    try:
        listed = run_pulumi(["config", "--json", "--stack", stack], root)
    except FlexorchError as error:
        raise FlexorchError(
            f"--stack {stack}: Pulumi.{stack}.yaml imports ESC environments, which only Pulumi "
            f"resolves: {error}"
        ) from None
    values: dict[str, str] = {}
    secrets: list[str] = []
    for key, entry in (listed or {}).items():
        if not isinstance(entry, Mapping):
            continue
        if entry.get("secret"):
            secrets.append(str(key))
        value = entry.get("objectValue", entry.get("value"))
        if value is None:
            value = "[secret]" if entry.get("secret") else ""
        values[str(key)] = value if isinstance(value, str) else json.dumps(value)
    return values, secrets
