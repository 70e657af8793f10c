"""The structure of the package: floors that import only downwards, and no import circles.

errors -> Twilio facts -> config -> Twilio client, loading -> lookups -> takers -> routing, render,
doctor, sandbox ->
migrate -> resources (Pulumi) -> component -> provider, CLI. Lazy imports inside functions count
too: they are dependencies.
"""

from __future__ import annotations

import ast
from pathlib import Path

from helpers import ROOT

PACKAGE = ROOT / "flexorch"

# The floor of each module (by the longest matching prefix); a module imports only lower floors,
# or modules of its own sub-package (which must not form a circle either).
FLOORS = {
    "flexorch": 0,  # the root holds __version__ and re-exports the component lazily
    "flexorch.errors": 0,
    "flexorch.twilio_facts": 1,  # what Twilio means by a URL, an event, a platform: no imports
    "flexorch.config": 1.5,
    "flexorch.deployed": 1.5,  # a stack's config as the `pulumi` CLI reads it (state, ESC)
    "flexorch.twilio_client": 2,  # the one Twilio HTTP seam, shared by resources and doctor
    "flexorch.loading": 2,
    "flexorch.lookups": 2.5,  # account-wide lists read once per process
    "flexorch.takers": 2.7,  # what else takes a number: one rule for the guard, doctor, migrate
    "flexorch.routing": 3,
    "flexorch.render": 3,
    "flexorch.doctor": 3.5,
    # One sub-package per platform over the doctor's shared frames; one platform never imports
    # another (same floor), so removing one is deleting its folder and its registry line.
    "flexorch.doctor.platforms": 3.6,
    # Twilio's two ways onto Conversations, planned from the config and the doctor's verdicts.
    "flexorch.migrate_paths": 3.65,
    "flexorch.migrate": 3.7,  # its own command, over the doctor's reads and verdicts
    "flexorch.sandbox": 3.5,
    # Likewise one sub-package per platform over the sandbox's toolkit, never importing another.
    "flexorch.sandbox.platforms": 3.6,
    "flexorch.resources": 4,
    "flexorch.component": 5,
    # The real provider: the resources' own providers by type token, the component by construct.
    "flexorch.provider": 5.5,
    "flexorch.cli": 6,
}
# Pulumi is imported only from these floors up: the CLI, the doctor and the sandbox start fast.
PULUMI_FLOOR = 4


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor(module: str) -> float:
    best = max((p for p in FLOORS if module == p or module.startswith(p + ".")), key=len)
    return FLOORS[best]


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in imports(path) if m in modules and m != name}
        for name, path in modules.items()
        if name != "flexorch"  # the package root only re-exports, lazily
    }


def test_every_import_runs_down_a_floor_or_stays_in_its_sub_package() -> None:
    upward = []
    for module, targets in graph().items():
        for target in targets:
            package = module.rsplit(".", 1)[0]
            same_package = package != "flexorch" and package in (target, target.rsplit(".", 1)[0])
            # A package's __init__ re-exporting its own modules (flexorch.doctor -> .report).
            same_package = same_package or target.startswith(module + ".")
            if not same_package and floor(target) >= floor(module):
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_no_import_circles() -> None:
    edges = graph()
    circles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target in trail:
                circles.append([*trail[trail.index(target) :], target])
            elif len(trail) < 30:
                visit(target, [*trail, target])

    for start in sorted(edges):
        visit(start, [start])
    assert circles == []


def test_pulumi_is_imported_only_by_the_resources_and_above() -> None:
    low = [
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if module_name(path) != "flexorch"
        and floor(module_name(path)) < PULUMI_FLOOR
        and any(m == "pulumi" or m.startswith("pulumi.") for m in imports(path))
    ]
    assert low == []


def test_the_provider_host_loads_the_resources_without_pydantic() -> None:
    """The dynamic provider host imports only `flexorch.resources.*` (unpickling providers):
    the config models (pydantic, ~100 ms) are for the program and the commands, not for it."""
    import subprocess
    import sys

    names = sorted(module_name(path) for path in (PACKAGE / "resources").glob("*.py"))
    probe = (
        f"import sys; import {', '.join(names)}; "
        "print(sorted(m for m in ('pydantic', 'flexorch.config', 'jinja2') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
