"""The wheel works on its own: scripts/check-wheel builds it, installs it into a fresh venv outside
the repo and runs the user's commands there (the sandbox with no Node on PATH)."""

from __future__ import annotations

import subprocess

from helpers import ROOT


def test_the_wheel_installs_and_runs_outside_the_repo() -> None:
    done = subprocess.run(
        [ROOT / "scripts" / "check-wheel"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    for line in (
        "check-wheel: import flexorch ok (",
        "py.typed installed, no stack module",
        "check-wheel: flexorch validate: ok",
        "files pass node --check) and ts: ok",
        "check-wheel:   contract checks: off (Prism not found: ",
        "check-wheel: GET /v1/Workspaces: 200, workspaces ['Flex Task Assignment']",
        "check-wheel: flexorch doctor --help: ok",
        "check-wheel: pulumi-resource-flexorch: serves on port ",
        "check-wheel: OK: the wheel works on its own",
    ):
        assert line in report, f"{line!r} not in:\n{report}"
    for name in (
        "flexorch/py.typed",
        "flexorch/sandbox/twilio-specs.json.gz",
        "flexorch/sandbox/Pulumi.sandbox.yaml",
        "flexorch/provider/schema.json",
        "flexorch/templates/CustomMessagingOrchestration.js.jinja",
        "flexorch/templates/CustomMessagingPlugin.tsx.jinja",
        "flexorch/templates/CustomMessagingOrchestration.flexui2.js.jinja",
        "flexorch/templates/CustomMessagingOrchestration.flexui2.ts.jinja",
    ):
        assert f"  {name}\n" in report, name
    assert "flexorch/sandbox/engine.py" not in report
