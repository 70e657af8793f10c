"""flexorch/provider/PulumiPlugin.yaml: what a stock CLI's Python host needs to run the folder.

The engine reads `runtime` (name and options) from it when a plugin folder has no executable,
and the Python host runs `<virtualenv>/bin/python <folder>`, which needs a `__main__.py` there.
"""

from __future__ import annotations

import subprocess

import yaml
from helpers import ROOT

PLUGIN = ROOT / "flexorch" / "provider"


def test_the_plugin_folder_runs_the_provider_in_the_checkouts_virtualenv() -> None:
    document = yaml.safe_load((PLUGIN / "PulumiPlugin.yaml").read_text())
    assert document == {"runtime": {"name": "python", "options": {"virtualenv": "../../.venv"}}}
    # Resolved against the plugin folder, as the host does: the .venv scripts/setup makes.
    assert (PLUGIN / document["runtime"]["options"]["virtualenv"]).resolve() == (
        ROOT / ".venv"
    ).resolve()
    assert (
        (PLUGIN / "__main__.py")
        .read_text()
        .endswith("from flexorch.provider.server import main\n\nmain()\n")
    )


def test_the_folder_run_as_the_host_runs_it_answers_the_plugin_handshake() -> None:
    # No engine address: it serves all the same and prints its port, as the engine reads it.
    python = ROOT / ".venv" / "bin" / "python"
    with subprocess.Popen([python, PLUGIN], stdout=subprocess.PIPE, text=True) as plugin:
        try:
            assert plugin.stdout is not None
            assert plugin.stdout.readline().strip().isdigit()
        finally:
            plugin.terminate()
