"""Upgrade: a stack deployed by an older release is taken over by this code and its real provider.

Each older release (RELEASES: 0.1, the last commit that shipped the package as `stack`, and 0.2,
the last whose resources were all dynamic providers) is exported with `git archive` and
installed, not editable, into its own venv with the same pinned dependencies (constraints.txt),
both cached under `.cache/upgrade-<commit>/`. Its own program deploys a stack against the
sandbox; then the same project and state run with this repo's program (`stack/`, its component on
the real provider) and `.venv`:

- preview and up: every old resource moves onto its `flexorch:index:*` type through its alias,
  an update with the same ID; no replace, no delete, no Twilio write; the only creates are the
  provider resource and read-only snapshots a later release added; after up no resource holds
  a pickled provider; destroy: every adopted setting is back as the seed had it;
- refresh and destroy straight away: the state still holds the old release's pickled providers,
  which load in the dynamic provider host (0.1's `stack.providers.*` through flexorch/_legacy.py).
"""

from __future__ import annotations

import base64
import json
import os
import pickletools
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi.automation as auto
import pytest
import yaml
from engine import TOOLS, adopted_settings, engine_env, local_stack, rewrite_flexorch_config
from helpers import ROOT

from flexorch.sandbox import seed
from flexorch.sandbox.server import Sandbox

HANDLER = "http://localhost:3000/flex"
NAME = "upgrade"
# The sandbox stack's provider modules, as each release's package names them.
MODULES = (
    "workspace",
    "queue",
    "task_channel",
    "workflow",
    "chat_webhooks",
    "phone_number",
    "flex_flow_guard",
)
# release -> (its commit, the modules its state's pickled providers reference, the read-only
# snapshots added since, which the upgrade creates)
RELEASES = {
    "0.1": (
        "4521f9f",
        {f"stack.providers.{m}" for m in MODULES},
        ["ChatServiceSnapshot", "FlexFlowSnapshot", "PhoneNumbersSnapshot", "TaskQueueSnapshot"],
    ),
    "0.2": ("17e6bdf", {f"flexorch.resources.{m}" for m in MODULES}, []),
}


def previous_release(commit: str) -> tuple[Path, Path]:
    """An older release's source tree and the python of a venv it is installed in."""
    found = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(f"commit {commit} (an older release) is not in this clone: fetch history")
    base = ROOT / ".cache" / f"upgrade-{found.stdout.strip()}"
    src, venv, ready = base / "src", base / "venv", base / "ready"
    python = venv / "bin" / "python"
    if not ready.exists():
        shutil.rmtree(base, ignore_errors=True)
        src.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", found.stdout.strip()], cwd=ROOT, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", src], input=archive.stdout, check=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", src],
            check=True,
            timeout=900,
        )
        ready.write_text(found.stdout)
    return src, python


def sandbox_config(tree: Path) -> dict[str, Any]:
    return yaml.safe_load((tree / "examples" / "Pulumi.sandbox.yaml").read_text())["config"]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed.flex_account()) as running:
        yield running


@pytest.fixture
def before(sandbox: Sandbox) -> dict[str, Any]:
    """The adopted settings as the seeded account has them, before any up."""
    return adopted_settings(sandbox)


@pytest.fixture(params=sorted(RELEASES))
def release(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def deployed(release: str, sandbox: Sandbox, before: dict[str, Any], tmp_path: Path) -> auto.Stack:
    """A stack that an older release's program and venv deployed; now on this code."""
    commit, old_modules, _ = RELEASES[release]
    src, old_python = previous_release(commit)
    project = tmp_path / NAME
    project.mkdir()
    (tmp_path / "state").mkdir()
    (project / "Pulumi.yaml").write_text((src / "Pulumi.yaml").read_text())
    (project / "stack").symlink_to(src / "stack")
    (project / f"Pulumi.{NAME}.yaml").write_text(yaml.safe_dump({"config": sandbox_config(src)}))
    # Its own installed package, not a checkout's on PYTHONPATH.
    stack = local_stack(project, NAME, sandbox, python=str(old_python), env={"PYTHONPATH": ""})
    up = stack.up()
    assert set(up.summary.resource_changes or {}) == {"create"}, up.stdout
    fake = sandbox.fake
    for number in (seed.FREE_NUMBER, seed.FLEX_FLOW_NUMBER):
        assert fake.find(seed.NUMBERS, phone_number=number)["sms_url"] == HANDLER
    assert fake.find(seed.FLEX_FLOWS, friendly_name="SMS Flex Flow")["enabled"] is False
    assert pickled_modules(stack) == old_modules

    # The upgrade: this repo's program, run by this venv's python, on the same project and state.
    (project / "stack").unlink()
    (project / "stack").symlink_to(ROOT / "stack")
    stack.workspace.env_vars = engine_env(tmp_path, sandbox)
    rewrite_flexorch_config(project / f"Pulumi.{NAME}.yaml", sandbox_config(ROOT))
    return stack


def state(stack: auto.Stack) -> list[dict[str, Any]]:
    """The state's resources (`--show-secrets`: the pickled providers are secret)."""
    workspace = stack.workspace
    env = {**os.environ, **workspace.env_vars, "PULUMI_HOME": str(workspace.pulumi_home)}
    exported = subprocess.run(
        [TOOLS / "bin" / "pulumi", "stack", "export", "--show-secrets", "--stack", stack.name],
        cwd=workspace.work_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    resources: list[dict[str, Any]] = json.loads(exported.stdout)["deployment"]["resources"]
    return resources


def pickled_modules(stack: auto.Stack) -> set[str]:
    """The modules the state's pickled providers reference."""
    modules: set[str] = set()
    for resource in state(stack):
        provider = resource.get("inputs", {}).get("__provider")
        if provider is None:
            continue
        if isinstance(provider, dict):  # a secret: {"<sig>": ..., "plaintext": "<JSON string>"}
            provider = json.loads(provider["plaintext"])
        strings: list[str] = []
        for op, arg, _ in pickletools.genops(base64.b64decode(provider)):
            if isinstance(arg, str):
                strings.append(arg)
            if op.name == "STACK_GLOBAL":
                modules.add(strings[-2])
            elif op.name == "GLOBAL":
                modules.add(str(arg).split(" ")[0])
    return modules


def non_gets(requests: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in requests if r["method"] != "GET"]


def assert_restored(sandbox: Sandbox, before: dict[str, Any]) -> None:
    fake = sandbox.fake
    for number, record in before["numbers"].items():
        now = fake.find(seed.NUMBERS, phone_number=number)
        assert (now["sms_url"], now["sms_method"]) == (record["sms_url"], record["sms_method"])
        assert now.get("sms_fallback_url") == record.get("sms_fallback_url")
    chat = fake.find(seed.CHAT_SERVICES, sid=seed.CHAT_SERVICE_SID)
    for key in ("webhook_filters", "webhook_method"):
        assert chat.get(key) == before["chat"].get(key), key
    # An empty URL cannot be sent back (Twilio's spec types it as a URI): it stays, silent
    # without its events (flexorch/resources/chat_webhooks.py); one the seed had is restored.
    for key in ("pre_webhook_url", "post_webhook_url"):
        if before["chat"].get(key):
            assert chat.get(key) == before["chat"][key], key
    assert chat.get("post_webhook_retry_count") == before["chat"].get("post_webhook_retry_count")
    assert {f["sid"]: f["enabled"] for f in fake.all(seed.FLEX_FLOWS)} == before["flows"]
    assert {w["sid"] for w in fake.all(seed.WORKFLOWS)} == before["workflows"]
    assert {c["sid"] for c in fake.all(seed.TASK_CHANNELS)} == before["channels"]
    assert fake.find(seed.WORKSPACES, sid=seed.WORKSPACE_SID)
    assert fake.find(seed.QUEUES, sid=seed.EVERYONE_SID)


def twilio_resources(resources: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(type, ID) of each Twilio resource: providers, the stack and the component aside.

    Pairs, since a snapshot and its writer share the adopted object's SID.
    """
    return {
        (r["type"], r["id"])
        for r in resources
        if r.get("custom") and not r["type"].startswith("pulumi:providers:")
    }


def test_preview_and_up_move_the_old_stack_onto_the_real_provider_without_writing(
    release: str, deployed: auto.Stack, sandbox: Sandbox, before: dict[str, Any]
) -> None:
    old = twilio_resources(state(deployed))
    assert all(t.startswith("pulumi-python:dynamic/flexorch:") for t, _ in old), old
    mark = len(sandbox.requests)
    preview = deployed.preview(diff=True)
    # Every old resource is an update (its type moves, its pickle goes); the provider resource
    # and a later release's read-only snapshots are the only creates.
    added = RELEASES[release][2]
    assert preview.change_summary == {
        "same": 2,  # the stack and the component
        "create": 1 + len(added),
        "update": len(old),
    }, preview.stdout
    up = deployed.up()
    assert up.summary.resource_changes == preview.change_summary, up.stdout
    assert non_gets(sandbox.since(mark)) == []

    now = state(deployed)
    moved = {("flexorch:index:" + type_.rsplit(":", 1)[-1], id_) for type_, id_ in old}
    new = twilio_resources(now)
    assert moved <= new  # same IDs, new types
    assert sorted(type_ for type_, _ in new - moved) == [f"flexorch:index:{k}" for k in added]
    assert sorted(r["type"] for r in now if r["type"].startswith("pulumi:providers:")) == [
        "pulumi:providers:flexorch"
    ]
    assert [r["urn"] for r in now if "__provider" in json.dumps(r)] == []

    mark = len(sandbox.requests)
    deployed.preview(expect_no_changes=True)
    assert sandbox.since(mark) == []

    deployed.destroy()
    assert_restored(sandbox, before)


def test_refresh_and_destroy_load_the_old_pickled_providers(
    release: str, deployed: auto.Stack, sandbox: Sandbox, before: dict[str, Any]
) -> None:
    mark = len(sandbox.requests)
    refresh = deployed.refresh()
    assert refresh.summary.result == "succeeded"
    assert set(refresh.summary.resource_changes or {}) <= {"same"}, refresh.stdout
    assert non_gets(sandbox.since(mark)) == []
    # refresh updates outputs only: destroy still runs the old release's pickles
    assert pickled_modules(deployed) == RELEASES[release][1]

    destroy = deployed.destroy()
    assert destroy.summary.result == "succeeded"
    assert "Traceback" not in destroy.stdout
    assert_restored(sandbox, before)
